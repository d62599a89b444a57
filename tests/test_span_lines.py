"""``judges.views.span_lines``: the flattened span tree every trace view (CLI, UI, report) shows."""

from __future__ import annotations

from trace_samples import agent_trace

from evalkit.entities.trace import Span, Trace
from evalkit.judges.views import span_lines


def test_tree_order_depths_timings_and_errors() -> None:
    lines = span_lines(agent_trace("q", {"answer": "a"}, error=True))
    assert [(s.name, s.depth, s.span_type) for s in lines] == [
        ("agent", 0, "CHAIN"),
        ("retrieve", 1, "RETRIEVER"),
        ("llm", 1, "LLM"),
    ]
    assert [s.duration_ms for s in lines] == [1500.0, 200.0, 1000.0]
    assert [s.offset_ms for s in lines] == [0.0, 100.0, 400.0]
    assert [s.error for s in lines] == [None, None, "TimeoutError: too slow"]
    assert lines[0].inputs == '{"question": "q"}' and lines[0].outputs == '{"answer": "a"}'
    assert len(lines[1].outputs or "") == 804  # in full: each view cuts it


def test_unfinished_orphan_and_cyclic_spans_are_each_shown_once() -> None:
    trace = Trace(
        spans=[
            Span(name="child", span_id="2", parent_id="1", start_time_ns=5),
            Span(name="root", span_id="1", start_time_ns=1, end_time_ns=None),
            Span(name="orphan", span_id="3", parent_id="missing"),
            Span(name="loop-a", span_id="4", parent_id="5"),
            Span(name="loop-b", span_id="5", parent_id="4"),
        ]
    )
    lines = span_lines(trace)
    assert sorted(s.name for s in lines) == ["child", "loop-a", "loop-b", "orphan", "root"]
    assert [(s.name, s.depth) for s in lines[:2]] == [("root", 0), ("child", 1)]
    assert lines[0].duration_ms is None and lines[0].inputs is None
    assert span_lines(Trace(spans=[])) == []
