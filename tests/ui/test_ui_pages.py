"""Every UI page in headless Chromium: load, sort, filter, page, open a row, compare, add
human feedback; screenshots under tests/artifacts/. And no planted payload ever runs."""

from __future__ import annotations

from typing import Any

import pytest
from ui_support import PAYLOADS, Served, screenshot

pytestmark = pytest.mark.slow


def _by(kind: str) -> Any:
    from selenium.webdriver.common.by import By

    return getattr(By, kind)


def _open(driver: Any, url: str) -> None:
    driver.get(url)
    ready = driver.execute_script("return document.body.getAttribute('data-ready')")
    assert ready == "1", f"the page script did not finish on {url}"


def _goes(driver: Any, action: Any) -> None:
    """Do ``action`` (a click or submit that loads a page) and wait for the new page."""
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    old = driver.find_element(_by("TAG_NAME"), "html")
    action()
    WebDriverWait(driver, 20).until(expected_conditions.staleness_of(old))
    WebDriverWait(driver, 20).until(
        lambda d: d.execute_script("return document.body.getAttribute('data-ready')") == "1"
    )


def _texts(driver: Any, css: str) -> list[str]:
    return [e.text for e in driver.find_elements(_by("CSS_SELECTOR"), css)]


def _rows(driver: Any) -> list[int]:
    cells = driver.find_elements(_by("CSS_SELECTOR"), "#row-table tbody tr.row")
    return [int(c.get_attribute("data-row")) for c in cells]


def test_experiments_page_lists_searches_and_sorts(served: Served, browser: Any) -> None:
    _open(browser, served.url + "?all=1")
    names = _texts(browser, "#experiments tbody tr td:first-child")
    assert "acme-qa" in names and "Default" in names
    counts = {
        row.find_element(_by("CSS_SELECTOR"), "td a").text: row.find_elements(
            _by("TAG_NAME"), "td"
        )[1].text
        for row in browser.find_elements(_by("CSS_SELECTOR"), "#experiments tbody tr")
    }
    assert counts["acme-qa"] == "3"
    screenshot(browser, "ui-experiments.png")
    # sort by run count, client-side
    browser.find_elements(_by("CSS_SELECTOR"), "#experiments thead th")[1].click()
    assert _texts(browser, "#experiments tbody tr td:nth-child(2)")[0] == "0"
    box = browser.find_element(_by("ID"), "search")
    box.send_keys("acme")
    _goes(browser, box.submit)
    assert _texts(browser, "#experiments tbody tr td:first-child") == ["acme-qa"]


def test_runs_page_sorts_filters_charts_and_compares(served: Served, browser: Any) -> None:
    _open(browser, f"{served.url}experiments/{served.experiment_id}")
    assert len(browser.find_elements(_by("CSS_SELECTOR"), "#runs tbody tr.run")) == 3
    heads = _texts(browser, "#runs thead th.metric")
    assert "exact/mean" in heads and "overlap/mean" in heads
    assert browser.find_elements(_by("CSS_SELECTOR"), "svg.trend circle.dot")
    assert "model=model-v1" in browser.find_element(_by("ID"), "runs").text
    screenshot(browser, "ui-runs.png")
    # sort by a metric (server-side), both ways
    _goes(
        browser, browser.find_element(_by("CSS_SELECTOR"), 'th[data-metric="exact/mean"] a').click
    )
    first = _texts(browser, '#runs tbody td[data-metric="exact/mean"]')
    _goes(
        browser, browser.find_element(_by("CSS_SELECTOR"), 'th[data-metric="exact/mean"] a').click
    )
    again = _texts(browser, '#runs tbody td[data-metric="exact/mean"]')
    assert again == list(reversed(first)) and first != again
    # MLflow filter syntax
    box = browser.find_element(_by("ID"), "filter")
    box.clear()
    box.send_keys("tags.model = 'model-v2'")
    _goes(browser, box.submit)
    assert _texts(browser, "#runs tbody tr.run td:nth-child(2)") == ["v2"]
    box = browser.find_element(_by("ID"), "filter")
    box.clear()
    box.send_keys("metrics.nonsense ??")
    _goes(browser, box.submit)
    assert browser.find_element(_by("ID"), "filter-error").text
    # pick two and compare
    _open(browser, f"{served.url}experiments/{served.experiment_id}")
    button = browser.find_element(_by("ID"), "compare")
    assert not button.is_enabled()
    for run_id in served.runs[:2]:
        browser.find_element(_by("CSS_SELECTOR"), f'input[value="{run_id}"]').click()
    assert button.is_enabled()
    _goes(browser, button.click)
    assert "/compare?" in browser.current_url
    assert browser.find_elements(_by("CSS_SELECTOR"), "#metric-deltas tr.metric")


def test_run_page_pages_filters_and_opens_a_row(served: Served, browser: Any) -> None:
    long_run = served.runs[2]
    _open(browser, f"{served.url}runs/{long_run}")
    assert browser.find_element(_by("ID"), "row-count").text == "250 of 250 rows"
    assert _rows(browser) == list(range(50))
    bars = browser.find_elements(_by("CSS_SELECTOR"), "svg.chart rect.bar")
    counts = {b.get_attribute("data-label"): b.get_attribute("data-count") for b in bars}
    assert counts == {"True": "3", "False": "247"}
    # a long cell is clipped and expands
    expand = browser.find_element(_by("CSS_SELECTOR"), 'tr[data-row="7"] details.expand')
    assert not expand.get_attribute("open")
    expand.find_element(_by("TAG_NAME"), "summary").click()
    assert expand.get_attribute("open")
    screenshot(browser, "ui-run.png")
    # page
    _goes(browser, browser.find_element(_by("ID"), "next").click)
    assert _rows(browser) == list(range(50, 100))
    assert "page 2 of 5" in browser.find_element(_by("ID"), "pager").text
    # score below X
    _open(browser, f"{served.url}runs/{long_run}?below_scorer=exact&below=0.5")
    assert browser.find_element(_by("ID"), "row-count").text == "247 of 250 rows"
    assert _rows(browser)[:3] == [3, 4, 5]
    # text search
    box = browser.find_element(_by("ID"), "q")
    box.send_keys("question number 12")
    _goes(browser, box.submit)
    assert browser.find_element(_by("ID"), "row-count").text == "11 of 250 rows"
    assert _rows(browser) == [12, *range(120, 130)]
    # failed rows
    _open(browser, f"{served.url}runs/{served.runs[0]}")
    from selenium.webdriver.support.ui import Select

    _goes(
        browser, lambda: Select(browser.find_element(_by("ID"), "show")).select_by_value("failed")
    )
    assert browser.find_element(_by("ID"), "row-count").text == "1 of 10 rows"
    failed = _rows(browser)
    # sort by a scorer
    _open(browser, f"{served.url}runs/{served.runs[0]}")
    _goes(browser, browser.find_element(_by("CSS_SELECTOR"), 'th[data-scorer="overlap"] a').click)
    shown = _texts(browser, "#row-table td.score:last-child .value")
    assert shown[-1] == "error"  # rows without a score sort last
    values = [float(v) for v in shown[:-1]]
    assert values == sorted(values, reverse=True) and values[0] > values[-1]
    # open the failed row: inputs, outputs, expectations, every verdict and the error
    _open(browser, f"{served.url}runs/{served.runs[0]}?show=failed")
    _goes(
        browser,
        browser.find_element(_by("CSS_SELECTOR"), f'tr[data-row="{failed[0]}"] a.open-row').click,
    )
    for section in ("inputs", "outputs", "expectations", "verdicts", "feedback"):
        assert browser.find_element(_by("ID"), section).text
    verdicts = browser.find_element(_by("ID"), "verdicts").text
    assert "exact" in verdicts and "judge took too long" in verdicts
    screenshot(browser, "ui-row.png")


def test_human_feedback_is_added_from_the_row_page(served: Served, browser: Any) -> None:
    from selenium.webdriver.support.ui import Select

    from evalkit.ui.feedback import human_feedback

    run_id = served.runs[0]
    _open(browser, f"{served.url}runs/{run_id}/rows/3")
    Select(browser.find_element(_by("ID"), "fb-value")).select_by_value("bad")
    browser.find_element(_by("ID"), "fb-rationale").send_keys("cites the wrong port <b>")
    _goes(browser, browser.find_element(_by("ID"), "fb-submit").click)
    assert browser.current_url.endswith(f"/runs/{run_id}/rows/3#feedback"), browser.page_source[
        :500
    ]
    shown = browser.find_element(_by("CSS_SELECTOR"), "li.human-feedback").text
    assert "bad" in shown and "cites the wrong port <b>" in shown
    stored = human_feedback(run_id, 3)
    assert [(f.value, f.rationale) for f in stored] == [("bad", "cites the wrong port <b>")]
    # stored as a HUMAN assessment on the row's trace, found like any other assessment
    from evalkit.tracking import get_trace, search_traces
    from evalkit.ui.feedback import row_trace_id

    trace = get_trace(row_trace_id(run_id, 3))
    assert trace is not None
    (assessment,) = trace.info.assessments
    assert str(assessment.source.source_type) == "HUMAN"  # type: ignore[union-attr]
    assert [t.info.trace_id for t in search_traces(run_id=run_id, return_type="list")] == [
        trace.info.trace_id
    ]
    screenshot(browser, "ui-feedback.png")
    _open(browser, f"{served.url}runs/{run_id}")
    assert browser.find_elements(_by("CSS_SELECTOR"), 'tr[data-row="3"] .badge')


def test_compare_page_shows_deltas_changes_and_outputs_side_by_side(
    served: Served, browser: Any
) -> None:
    v1, v2, _ = served.runs
    _open(browser, f"{served.url}compare?run={v1}&run={v2}")
    delta = browser.find_element(_by("CSS_SELECTOR"), 'tr[data-metric="exact/mean"]').text
    assert "(" in delta  # a delta is shown
    summary = browser.find_element(_by("CSS_SELECTOR"), "p.change-summary").text
    assert "10 row(s) matched" in summary
    # the paired difference with its interval and p-value, and what it means
    significance = browser.find_element(_by("CSS_SELECTOR"), "ul.significance").text
    assert "exact" in significance and "CI), p=" in significance and "n=10" in significance
    assert "significant at 0.05" in significance or "within noise" in significance
    changed = browser.find_elements(_by("CSS_SELECTOR"), "#side-by-side tbody tr.side-row")
    assert changed and all(
        ("better" in r.get_attribute("class") or "worse" in r.get_attribute("class"))
        for r in changed
    )
    assert len(changed[0].find_elements(_by("TAG_NAME"), "td")) == 4  # #, inputs, 2 outputs
    screenshot(browser, "ui-compare.png")
    _goes(browser, browser.find_element(_by("ID"), "show-all").click)
    assert len(browser.find_elements(_by("CSS_SELECTOR"), "#side-by-side tbody tr")) == 10


def test_datasets_page_lists_digests_and_the_runs_that_used_them(
    served: Served, browser: Any
) -> None:
    _open(browser, served.url + "datasets")
    rows = browser.find_elements(_by("CSS_SELECTOR"), "#dataset-uses tbody tr.dataset")
    text = browser.find_element(_by("ID"), "dataset-uses").text
    assert len(rows) == 3 and "qa_small.jsonl" in text and "qa_small_v2.jsonl" in text
    assert "v1" in text and "v2" in text
    screenshot(browser, "ui-datasets.png")


_EVIDENCE = """
return {
  xss: window.__xss === undefined ? null : window.__xss,
  scripts: Array.from(document.scripts)
    .filter(s => s.getAttribute("src") !== "/static/ui.js").length,
  handlers: document.querySelectorAll("[onerror],[onload],[onclick]").length,
  jsLinks: Array.from(document.querySelectorAll("a[href]")).filter(
    a => a.getAttribute("href").trim().toLowerCase().startsWith("javascript:")).length,
  text: document.body.innerText
};
"""


def test_planted_payloads_never_run_on_any_page(served: Served, browser: Any) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    run = served.evil_run
    pages = [
        "?all=1",
        f"experiments/{served.evil_experiment_id}",
        f"runs/{run}",
        f"runs/{run}?show=failed",
        f"runs/{run}/rows/0",
        f"runs/{run}/rows/1",
        f"compare?run={run}&run={served.runs[0]}",
        "datasets",
        "runs/%3Cscript%3Ewindow.__xss=11%3C%2Fscript%3E",
        "?q=%3Cscript%3Ewindow.__xss%3D12%3C%2Fscript%3E&all=1",
    ]
    for page in pages:
        _open(browser, served.url + page)
        evidence = browser.execute_script(_EVIDENCE)
        assert evidence["xss"] is None, page
        assert evidence["scripts"] == 0 and evidence["handlers"] == 0, page
        assert evidence["jsLinks"] == 0, page
        with pytest.raises(NoAlertPresentException):
            browser.switch_to.alert.text  # noqa: B018
    # the payloads are shown, as text
    _open(browser, f"{served.url}runs/{run}/rows/0")
    text = browser.execute_script(_EVIDENCE)["text"]
    assert all(p in text for p in PAYLOADS)
    screenshot(browser, "ui-payloads.png")
