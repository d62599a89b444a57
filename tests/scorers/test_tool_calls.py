"""Deterministic agent scorers: known answers over TOOL spans and expected_tool_calls."""

from __future__ import annotations

from typing import Any

import pytest

import evalkit
from evalkit.errors import ScorerError
from evalkit.scorers import (
    AgentSteps,
    FailedToolCalls,
    RedundantToolCalls,
    ToolArgumentsMatch,
    ToolCallsMatch,
)
from evalkit.tracing import Span, Trace


def _agent(*calls: tuple[str, dict[str, Any]] | tuple[str, dict[str, Any], str]) -> Trace:
    spans = [Span(name="agent", span_type="AGENT", span_id="root", inputs={"q": "?"}, outputs="!")]
    spans.append(Span(name="plan", span_type="LLM", span_id="llm", parent_id="root"))
    for i, call in enumerate(calls):
        status = call[2] if len(call) == 3 else "OK"  # type: ignore[misc]
        spans.append(
            Span(
                name=call[0],
                span_type="TOOL",
                span_id=f"t{i}",
                parent_id="root",
                inputs=call[1],
                start_time_ns=100 + i,
                status=status,
            )
        )
    return Trace(spans=spans)


TRACE = _agent(
    ("search", {"query": "flights to Rome", "max": 5}),
    ("book", {"flight": "AZ123"}),
    ("search", {"query": "flights to Rome", "max": 5}),
    ("email", {"to": "ana@example.com"}, "ERROR"),
)
EXPECT = ["search", "book", "email"]


@pytest.mark.parametrize(
    ("mode", "expected", "value"),
    [
        ("exact", ["search", "book", "search", "email"], True),
        ("exact", EXPECT, False),  # the repeated search is one call too many
        ("in_order", EXPECT, True),
        ("in_order", ["book", "search", "search", "email"], False),
        ("any_order", ["email", "search", "search", "book"], True),
        ("any_order", EXPECT, False),
        ("subset", ["email", "search"], True),
        ("subset", ["email", "cancel"], False),
        ("subset", ["book", "book"], False),  # each expected call needs a call of its own
    ],
)
def test_tool_calls_match_modes(mode: str, expected: list[str], value: bool) -> None:
    fb = ToolCallsMatch(mode=mode)(  # type: ignore[arg-type]
        expectations={"expected_tool_calls": expected}, trace=TRACE
    )
    assert fb.value is value
    assert "called: search(" in (fb.rationale or "")


def test_arguments_are_checked_when_asked() -> None:
    right = [{"name": "book", "arguments": {"flight": "AZ123"}}]
    wrong = [{"name": "book", "arguments": {"flight": "LH1"}}]
    scorer = ToolCallsMatch(mode="subset", check_arguments=True)
    assert scorer(expectations={"expected_tool_calls": right}, trace=TRACE).value is True
    assert scorer(expectations={"expected_tool_calls": wrong}, trace=TRACE).value is False
    # without check_arguments only the names count
    assert ToolCallsMatch(mode="subset")(
        expectations={"expected_tool_calls": wrong}, trace=TRACE
    ).value


def test_argument_match_fraction() -> None:
    expected = [
        {"name": "search", "arguments": {"query": "flights to Rome"}},  # subset of the args
        {"name": "book", "args": {"flight": "LH1"}},
        {"name": "email", "input_parameters": {"to": "ana@example.com"}},
        "cancel",  # no arguments: not counted
    ]
    fb = ToolArgumentsMatch()(expectations={"expected_tool_calls": expected}, trace=TRACE)
    assert fb.value == pytest.approx(2 / 3)
    assert 'book(flight="LH1")' in (fb.rationale or "")


def test_redundant_failed_and_steps() -> None:
    assert RedundantToolCalls()(trace=TRACE).value == 1
    assert FailedToolCalls()(trace=TRACE).value == 1
    assert AgentSteps()(trace=TRACE).value == 5  # 4 tool calls and 1 LLM call
    assert AgentSteps(span_types=("TOOL",))(trace=TRACE).value == 4
    assert RedundantToolCalls()(trace=_agent()).value == 0


def test_bad_expectations_are_explained() -> None:
    with pytest.raises(ScorerError, match="needs expectations\\['expected_tool_calls'\\]"):
        ToolCallsMatch()(expectations={}, trace=TRACE)
    with pytest.raises(ScorerError, match=r"expected_tool_calls\[0\] is 3"):
        ToolCallsMatch()(expectations={"expected_tool_calls": [3]}, trace=TRACE)
    with pytest.raises(ScorerError, match="mode='sometimes' is not one of"):
        ToolCallsMatch(mode="sometimes")  # type: ignore[arg-type]


def test_in_evaluate_every_row_ends_as_a_value_or_a_coded_error() -> None:
    records = [
        {"trace": TRACE, "expectations": {"expected_tool_calls": EXPECT}},
        {"trace": _agent(("search", {})), "expectations": {"expected_tool_calls": ["book"]}},
        {"trace": _agent(), "expectations": {"other": 1}},
    ]
    result = evalkit.evaluate(
        data=records,
        scorers=[ToolCallsMatch(mode="in_order"), FailedToolCalls(), AgentSteps()],
        log=False,
    )
    table = result.tables["eval_results_table"]
    assert table["tool_calls_match/value"].tolist()[:2] == [True, False]
    assert table["tool_calls_match/error_code"].tolist()[2] == "ScorerError"
    assert result.metrics["failed_tool_calls/mean"] == pytest.approx(1 / 3)
    assert result.metrics["agent_steps/mean"] == pytest.approx((5 + 2 + 1) / 3)
