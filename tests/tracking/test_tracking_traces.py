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


def test_model_id_selects_by_mlflow_model_id_metadata(backend: str) -> None:
    tagged = _trace(1)
    tagged.info.trace_metadata["mlflow.modelId"] = "m-o'brien"
    evalkit.log_traces([tagged, _trace(2)])
    got = evalkit.search_traces(model_id="m-o'brien", return_type="list")
    assert _ids(got) == [1]
    assert evalkit.search_traces(model_id="m-x", filter_string="attributes.status = 'OK'").empty


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


def test_search_over_10000_traces_finds_exactly_the_matches(tmp_path: Path) -> None:
    """How fast is measured by ``benchmarks/tracing.py`` (10,000 traces, 1,000 matches:
    ~50 ms as a list), not asserted here; this checks the filter over a store that size."""
    evalkit.set_tracking_uri(str(tmp_path))
    try:
        evalkit.set_experiment("many")
        for start in range(0, 10_000, 2_000):
            batch = [
                _trace(n, state="ERROR" if n % 10 == 0 else "OK", duration=n % 1000)
                for n in range(start, start + 2_000)
            ]
            evalkit.log_traces(batch)
        got = evalkit.search_traces(
            filter_string="attributes.status = 'ERROR' AND attributes.execution_time_ms > 500",
            return_type="list",
        )
        assert len(got) == 490 and all(t.info.state is TraceState.ERROR for t in got)
        assert all(t.info.execution_time_ms > 500 for t in got)
    finally:
        evalkit.set_tracking_uri(None)


def test_evaluate_attaches_scores_to_the_stored_traces_it_judged(five: list[str]) -> None:
    traces = evalkit.search_traces(return_type="list", max_results=2)  # traces 4 and 3

    @evalkit.scorer
    def used_tool(trace: Trace) -> bool:
        return bool(trace.search_spans(span_type="TOOL"))

    @evalkit.scorer
    def broken(outputs: str) -> int:
        raise KeyError("nope")

    data = [{"inputs": t.root.inputs, "outputs": t.root.outputs, "trace": t} for t in traces]  # type: ignore[union-attr]
    data.append({"inputs": {"q": "fresh"}, "outputs": "x", "trace": _trace(99)})  # not stored
    result = evalkit.evaluate(data=data, scorers=[used_tool, broken])
    assert result.run_id is not None
    stored = evalkit.get_trace(five[4])
    assert stored is not None
    by_name = {a.name: a for a in stored.info.assessments}
    assert set(by_name) == {"used_tool", "broken"}
    ok, failed = by_name["used_tool"], by_name["broken"]
    assert isinstance(ok, Feedback) and ok.value is True
    assert ok.source == AssessmentSource(source_type="CODE", source_id="used_tool")
    assert ok.metadata["mlflow.sourceRun"] == result.run_id
    assert isinstance(failed, Feedback) and failed.error is not None
    assert failed.error.error_code == "KeyError"
    assert evalkit.get_trace(five[0]).info.assessments == []  # type: ignore[union-attr]
    assert evalkit.get_trace(_trace(99).info.trace_id) is None


def test_the_logged_results_table_keeps_each_rows_trace(backend: str) -> None:
    @evalkit.scorer
    def spans(trace: Trace) -> int:
        return len(trace.spans)

    trace = _trace(5)
    result = evalkit.evaluate(
        data=[{"inputs": {"q": "x"}, "outputs": "y", "trace": trace}], scorers=[spans]
    )
    table = evalkit.load_table("eval_results_table.json", run_ids=[result.run_id])
    (cell,) = table["trace"]
    assert Trace.from_dict(cell) == trace


def test_exported_traces_are_stored_like_logged_ones(backend: str) -> None:
    """The export thread's fast path (packed spans -> log_encoded_traces) on each backend."""
    from evalkit import tracing
    from evalkit.tracing._export import EXPORTER

    evalkit.set_experiment("production")

    @evalkit.trace(span_type="AGENT")
    def app(question: str) -> str:
        with evalkit.start_span("search", span_type="RETRIEVER", inputs={"q": question}) as s:
            s.outputs = [{"page_content": "doc"}]
        return f"answer to {question}"

    tracing.enable()
    try:
        with evalkit.start_run() as run:
            app("a")
        app("b")
        assert tracing.flush(30)
        assert tracing.export_stats().exported == 2 and tracing.export_stats().dropped == 0
    finally:
        tracing.disable()
        tracing.flush(10)
        EXPORTER._reset_queue(10_000)
    # the two calls may start within one millisecond: found by their inputs, not their order
    stored = evalkit.search_traces(return_type="list")
    by_inputs = {t.info.request_preview: t for t in stored}
    assert len(stored) == 2 and set(by_inputs) == {'{"question": "a"}', '{"question": "b"}'}
    first, second = by_inputs['{"question": "a"}'], by_inputs['{"question": "b"}']
    assert first.info.run_id == run.info.run_id and second.info.run_id is None
    assert first.info.response_preview == "answer to a"
    assert [(s.name, s.span_type) for s in first.spans] == [
        ("app", "AGENT"),
        ("search", "RETRIEVER"),
    ]
    assert first.spans[1].outputs == [{"page_content": "doc"}]
    assert first.spans[1].parent_id == first.spans[0].span_id
    (found,) = evalkit.search_traces(
        filter_string=f"trace.name = 'app' AND attributes.run_id = '{run.info.run_id}'",
        return_type="list",
    )
    assert found.trace_id == first.trace_id
