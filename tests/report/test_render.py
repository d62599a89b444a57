"""The HTML report: self-contained, escaped, with metrics, charts, rows, rationales, errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import evalkit
from evalkit import Feedback, scorer
from evalkit.report import ReportRun, render_report

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@scorer
def exact(outputs: str, expectations: dict) -> bool:
    return outputs.strip() == expectations["expected_response"].strip()


@scorer
def overlap(outputs: str, expectations: dict) -> Feedback:
    if "not sure" in outputs:
        raise TimeoutError("judge <took> too long")
    expected = set(expectations["expected_response"].lower().split())
    got = set(outputs.lower().split())
    missing = " ".join(sorted(expected - got)) or "nothing"
    return Feedback(
        value=round(len(expected & got) / len(expected), 3), rationale=f"missing {missing}"
    )


def _run(name: str, file: str) -> ReportRun:
    result = evalkit.evaluate(
        str(FIXTURES / file), scorers=[exact, overlap], progress=False, log=False
    )
    return ReportRun(
        run_id=f"id-{name}",
        name=name,
        metrics=result.metrics,
        table=result.result_df,
        params={"scorers": "exact, overlap"},
        info={"dataset": file},
    )


@pytest.fixture(scope="module")
def base() -> ReportRun:
    return _run("baseline", "qa_small.jsonl")


@pytest.fixture(scope="module")
def candidate() -> ReportRun:
    return _run("candidate", "qa_small_v2.jsonl")


def test_report_is_self_contained(base: ReportRun) -> None:
    html = render_report(base)
    assert html.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<link" not in html and "@import" not in html and "url(" not in html
    assert "<script>" in html and "<style>" in html  # inline only


def test_report_shows_metrics_charts_and_every_row(base: ReportRun) -> None:
    html = render_report(base)
    assert (
        '<tr class="metric" data-metric="exact/mean"><th>exact/mean</th><td>0.4</td></tr>' in html
    )
    assert html.count('<svg class="chart"') == 2
    assert len(re.findall(r'<tr class="row[ "]', html)) == 10
    assert 'id="row-count" data-total="10"' in html
    assert '<code class="run-id">id-baseline</code>' in html
    assert "<th>scorers</th><td>exact, overlap</td>" in html


def test_rationales_and_errors_are_inline_and_escaped(base: ReportRun) -> None:
    html = render_report(base)
    assert "<summary>why</summary>missing nothing</details>" in html
    assert '<div class="error-message">TimeoutError: judge &lt;took&gt; too long</div>' in html
    # evaluated text is data: the fixture's "<b>PONG</b>" answer is escaped, never markup
    assert "&lt;b&gt;PONG&lt;/b&gt;" in html and "<b>PONG</b>" not in html
    assert html.count('data-errors="1"') == 1


def test_evaluated_text_cannot_inject_script() -> None:
    table_run = ReportRun(
        run_id="x",
        metrics={"m/mean": 1.0},
        table=evalkit.evaluate(
            [{"inputs": {"q": "</script><script>alert(1)</script>"}, "outputs": "o"}],
            scorers=[scorer(lambda outputs: 1.0, name="m")],
            progress=False,
            log=False,
        ).result_df,
    )
    html = render_report(table_run)
    assert "alert(1)</script>" not in html
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_comparison_shows_deltas_and_changed_rows(base: ReportRun, candidate: ReportRun) -> None:
    html = render_report(candidate, base)
    assert 'data-kind="comparison"' in html
    assert re.search(
        r'<tr class="metric up" data-metric="exact/mean">\s*<th>exact/mean</th><td>0.4</td>'
        r'<td>0.5</td>\s*<td class="delta">\+0.1</td>',
        html,
    )
    assert re.search(
        r'<tr class="metric up" data-metric="overlap/error_count">.*?-1</td>', html, re.S
    )
    assert (
        '<h3 data-scorer="exact">exact: <span class="better">2 better</span>, '
        '<span class="worse">1 worse</span></h3>' in html
    )
    changed = re.findall(r'<tr class="change (\w+)"><td>(\d+)</td>', html)
    assert changed == [("better", "1"), ("better", "4"), ("worse", "6")] * 2
    assert len(re.findall(r'class="bar( error)? series-b"', html)) > 0
    assert '<option value="worse">' in html
    assert re.search(r'data-row="6" data-errors="0" data-changes="worse worse"', html)


def test_a_run_without_table_still_renders() -> None:
    html = render_report(ReportRun(run_id="r", metrics={"m/mean": 0.5}))
    assert "This run has no per-row table." in html and "<svg" not in html
