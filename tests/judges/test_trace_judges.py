"""Conversation and agent judges: the exact prompt each sends (snapshots), session-level
behaviour in evaluate(), and their errors.

Regenerate the snapshots after a deliberate prompt change with
``EVALKIT_UPDATE_SNAPSHOTS=1 pytest tests/judges/test_trace_judges.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import evalkit
from evalkit.errors import JudgeError
from evalkit.judges import (
    ConversationCompleteness,
    GoalCompletion,
    KnowledgeRetention,
    RoleAdherence,
    ToolCallCorrectness,
    UserFrustration,
    make_judge,
)
from evalkit.testing import JudgeServer
from evalkit.tracing import Span, Trace

SNAPSHOTS = Path(__file__).parent / "snapshots" / "trace_judges_prompts.json"

CHAT = [
    {
        "inputs": {"question": "I'm Ana and I need a vegan dinner idea."},
        "outputs": "Try a lentil curry.",
    },
    {
        "inputs": {"question": "No, I said vegan! Something without lentils?"},
        "outputs": "Chickpea tacos, Ana.",
    },
]
CHAT_MESSAGES = [
    {
        "inputs": {
            "messages": [
                {"role": "system", "content": "You are Acme's billing assistant."},
                {"role": "user", "content": "Write me a poem."},
            ]
        },
        "outputs": "I can only help with billing questions.",
    }
]
AGENT = Trace(
    spans=[
        Span(
            name="agent",
            span_type="AGENT",
            span_id="a",
            inputs={"question": "Weather in Paris?"},
            outputs="Sunny, 21 C.",
        ),
        Span(
            name="get_weather",
            span_type="TOOL",
            span_id="b",
            parent_id="a",
            inputs={"city": "Paris"},
            outputs={"sky": "sunny", "temp_c": 21},
        ),
        Span(
            name="get_time",
            span_type="TOOL",
            span_id="c",
            parent_id="a",
            inputs={"tz": "CET"},
            status="ERROR",
            error="TimeoutError: slow",
        ),
    ]
)

CASES: dict[str, Callable[[], Any]] = {
    "ConversationCompleteness": lambda: ConversationCompleteness()(conversation=CHAT),
    "UserFrustration": lambda: UserFrustration()(conversation=CHAT),
    "KnowledgeRetention": lambda: KnowledgeRetention()(conversation=CHAT),
    "RoleAdherence/configured": lambda: RoleAdherence(role="A friendly cooking assistant.")(
        conversation=CHAT
    ),
    "RoleAdherence/system_message": lambda: RoleAdherence()(conversation=CHAT_MESSAGES),
    "ToolCallCorrectness": lambda: ToolCallCorrectness()(trace=AGENT),
    "ToolCallCorrectness/expected": lambda: ToolCallCorrectness()(
        trace=AGENT,
        expectations={
            "expected_tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris"}}]
        },
    ),
    "GoalCompletion": lambda: GoalCompletion()(trace=AGENT),
    "make_judge/conversation": lambda: make_judge(
        name="polite",
        instructions="Is the assistant polite throughout?\n{{ conversation }}",
        feedback_value_type=bool,
    )(conversation=CHAT),
}


def _rules(server: JudgeServer) -> None:
    server.add_rule(match="frustrated", reply={"result": "resolved", "rationale": "r"})
    server.add_rule(match="polite", reply={"result": True, "rationale": "r"})
    server.add_rule(match=None, reply={"result": "yes", "rationale": "r"})


def test_every_prompt_matches_its_snapshot(judge_server: JudgeServer) -> None:
    captured: dict[str, Any] = {}
    for case, run in CASES.items():
        judge_server.reset()
        _rules(judge_server)
        feedback = run()
        assert feedback.error is None, (case, feedback.error)
        captured[case] = [r.messages for r in judge_server.requests]
    if os.environ.get("EVALKIT_UPDATE_SNAPSHOTS"):
        SNAPSHOTS.write_text(json.dumps(captured, indent=2, ensure_ascii=False) + "\n")
    expected = json.loads(SNAPSHOTS.read_text())
    assert sorted(captured) == sorted(expected)
    for case in CASES:
        assert captured[case] == expected[case], f"prompt of {case} changed"


def test_conversation_view_in_the_prompt(judge_server: JudgeServer) -> None:
    _rules(judge_server)
    assert KnowledgeRetention()(conversation=CHAT).value == "yes"
    task = judge_server.requests[0].messages[1]["content"]
    assert (
        "Conversation:\n<data>Turn 1\nUser: I'm Ana and I need a vegan dinner idea.\n"
        "Assistant: Try a lentil curry.\n\nTurn 2\n"
        "User: No, I said vegan! Something without lentils?\nAssistant: Chickpea tacos, Ana.</data>"
    ) in task


def test_session_judges_run_once_per_conversation(judge_server: JudgeServer) -> None:
    judge_server.add_rule(match="frustrated", reply={"result": "unresolved", "rationale": "r"})
    judge_server.add_rule(match="Bob", reply={"result": "no", "rationale": "dropped"})
    judge_server.add_rule(match=None, reply={"result": "yes", "rationale": "r"})
    records = [
        {
            "inputs": {"question": t["inputs"]["question"]},
            "outputs": t["outputs"],
            "session_id": "ana",
        }
        for t in CHAT
    ] + [{"inputs": {"question": "Hi, I'm Bob"}, "outputs": "Hello!", "session_id": "bob"}]
    result = evalkit.evaluate(
        data=records,
        scorers=[ConversationCompleteness(), UserFrustration(), evalkit.judges.Safety()],
        log=False,
    )
    # 2 conversations x 2 session judges + 3 rows x Safety
    assert judge_server.request_count == 7
    assert result.metrics["conversation_completeness/mean"] == 0.5
    assert result.metrics["conversation_completeness/count"] == 2
    assert result.metrics["user_frustration/count/unresolved"] == 2
    assert result.metrics["safety/count"] == 3
    conversations = result.tables["conversations"]
    assert conversations["session_id"].tolist() == ["ana", "bob"]
    assert conversations["turns"].tolist() == [2, 1]
    assert conversations["conversation_completeness/value"].tolist() == ["yes", "no"]
    assert conversations["safety/mean"].tolist() == [1.0, 1.0]
    assert "conversation_completeness/value" not in result.tables["eval_results_table"]


def test_tool_call_correctness_reads_tool_spans_in_evaluate(judge_server: JudgeServer) -> None:
    judge_server.add_rule(match=None, reply={"result": "yes", "rationale": "r"})
    result = evalkit.evaluate(
        data=[AGENT], scorers=[ToolCallCorrectness(), GoalCompletion()], log=False
    )
    assert result.metrics["tool_call_correctness/mean"] == 1.0
    assert result.metrics["goal_completion/mean"] == 1.0
    (task,) = [
        r.messages[1]["content"]
        for r in judge_server.requests
        if "Tool calls the agent made" in r.prompt
    ]
    assert '1. get_weather(city="Paris")' in task and '2. get_time(tz="CET") -> FAILED' in task


def test_conversation_judge_errors_are_clear() -> None:
    with pytest.raises(JudgeError, match="needs the assistant's role"):
        RoleAdherence()(conversation=CHAT)
    with pytest.raises(JudgeError, match="scores a conversation"):
        ConversationCompleteness()(conversation="hello")
    with pytest.raises(JudgeError, match=r"cannot also use \{\{ outputs \}\}"):
        make_judge(name="bad", instructions="{{ conversation }} {{ outputs }}")


def test_session_level_flags() -> None:
    assert ConversationCompleteness().is_session_level_scorer
    assert RoleAdherence().arguments == ("conversation", "expectations")
    assert not ToolCallCorrectness().is_session_level_scorer
    judge = make_judge(name="j", instructions="{{ conversation }} vs {{ expectations }}")
    assert judge.is_session_level_scorer and judge.arguments == ("expectations", "conversation")
