"""The HTML report shows each row's span tree when the per-row table has traces."""

from __future__ import annotations

import re

import pandas as pd
from trace_samples import EVIL, agent_trace

from evalkit.report import ReportRun, render_report


def _table(traces: list[object]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "inputs": [{"q": f"q{i}"} for i in range(len(traces))],
            "outputs": [f"a{i}" for i in range(len(traces))],
            "trace": traces,
            "ok/value": [True] * len(traces),
        }
    )


def test_rows_with_traces_show_the_span_tree_escaped() -> None:
    live = agent_trace("What is MLflow?", "A platform.", error=True)
    stored = agent_trace(EVIL, EVIL).to_json()  # as read back from the table artifact
    html = render_report(ReportRun(run_id="r", metrics={}, table=_table([live, stored, None])))
    assert "<th data-col=" in html and ">trace</th>" in html
    cells = re.findall(r'<td class="trace">(.*?)</td>\s*</tr>', html, re.S)
    assert len(cells) == 3 and cells[2] == ""
    assert cells[0].count('<li class="span') == 3 and "3 span(s)" in cells[0]
    assert re.search(r"<strong>agent</strong>.*1\.50 s", cells[0])
    assert re.search(
        r'depth-1 has-error"><strong>llm</strong>.*1\.00 s.*ERROR: TimeoutError', cells[0]
    )
    assert "show all (804 characters)" in cells[0]  # the retriever's output, cut and expandable
    assert "<script>" not in cells[1] and "&lt;script&gt;" in cells[1]
    assert "http" not in re.sub(r'xmlns="http://www\.w3\.org/2000/svg"', "", html)  # offline


def test_no_trace_column_without_traces() -> None:
    table = _table([None, None])
    assert ">trace</th>" not in render_report(ReportRun(run_id="r", metrics={}, table=table))
    table = _table(["not a trace", {"bogus": 1}])
    assert ">trace</th>" not in render_report(ReportRun(run_id="r", metrics={}, table=table))
