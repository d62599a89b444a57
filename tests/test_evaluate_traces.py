"""evaluate() over traces: each trace a row, inputs/outputs from the root span, expectations
from its expectation assessments; scorers and judges that ask for the trace; {{ trace }}."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest

import evalkit
from evalkit import scorer
from evalkit.entities import Expectation
from evalkit.errors import DataError
from evalkit.judges import make_judge
from evalkit.judges.views import TRACE_VALUE_CHARS, TRACE_VIEW_CHARS, trace_view
from evalkit.testing import JudgeServer
from evalkit.tracing import Span, Trace, TraceInfo


def _trace(question: str, answer: str, *, session: str | None = None, **expected: Any) -> Trace:
    info = TraceInfo(
        trace_metadata={"mlflow.trace.session": session} if session else {},
        assessments=[Expectation(name=k, value=v) for k, v in expected.items()],
    )
    return Trace(
        info=info,
        spans=[
            Span(
                name="agent",
                span_type="AGENT",
                span_id="a",
                inputs={"question": question},
                outputs=answer,
                start_time_ns=1_000_000_000,
                end_time_ns=1_250_000_000,
            ),
            Span(
                name="get_weather",
                span_type="TOOL",
                span_id="b",
                parent_id="a",
                inputs={"city": "Paris"},
                outputs={"sky": "sunny"},
                start_time_ns=1_010_000_000,
                end_time_ns=1_012_500_000,
            ),
        ],
    )


@scorer
def exact(outputs: Any, expectations: dict[str, Any]) -> bool:
    return bool(outputs == expectations["expected_response"])


@scorer
def tool_count(trace: Trace) -> int:
    return len(trace.search_spans(span_type="TOOL"))


def test_a_list_of_traces_is_evaluated_row_by_row() -> None:
    traces = [
        _trace("Weather in Paris?", "Sunny.", expected_response="Sunny."),
        _trace("Weather in Rome?", "Rainy.", expected_response="Sunny."),
    ]
    result = evalkit.evaluate(data=traces, scorers=[exact, tool_count], log=False)
    assert result.metrics["exact/mean"] == 0.5
    assert result.metrics["tool_count/mean"] == 1.0
    table = result.tables["eval_results_table"]
    assert table["inputs"].tolist() == [
        {"question": "Weather in Paris?"},
        {"question": "Weather in Rome?"},
    ]
    assert table["outputs"].tolist() == ["Sunny.", "Rainy."]
    assert table["expectations"].tolist() == [{"expected_response": "Sunny."}] * 2
    assert table["trace"].tolist() == traces


def test_a_search_traces_frame_is_evaluated_from_its_trace_column() -> None:
    traces = [_trace("Q1", "A1", expected_response="A1"), _trace("Q2", "A2")]
    frame = pd.DataFrame(
        {
            "trace_id": [t.info.trace_id for t in traces],
            "trace": traces,
            "request": [json.dumps(t.root.inputs) for t in traces],  # type: ignore[union-attr]
            "response": ["preview", "preview"],
            "state": ["OK", "OK"],
            "tags": [{}, {}],
            "assessments": [[], []],
        }
    )
    result = evalkit.evaluate(data=frame, scorers=[tool_count], log=False)
    table = result.tables["eval_results_table"]
    assert table["outputs"].tolist() == ["A1", "A2"]
    assert table["expectations"].tolist() == [{"expected_response": "A1"}, None]


def test_trace_json_in_a_frame_reads_too() -> None:
    frame = pd.DataFrame({"trace_id": ["t1"], "trace": [_trace("Q", "A").to_json()]})
    result = evalkit.evaluate(data=frame, scorers=[tool_count], log=False)
    assert result.tables["eval_results_table"]["inputs"].tolist() == [{"question": "Q"}]


def test_a_trace_without_a_root_is_a_data_error_naming_the_row() -> None:
    orphan = Trace(spans=[Span(name="x", span_id="b", parent_id="missing")])
    with pytest.raises(DataError, match=r"row 1: the trace has no root span"):
        evalkit.evaluate(data=[_trace("Q", "A"), orphan], scorers=[tool_count], log=False)


def test_records_without_traces_get_a_one_span_trace_of_their_row() -> None:
    # as mlflow.genai.evaluate does: a scorer that reads `trace` sees the row's inputs and
    # outputs as one span, not a missing argument
    seen = []

    @scorer
    def root_io(trace) -> int:  # type: ignore[no-untyped-def]
        (span,) = trace.data.spans
        seen.append((span.inputs, span.outputs))
        return len(trace.data.spans)

    rows = [{"inputs": {"q": 1}, "outputs": "x"}, {"inputs": {"q": 2}, "outputs": "y"}]
    result = evalkit.evaluate(data=rows, scorers=[root_io, tool_count], log=False)
    assert sorted(seen, key=str) == [({"q": 1}, "x"), ({"q": 2}, "y")]
    assert result.metrics["root_io/mean"] == 1
    assert result.metrics["tool_count/mean"] == 0


def test_trace_view_is_a_readable_tree() -> None:
    assert trace_view(_trace("Weather in Paris?", "Sunny.")) == (
        "2 spans:\n"
        "- agent [AGENT, 250.0 ms]\n"
        '  inputs: {"question": "Weather in Paris?"}\n'
        "  outputs: Sunny.\n"
        "  - get_weather [TOOL, 2.5 ms]\n"
        '    inputs: {"city": "Paris"}\n'
        '    outputs: {"sky": "sunny"}'
    )


def test_trace_view_is_bounded() -> None:
    huge = "x" * 100_000
    spans = [Span(name="root", span_id="r", inputs=huge, outputs="ok")]
    spans += [
        Span(name=f"s{i}", span_type="TOOL", span_id=f"s{i}", parent_id="r", outputs=huge)
        for i in range(500)
    ]
    spans.append(Span(name="failed", span_id="f", parent_id="r", status="ERROR", error="E: x"))
    view = trace_view(Trace(spans=spans))
    assert len(view) <= TRACE_VIEW_CHARS + 100
    assert f"  inputs: {'x' * TRACE_VALUE_CHARS}... [{100_000 - TRACE_VALUE_CHARS} more" in view
    assert view.endswith("more spans not shown")


def test_trace_view_survives_cycles_and_missing_parents() -> None:
    spans = [
        Span(name="a", span_id="a", parent_id="b"),
        Span(name="b", span_id="b", parent_id="a"),
        Span(name="lost", span_id="c", parent_id="nowhere"),
    ]
    view = trace_view(Trace(spans=spans))
    assert view.count("- a [") == 1 and view.count("- b [") == 1
    assert "\n- lost [UNKNOWN]" in view


def test_make_judge_renders_the_trace_view(judge_server: JudgeServer) -> None:
    judge_server.add_rule(match=None, reply={"result": "yes", "rationale": "used the tool"})
    judge = make_judge(
        name="used_tools",
        instructions="Did the agent use a tool to answer?\n{{ trace }}",
        feedback_value_type=bool,
        model="openai:/gpt-4.1-mini",
    )
    result = evalkit.evaluate(data=[_trace("Weather?", "Sunny.")], scorers=[judge], log=False)
    assert result.metrics["used_tools/mean"] == 1.0
    (request,) = judge_server.requests
    assert request.messages[1]["content"] == (
        "Did the agent use a tool to answer?\n<data>2 spans:\n"
        "- agent [AGENT, 250.0 ms]\n"
        '  inputs: {"question": "Weather?"}\n'
        "  outputs: Sunny.\n"
        "  - get_weather [TOOL, 2.5 ms]\n"
        '    inputs: {"city": "Paris"}\n'
        '    outputs: {"sky": "sunny"}</data>'
    )


def test_conversation_view_is_bounded_and_lists_tools() -> None:
    from evalkit.judges.views import CONVERSATION_VIEW_CHARS, TURN_CHARS, conversation_view

    long = "y" * (TURN_CHARS + 10)
    turns = [{"inputs": {"question": long}, "outputs": "ok", "trace": _trace("q", "a")}] * 30
    view = conversation_view(turns)
    assert len(view) <= CONVERSATION_VIEW_CHARS + 100
    assert view.startswith("(") and "earlier turns not shown)" in view.splitlines()[0]
    assert f"User: {'y' * TURN_CHARS}... [10 more characters]" in view
    assert "(tools called: get_weather)" in view
    assert view.rstrip().endswith("Assistant: ok")


def test_make_judge_conversation_in_evaluate(judge_server: JudgeServer) -> None:
    judge_server.add_rule(match=None, reply={"result": "yes", "rationale": "kept the goal"})
    judge = make_judge(
        name="goal_kept",
        instructions="Goal: {{ expectations.goal | plain }}\n{{ conversation }}\nKept?",
        feedback_value_type=bool,
        model="openai:/gpt-4.1-mini",
    )
    traces = [
        _trace("Weather in Paris?", "Sunny.", session="c1", goal="plan a trip"),
        _trace("And tomorrow?", "Rain.", session="c1"),
    ]
    result = evalkit.evaluate(data=traces, scorers=[judge], log=False)
    assert result.metrics["goal_kept/mean"] == 1.0
    (request,) = judge_server.requests  # once for the conversation, not per turn
    assert request.messages[1]["content"] == (
        "Goal: plan a trip\n<data>Turn 1\nUser: Weather in Paris?\n"
        "(tools called: get_weather)\nAssistant: Sunny.\n\nTurn 2\nUser: And tomorrow?\n"
        "(tools called: get_weather)\nAssistant: Rain.</data>\nKept?"
    )


def test_a_record_fills_what_it_lacks_from_its_trace() -> None:
    trace = _trace("From the trace?", "Traced answer.", expected_response="Traced answer.")
    rows = [
        {"inputs": {"question": "Given"}, "trace": trace},
        {"inputs": {"question": "Given"}, "outputs": "Given answer.", "trace": trace},
        {
            "inputs": {"question": "Given"},
            "expectations": {"expected_response": "x"},
            "trace": trace,
        },
    ]
    table = evalkit.evaluate(data=rows, scorers=[exact], log=False).tables["eval_results_table"]
    assert table["inputs"].tolist() == [{"question": "Given"}] * 3  # given values win
    assert table["outputs"].tolist() == ["Traced answer.", "Given answer.", "Traced answer."]
    assert table["expectations"].tolist() == [
        {"expected_response": "Traced answer."},
        {"expected_response": "Traced answer."},
        {"expected_response": "x"},
    ]
