"""The Trace entity: MLflow's shape (info + data), dict/JSON round trips, span-tree checks."""

from __future__ import annotations

import pytest

import evalkit
from evalkit.entities import (
    AssessmentSource,
    Expectation,
    Feedback,
    Span,
    SpanType,
    Trace,
    TraceData,
    TraceInfo,
    TraceState,
)
from evalkit.errors import DataError
from evalkit.tracing import collect_trace, start_span


def _trace() -> Trace:
    return Trace(
        info=TraceInfo(
            trace_id="tr-1",
            experiment_id="0",
            request_time=1_700_000_000_000,
            execution_duration=12,
            state="ok",
            trace_metadata={"mlflow.trace.session": "s1", "mlflow.trace.user": "u1"},
            tags={"env": "prod"},
            assessments=[
                Feedback(
                    name="helpful",
                    value=True,
                    rationale="clear",
                    source=AssessmentSource(source_type="HUMAN", source_id="ann"),
                    assessment_id="a-1",
                ),
                Expectation(name="expected_response", value="Paris", assessment_id="a-2"),
            ],
        ),
        data=TraceData(
            spans=[
                Span(name="agent", span_type="AGENT", span_id="1", inputs={"q": "x"}, outputs="y"),
                Span(name="search", span_type=SpanType.TOOL, span_id="2", parent_id="1"),
                Span(name="llm", span_type="llm", span_id="3", parent_id="1"),
            ]
        ),
    )


def test_trace_has_mlflow_shape_and_readers() -> None:
    t = _trace()
    assert t.info.state is TraceState.OK
    assert (t.info.session_id, t.info.user_id) == ("s1", "u1")
    assert (t.info.request_id, t.info.timestamp_ms, t.info.execution_time_ms) == (
        "tr-1",
        1_700_000_000_000,
        12,
    )
    assert t.root is not None and t.root.name == "agent"
    assert [s.name for s in t.search_spans(span_type="TOOL")] == ["search"]
    assert [s.name for s in t.search_spans(span_type="llm")] == ["llm"]
    assert t.data.request == '{"q": "x"}' and t.data.response == '"y"'
    assert t.expectations == {"expected_response": "Paris"}
    assert [a.name for a in t.search_assessments("helpful")] == ["helpful"]
    assert evalkit.Trace is Trace and evalkit.tracing.Trace is Trace


def test_dict_and_json_round_trip_keep_info_and_assessments() -> None:
    t = _trace()
    d = t.to_dict()
    assert set(d) == {"info", "data"}
    assert d["info"]["assessments"][0]["feedback"] == {"value": True}
    assert d["info"]["assessments"][1]["expectation"] == {"value": "Paris"}
    again = Trace.from_json(t.to_json())
    assert again == t


def test_old_spans_only_form_still_reads() -> None:
    t = Trace.from_dict({"spans": [{"name": "a", "span_id": "1"}]})
    assert t.info.trace_id.startswith("tr-") and len(t.info.trace_id) == 35
    assert [s.name for s in t.spans] == ["a"]


def test_collected_trace_fills_info_from_the_root() -> None:
    with collect_trace() as t, start_span("root", "CHAIN", inputs={"a": 1}) as root:
        root.outputs = "done"
        with start_span("child", "TOOL"):
            pass
    assert t.info.state is TraceState.OK
    assert t.info.request_preview == '{"a": 1}' and t.info.response_preview == "done"
    assert t.info.execution_duration is not None and t.info.request_time > 0
    assert {s.trace_id for s in t.spans} == {t.info.trace_id}
    t.validate()


def test_error_span_records_an_exception_event_and_error_state() -> None:
    with collect_trace() as t, pytest.raises(ValueError), start_span("root"):
        raise ValueError("bad")
    (span,) = t.spans
    assert span.events[0].name == "exception"
    assert span.events[0].attributes["exception.message"] == "bad"
    assert t.info.state is TraceState.ERROR


@pytest.mark.parametrize(
    ("spans", "message"),
    [
        ([("1", "2"), ("2", "1")], "cycle"),
        ([("1", None), ("2", "9")], "names parent '9'"),
        ([("1", None), ("1", None)], "used by two spans"),
        ([("", None)], "no span_id"),
    ],
)
def test_validate_names_what_is_wrong(spans: list[tuple[str, str | None]], message: str) -> None:
    t = Trace(spans=[Span(name=f"s{i}", span_id=a, parent_id=b) for i, (a, b) in enumerate(spans)])
    with pytest.raises(DataError, match=message):
        t.validate()


def test_bad_state_is_a_clear_error() -> None:
    with pytest.raises(DataError, match="not one of OK, ERROR"):
        TraceInfo(state="DONE")


def test_a_trace_without_a_root_is_refused() -> None:
    t = Trace(spans=[Span(name="a", span_id="1", parent_id="1")])
    with pytest.raises(DataError, match="no root span"):
        t.validate()
    with pytest.raises(DataError, match="no spans, so no root span"):
        Trace().validate()


def test_new_trace_ids_are_mlflow_shaped_unique_and_sort_by_time() -> None:
    import re
    import time

    from evalkit.entities.trace import new_trace_id

    first = [new_trace_id() for _ in range(1000)]
    time.sleep(0.002)
    later = new_trace_id()
    assert all(re.fullmatch(r"tr-[0-9a-f]{32}", i) for i in first)
    assert len(set(first)) == 1000
    assert later > max(first)  # a store appends new traces at the end of its indexes
    assert abs(int(later[3:15], 16) - time.time_ns() // 1_000_000) < 60_000


def test_encoded_spans_keep_odd_keys_and_values() -> None:
    from evalkit.entities.trace import decode_spans, encode_spans

    class Thing:
        def __str__(self) -> str:
            return "thing"

    span = Span(name="s", span_id="1", inputs={1: "one", "n": None}, outputs=Thing())
    (record,) = decode_spans(encode_spans([span]))
    assert record["inputs"] == {"1": "one", "n": None} and record["outputs"] == "thing"
    assert record["name"] == "s" and record["span_id"] == "1" and "events" not in record
