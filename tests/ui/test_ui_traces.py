"""The traces pages: an experiment's traces (filter), a trace (span tree, assessments, human
feedback stored as a HUMAN assessment), a conversation; escaping and the POST guards."""

from __future__ import annotations

import html
import re
import warnings
from typing import Any

import pytest

with warnings.catch_warnings():  # starlette asks for httpx2; httpx is what the venv has
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from trace_samples import agent_trace
from ui_support import EVIL, Served, screenshot

import evalkit
from evalkit.entities.assessments import AssessmentSource
from evalkit.ui import build_app

BASE = "http://127.0.0.1:8765"


def _client() -> TestClient:
    return TestClient(build_app(), base_url=BASE)


@pytest.fixture
def logged() -> dict[str, Any]:
    experiment_id = evalkit.set_experiment("agent").experiment_id
    traces = [
        agent_trace("What is MLflow?", "A platform.", session="chat-1", offset_s=0),
        agent_trace("And evalkit?", "A framework.", session="chat-1", offset_s=10, error=True),
        agent_trace(EVIL, EVIL, session=EVIL, offset_s=20),
    ]
    ids = evalkit.log_traces(traces)
    evalkit.log_feedback(
        ids[0],
        name="helpful",
        value=True,
        rationale="clear <b>answer</b>",
        source=AssessmentSource(source_type="LLM_JUDGE", source_id="gpt"),
    )
    return {"experiment_id": experiment_id, "ids": ids}


def _form_key(client: TestClient, trace_id: str) -> str:
    match = re.search(r'name="form_key" value="([^"]+)"', client.get(f"/traces/{trace_id}").text)
    assert match
    return match.group(1)


def test_traces_page_lists_and_filters(logged: dict[str, Any]) -> None:
    client = _client()
    url = f"/experiments/{logged['experiment_id']}/traces"
    page = client.get(url)
    assert page.status_code == 200
    rows = re.findall(r'<tr class="trace[^"]*" data-trace="([^"]+)"', page.text)
    assert rows == logged["ids"][::-1]  # newest first
    assert "1.50 s" in page.text and "chat-1" in page.text and 'class="state error"' in page.text
    assert "/conversation?session=chat-1" in page.text
    errors = client.get(url, params={"filter": "attributes.status = 'ERROR'"}).text
    assert re.findall(r'data-trace="([^"]+)"', errors) == [logged["ids"][1]]
    bad = client.get(url, params={"filter": "attributes.nope = 1"})
    assert bad.status_code == 200 and 'id="filter-error"' in bad.text
    assert len(re.findall(r'data-trace="', bad.text)) == 3  # all, with the error shown
    assert "<script>window.__xss" not in page.text
    # linked from the experiment's runs page
    runs_page = client.get(f"/experiments/{logged['experiment_id']}").text
    assert f'href="/experiments/{logged["experiment_id"]}/traces"' in runs_page


def test_trace_page_shows_the_tree_timings_and_assessments(logged: dict[str, Any]) -> None:
    client = _client()
    page = client.get(f"/traces/{logged['ids'][0]}").text
    spans = re.findall(r'data-span="(\w+)" data-depth="(\d+)"', page)
    assert spans == [("a", "0"), ("r", "1"), ("l", "1")]
    assert "1.00 s" in page and "at +400.0 ms" in page and "200.0 ms" in page
    assert "show all (" in page  # the retriever's long output is cut with an expander
    assert "helpful" in page and "LLM_JUDGE:gpt" in page
    assert "clear &lt;b&gt;answer&lt;/b&gt;" in page
    failed = client.get(f"/traces/{logged['ids'][1]}").text
    assert "ERROR: TimeoutError: too slow" in failed
    assert client.get("/traces/tr-nope").status_code == 404
    assert client.get("/traces/..%2f..%2fetc").status_code in (400, 404)


def test_feedback_is_stored_as_a_human_assessment(logged: dict[str, Any]) -> None:
    client = _client()
    trace_id = logged["ids"][1]
    key = _form_key(client, trace_id)
    url = f"/traces/{trace_id}/feedback"
    good = {"name": "correct", "value": "bad", "rationale": "wrong <i>tool</i>", "form_key": key}
    assert client.post(url, data={**good, "form_key": "guess"}).status_code == 403
    assert client.post(url, data=good, headers={"origin": "http://evil.example"}).status_code == 403
    assert client.post(url, data={**good, "value": ""}, headers={"origin": BASE}).status_code == 400
    assert client.get(url).status_code == 405
    assert evalkit.get_trace(trace_id).info.assessments == []
    done = client.post(url, data=good, headers={"origin": BASE}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].endswith("#assessments")
    (stored,) = evalkit.get_trace(trace_id).info.assessments
    assert (stored.name, stored.value, stored.rationale) == ("correct", "bad", "wrong <i>tool</i>")
    assert str(stored.source.source_type) == "HUMAN" and stored.source.source_id == "ui"
    page = client.get(f"/traces/{trace_id}").text
    assert 'data-source="HUMAN"' in page and "wrong &lt;i&gt;tool&lt;/i&gt;" in page
    listing = client.get(f"/experiments/{logged['experiment_id']}/traces").text
    assert re.search(rf'data-trace="{trace_id}">.*?class="num assessments">1<', listing, re.S)


def test_conversation_lists_a_sessions_turns_in_order(logged: dict[str, Any]) -> None:
    client = _client()
    url = f"/experiments/{logged['experiment_id']}/conversation"
    page = client.get(url, params={"session": "chat-1"}).text
    assert re.findall(r'<li class="turn[^"]*" data-trace="([^"]+)"', page) == logged["ids"][:2]
    assert page.index("What is MLflow?") < page.index("And evalkit?")
    evil = client.get(url, params={"session": EVIL}).text
    assert len(re.findall(r'<li class="turn', evil)) == 1
    assert "<script>window.__xss" not in evil and html.escape(EVIL, quote=False)[:40] in evil
    assert client.get(url).status_code == 404


@pytest.mark.slow
def test_browser_trace_page_adds_feedback(served: Served, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    (trace_id,) = evalkit.log_traces(
        [agent_trace("What is MLflow?", EVIL, session="chat-9")],
        experiment_id=served.experiment_id,
    )
    browser.get(f"{served.url}experiments/{served.experiment_id}")
    browser.find_element(By.ID, "traces-link").click()
    WebDriverWait(browser, 20).until(
        lambda d: (
            d.execute_script("return document.body.getAttribute('data-ready')") == "1"
            and d.find_elements(By.CSS_SELECTOR, "#traces tr.trace")
        )
    )
    screenshot(browser, "ui-traces.png")
    browser.find_element(By.CSS_SELECTOR, f'tr[data-trace="{trace_id}"] a').click()
    WebDriverWait(browser, 20).until(
        lambda d: (
            d.find_elements(By.ID, "trace-feedback-form")
            and d.execute_script("return document.body.getAttribute('data-ready')") == "1"
        )
    )
    assert len(browser.find_elements(By.CSS_SELECTOR, "li.span")) == 3
    browser.find_element(By.CSS_SELECTOR, "li.span[data-span='r'] details.expand summary").click()
    browser.find_element(By.ID, "tf-name").clear()
    browser.find_element(By.ID, "tf-name").send_keys("helpful")
    browser.find_element(By.ID, "tf-rationale").send_keys("looks right")
    old = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.ID, "tf-submit").click()
    WebDriverWait(browser, 20).until(expected_conditions.staleness_of(old))
    WebDriverWait(browser, 20).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "li.assessment[data-source='HUMAN']")
    )
    text = browser.find_element(By.ID, "assessments").text
    assert "helpful" in text and "good" in text and "looks right" in text
    assert browser.execute_script("return window.__xss") is None
    assert not browser.find_elements(By.CSS_SELECTOR, "main script, [onerror], [onload]")
    screenshot(browser, "ui-trace.png")
    (stored,) = evalkit.get_trace(trace_id).info.assessments
    assert str(stored.source.source_type) == "HUMAN" and stored.value == "good"


def test_row_page_shows_the_rows_trace_and_links_the_stored_one(logged: dict[str, Any]) -> None:
    import pandas as pd

    from evalkit.ui.data import forget_tables

    stored = evalkit.get_trace(logged["ids"][0])
    unstored = agent_trace(EVIL, "x")
    with evalkit.start_run(run_name="with traces") as run:
        table = pd.DataFrame(
            {
                "inputs": [{"q": "a"}, {"q": "b"}, {"q": "c"}],
                "outputs": ["a", "b", "c"],
                "trace": [stored.to_json(), unstored.to_json(), None],
                "ok/value": [True, False, True],
            }
        )
        evalkit.log_table(table, "eval_results_table.json")
    client = _client()
    try:
        first = client.get(f"/runs/{run.info.run_id}/rows/0").text
        assert re.findall(r'data-span="(\w+)" data-depth="(\d+)"', first) == [
            ("a", "0"),
            ("r", "1"),
            ("l", "1"),
        ]
        assert f'id="row-trace-link" href="/traces/{logged["ids"][0]}"' in first
        second = client.get(f"/runs/{run.info.run_id}/rows/1").text
        assert 'id="row-trace"' in second and 'id="row-trace-link"' not in second
        assert "<script>window.__xss" not in second
        third = client.get(f"/runs/{run.info.run_id}/rows/2").text
        assert 'id="row-trace"' not in third
        run_page = client.get(f"/runs/{run.info.run_id}").text
        link = re.search(r'id="run-traces-link" href="([^"]+)"', run_page)
        assert link
        traces_page = client.get(html.unescape(link.group(1)))
        assert traces_page.status_code == 200 and 'id="filter-error"' not in traces_page.text
        assert f"attributes.run_id = &#39;{run.info.run_id}&#39;" in traces_page.text
    finally:
        forget_tables()
