"""Traces and assessments in the store, on SQLite and PostgreSQL: log, search, tags, delete."""

from __future__ import annotations

from pathlib import Path

import pytest

import evalkit
from evalkit import AssessmentSource, DataError, Expectation, Feedback, TrackingError
from evalkit.entities import Span, Trace, TraceData, TraceInfo, TraceState
from evalkit.tracking.sql.traces import MAX_SPAN_FIELD_CHARS


def _trace(
    n: int,
    *,
    state: str = "OK",
    duration: int = 10,
    session: str = "s1",
    name: str = "agent",
    tags: dict[str, str] | None = None,
) -> Trace:
    start = 1_700_000_000_000 + n * 1000
    return Trace(
        info=TraceInfo(
            trace_id=f"tr-{n:032x}",
            request_time=start,
            execution_duration=duration,
            state=state,
            request_preview=f'{{"q": "question {n}"}}',
            response_preview=f'"answer {n}"',
            trace_metadata={"mlflow.trace.session": session, "mlflow.trace.user": "u"},
            tags=tags or {},
        ),
        data=TraceData(
            spans=[
                Span(
                    name=name,
                    span_type="AGENT",
                    span_id="1",
                    inputs={"q": f"question {n}"},
                    outputs=f"answer {n}",
                    start_time_ns=start * 1_000_000,
                    end_time_ns=(start + duration) * 1_000_000,
                ),
                Span(
                    name="search",
                    span_type="TOOL",
                    span_id="2",
                    parent_id="1",
                    inputs={"query": "x"},
                    outputs=[{"doc": n}],
                ),
            ]
        ),
    )


@pytest.fixture
def five(backend: str) -> list[str]:
    evalkit.set_experiment("traces")
    traces = [
        _trace(0, tags={"env": "prod"}),
        _trace(1, state="ERROR", duration=500, tags={"env": "dev"}),
        _trace(2, duration=900, session="s2", name="chat"),
        _trace(3, tags={"env": "prod"}),
        _trace(4, duration=50, session="s2"),
    ]
    return evalkit.log_traces(traces)


def _ids(result: list[Trace]) -> list[int]:
    return [int(t.info.trace_id[3:], 16) for t in result]


def test_logged_trace_reads_back_whole(five: list[str]) -> None:
    got = evalkit.get_trace(five[1])
    assert got is not None
    assert got.info.state is TraceState.ERROR and got.info.execution_duration == 500
    assert got.info.session_id == "s1" and got.info.user_id == "u"
    assert got.info.tags == {"env": "dev"}
    assert got.info.experiment_id == evalkit.get_experiment_by_name("traces").experiment_id
    assert [(s.name, s.span_type, s.parent_id) for s in got.spans] == [
        ("agent", "AGENT", None),
        ("search", "TOOL", "1"),
    ]
    assert got.root is not None and got.root.inputs == {"q": "question 1"}
    assert got.spans[1].outputs == [{"doc": 1}]
    assert evalkit.get_trace("tr-missing") is None


FILTERS = [
    ("attributes.status = 'OK'", [4, 3, 2, 0]),
    ("attributes.status = 'ERROR'", [1]),
    ("trace.status != 'OK'", [1]),
    ("attributes.execution_time_ms > 100", [2, 1]),
    ("attributes.timestamp_ms > 1700000002000", [4, 3]),
    ("attributes.timestamp_ms >= 1700000002000 AND attributes.execution_time_ms < 100", [4, 3]),
    ("tags.env = 'prod'", [3, 0]),
    ("tags.env != 'prod'", [1]),
    ("tags.env IS NULL", [4, 2]),
    ("metadata.`mlflow.trace.session` = 's2'", [4, 2]),
    ("request_metadata.`mlflow.trace.session` = 's2'", [4, 2]),
    ("trace.name = 'chat'", [2]),
    ("attributes.name LIKE 'ag%'", [4, 3, 1, 0]),
    ("attributes.status IN ('OK', 'ERROR') AND tags.env LIKE 'p%'", [3, 0]),
]


@pytest.mark.parametrize(("filter_string", "expected"), FILTERS)
def test_filters(five: list[str], filter_string: str, expected: list[int]) -> None:
    got = evalkit.search_traces(filter_string=filter_string, return_type="list")
    assert _ids(got) == expected


def test_order_and_max_results(five: list[str]) -> None:
    assert _ids(evalkit.search_traces(return_type="list")) == [4, 3, 2, 1, 0]  # newest first
    got = evalkit.search_traces(
        order_by=["execution_time_ms DESC"], max_results=2, return_type="list"
    )
    assert _ids(got) == [2, 1]
    got = evalkit.search_traces(order_by=["timestamp_ms ASC"], return_type="list")
    assert _ids(got) == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(
    ("filter_string", "message"),
    [
        ("attributes.colour = 'red'", "unknown trace attribute 'colour'"),
        ("attributes.execution_time_ms > 'slow'", "compares with a number"),
        ("tags.env > 1", "values are strings"),
        ("status = OK", "needs a value"),
    ],
)
def test_bad_filters_say_what_to_write(five: list[str], filter_string: str, message: str) -> None:
    with pytest.raises(TrackingError, match=message):
        evalkit.search_traces(filter_string=filter_string)


def test_pandas_frame_has_mlflow_columns(five: list[str]) -> None:
    df = evalkit.search_traces(max_results=1)
    assert list(df.columns) == [
        "trace_id",
        "trace",
        "client_request_id",
        "state",
        "request_time",
        "execution_duration",
        "request",
        "response",
        "trace_metadata",
        "tags",
        "spans",
        "assessments",
    ]
    row = df.iloc[0]
    assert row.trace_id == five[4] and row.state == "OK"
    assert row.request == {"q": "question 4"} and row.response == "answer 4"
    assert isinstance(row.trace, Trace) and len(row.spans) == 2 and row.assessments == []


def test_tags_set_and_delete(five: list[str]) -> None:
    evalkit.set_trace_tag(five[0], "reviewed", "yes")
    evalkit.set_trace_tag(five[0], "env", "staging")
    got = evalkit.get_trace(five[0])
    assert got is not None and got.info.tags == {"env": "staging", "reviewed": "yes"}
    evalkit.delete_trace_tag(five[0], "reviewed")
    assert evalkit.get_trace(five[0]).info.tags == {"env": "staging"}  # type: ignore[union-attr]
    with pytest.raises(TrackingError, match="has no tag 'reviewed'"):
        evalkit.delete_trace_tag(five[0], "reviewed")
    with pytest.raises(TrackingError, match="no trace with id"):
        evalkit.set_trace_tag("tr-nope", "k", "v")


def test_delete_traces_by_time_and_id(five: list[str]) -> None:
    experiment_id = evalkit.get_experiment_by_name("traces").experiment_id
    assert evalkit.delete_traces(experiment_id, max_timestamp_millis=1_700_000_001_000) == 2
    assert evalkit.delete_traces(experiment_id, trace_ids=[five[4], "tr-unknown"]) == 1
    assert _ids(evalkit.search_traces(return_type="list")) == [3, 2]
    with pytest.raises(TrackingError, match="exactly one of"):
        evalkit.delete_traces(experiment_id)


def test_traces_link_to_the_active_run(backend: str) -> None:
    evalkit.set_experiment("linked")
    with evalkit.start_run() as run:
        evalkit.log_traces([_trace(7)])
    evalkit.log_traces([_trace(8)])
    got = evalkit.search_traces(run_id=run.info.run_id, return_type="list")
    assert _ids(got) == [7] and got[0].info.run_id == run.info.run_id
    got = evalkit.search_traces(
        filter_string=f"attributes.run_id = '{run.info.run_id}'", return_type="list"
    )
    assert _ids(got) == [7]


def test_assessments_round_trip(five: list[str]) -> None:
    human = AssessmentSource(source_type="HUMAN", source_id="ann")
    fb = evalkit.log_feedback(five[0], name="helpful", value=True, source=human, rationale="ok")
    ex = evalkit.log_expectation(five[0], name="expected_response", value="answer 0")
    err = evalkit.log_feedback(five[0], name="judge", error=TimeoutError("slow"))
    assert fb.assessment_id and fb.trace_id == five[0] and fb.create_time_ms
    got = evalkit.get_assessment(five[0], fb.assessment_id)
    assert isinstance(got, Feedback)
    assert (got.name, got.value, got.rationale, got.source) == ("helpful", True, "ok", human)
    assert isinstance(ex, Expectation) and ex.source is not None
    assert str(ex.source.source_type) == "HUMAN"  # MLflow's default: the user logging it
    assert isinstance(err, Feedback) and err.error is not None
    assert err.error.error_code == "TimeoutError"
    trace = evalkit.get_trace(five[0])
    assert trace is not None
    assert [a.name for a in trace.info.assessments] == ["helpful", "expected_response", "judge"]
    assert trace.expectations == {"expected_response": "answer 0"}
    df = evalkit.search_traces(filter_string=f"attributes.trace_id = '{five[0]}'")
    assert [a.name for a in df.iloc[0].assessments] == ["helpful", "expected_response", "judge"]

    changed = evalkit.update_assessment(five[0], fb.assessment_id, value=False, rationale="no")
    assert (changed.value, changed.rationale, changed.assessment_id) == (
        False,
        "no",
        fb.assessment_id,
    )
    again = evalkit.get_assessment(five[0], fb.assessment_id)
    assert again.value is False and again.last_update_time_ms >= fb.create_time_ms  # type: ignore[operator]
    replaced = evalkit.update_assessment(
        five[0], ex.assessment_id, Expectation(name="expected_response", value="new")
    )
    assert replaced.value == "new"
    evalkit.delete_assessment(five[0], fb.assessment_id)
    with pytest.raises(TrackingError, match="has no assessment"):
        evalkit.get_assessment(five[0], fb.assessment_id)
    with pytest.raises(TrackingError, match="no trace with id"):
        evalkit.log_feedback("tr-nope", name="x", value=1)
    with pytest.raises(TrackingError, match="needs a value or an error"):
        evalkit.log_feedback(five[0], name="x")


def test_attach_feedback_for_evaluate(five: list[str]) -> None:
    from evalkit.tracking import attach_feedback

    judge = AssessmentSource(source_type="LLM_JUDGE", source_id="openai:/gpt-4.1-mini")
    with evalkit.start_run() as run:
        stored = attach_feedback(
            five[2],
            [Feedback(name="correctness", value="yes", rationale="r", source=judge), Feedback()],
        )
    assert [a.name for a in stored] == ["correctness"]  # unnamed feedback is skipped
    assert stored[0].metadata["mlflow.sourceRun"] == run.info.run_id
    assert attach_feedback("tr-not-stored", [Feedback(name="x", value=1)]) == []
    (got,) = evalkit.get_trace(five[2]).info.assessments  # type: ignore[union-attr]
    assert got.source == judge and got.value == "yes"


def test_bad_traces_are_refused_before_anything_is_written(backend: str) -> None:
    good = _trace(1)
    cyclic = _trace(2)
    cyclic.spans[0].parent_id = "2"
    with pytest.raises(DataError, match="cycle"):
        evalkit.log_traces([good, cyclic])
    orphan = _trace(3)
    orphan.spans[1].parent_id = "9"
    with pytest.raises(DataError, match="names parent '9'"):
        evalkit.log_traces([orphan])
    assert evalkit.search_traces(return_type="list") == []
    evalkit.log_traces([good])  # the good one is stored once sent alone
    assert _ids(evalkit.search_traces(return_type="list")) == [1]
    with pytest.raises(TrackingError, match="no experiment with id '999'"):
        evalkit.log_traces([_trace(4)], experiment_id="999")


def test_huge_span_payload_is_kept_up_to_the_limit_with_a_marker(backend: str) -> None:
    big = _trace(1)
    big.spans[1].outputs = "x" * (MAX_SPAN_FIELD_CHARS + 5000)
    evalkit.log_traces([big])
    got = evalkit.get_trace(big.info.trace_id)
    assert got is not None
    out = got.spans[1].outputs
    assert isinstance(out, str) and len(out) > MAX_SPAN_FIELD_CHARS
    assert out.startswith('"xxxx') and out.endswith(f"limit {MAX_SPAN_FIELD_CHARS}]")
    assert "truncated by evalkit" in out
    assert got.spans[1].attributes["evalkit.truncated"] == ["outputs"]
    assert got.spans[0].outputs == "answer 1"  # the rest of the trace is whole
    assert got.spans[1].inputs == {"query": "x"}


def test_search_over_10000_traces_is_fast(tmp_path: Path) -> None:
    """A lenient bound (the benchmark's target is 1 s; this machine is shared): SQLite."""
    import time

    evalkit.set_tracking_uri(str(tmp_path))
    try:
        evalkit.set_experiment("many")
        for start in range(0, 10_000, 2_000):
            batch = [
                _trace(n, state="ERROR" if n % 10 == 0 else "OK", duration=n % 1000)
                for n in range(start, start + 2_000)
            ]
            evalkit.log_traces(batch)
        t0 = time.perf_counter()
        got = evalkit.search_traces(
            filter_string="attributes.status = 'ERROR' AND attributes.execution_time_ms > 500",
            return_type="list",
        )
        took = time.perf_counter() - t0
        assert len(got) == 490 and all(t.info.state is TraceState.ERROR for t in got)
        assert took < 3.0, f"search_traces took {took:.2f} s over 10,000 traces"
    finally:
        evalkit.set_tracking_uri(None)
