"""Pairwise judges: two outputs, asked twice with positions swapped; rendered prompts."""

from __future__ import annotations

import re
from typing import Any

import pytest

import evalkit
from evalkit.errors import JudgeError
from evalkit.judges import PairwisePreference, make_judge
from evalkit.scorers.registry import resolve
from evalkit.testing import JudgeServer
from evalkit.testing.server import RecordedRequest

MODEL = "openai:/gpt-4.1-mini"
PAIRWISE = (
    "Question: {{ inputs.question }}\nAnswer A: {{ outputs_a }}\nAnswer B: {{ outputs_b }}\n"
    "Which answer is better?"
)


def _prefers_good(request: RecordedRequest) -> dict[str, Any]:
    """A fair judge: prefers the answer that says 'good', wherever it is shown."""
    a = re.search(r"A:\s*<data>(.*?)</data>", request.prompt, re.S)
    b = re.search(r"B:\s*<data>(.*?)</data>", request.prompt, re.S)
    assert a is not None and b is not None
    if "good" in a.group(1) and "good" not in b.group(1):
        return {"result": "A", "rationale": "A is good"}
    if "good" in b.group(1) and "good" not in a.group(1):
        return {"result": "B", "rationale": "B is good"}
    return {"result": "tie", "rationale": "same"}


def test_make_judge_pairwise_asks_twice_with_positions_swapped(judge_server: JudgeServer) -> None:
    judge_server.add_rule(None, _prefers_good)
    judge = make_judge("better", PAIRWISE, MODEL, pairwise=True)
    fb = judge.compare(inputs={"question": "q?"}, outputs_a="meh", outputs_b="good answer")
    assert fb.value == "B" and fb.metadata["consistent"]
    first, second = (r.messages[1]["content"] for r in judge_server.requests)
    assert first == (
        "Question: <data>q?</data>\nAnswer A: <data>meh</data>\n"
        "Answer B: <data>good answer</data>\nWhich answer is better?"
    )
    assert second == (
        "Question: <data>q?</data>\nAnswer A: <data>good answer</data>\n"
        "Answer B: <data>meh</data>\nWhich answer is better?"
    )
    assert '"A"' in judge_server.requests[0].messages[0]["content"]  # the verdict's choices


def test_position_bias_cancels_to_a_tie(judge_server: JudgeServer) -> None:
    judge_server.add_rule(None, {"result": "A", "rationale": "the first one, always"})
    judge = make_judge("better", PAIRWISE, MODEL, pairwise=True)
    fb = judge.compare(inputs={"question": "q?"}, outputs_a="x", outputs_b="good")
    assert fb.value == "tie"
    assert fb.metadata == {
        "as_shown": "A",
        "swapped": "B",
        "consistent": False,
        "model_calls": 2,
        "cost": fb.metadata["cost"],
    }


def test_pairwise_make_judge_errors() -> None:
    with pytest.raises(JudgeError, match=r"must show both outputs; add \{\{ outputs_b \}\}"):
        make_judge("p", "{{ inputs }} {{ outputs_a }}", MODEL, pairwise=True)
    with pytest.raises(JudgeError, match="always 'A', 'B' or 'tie'"):
        make_judge("p", PAIRWISE, MODEL, pairwise=True, feedback_value_type=bool)
    with pytest.raises(JudgeError, match="unknown template variable 'outputs'"):
        make_judge("p", "{{ outputs }} {{ outputs_a }} {{ outputs_b }}", MODEL, pairwise=True)


def test_builtin_pairwise_preference_rendered_prompt(judge_server: JudgeServer) -> None:
    judge_server.add_rule(None, _prefers_good)
    fb = PairwisePreference(criteria=["Correct.", "Short."])(
        inputs={"question": "Capital of France?"}, outputs={"a": "Paris, good", "b": "Lyon"}
    )
    assert fb.value == "A" and fb.name == "pairwise_preference"
    assert judge_server.requests[0].messages[1]["content"] == (
        "Task: two responses answer the same request. Decide which response is better.\n\n"
        "Request:\n<data>Capital of France?</data>\n\n"
        "Response A:\n<data>Paris, good</data>\n\n"
        "Response B:\n<data>Lyon</data>\n\n"
        "Judge them by these criteria:\n- Correct.\n- Short.\n\n"
        "How to decide:\n"
        "- The order in which the responses are shown says nothing about their quality.\n"
        "- Length is not quality: prefer the longer response only if what it adds is correct "
        "and useful.\n"
        '- If neither response is clearly better, answer "tie".\n\n'
        'Result: "A" if response A is better, "B" if response B is better, "tie" if neither is.'
    )
    swapped = judge_server.requests[1].messages[1]["content"]
    assert "Response A:\n<data>Lyon</data>" in swapped


def test_pairwise_in_evaluate_and_estimate(judge_server: JudgeServer) -> None:
    judge_server.add_rule(None, _prefers_good)
    data = [
        {"inputs": {"question": "q1"}, "outputs": {"a": "good", "b": "bad"}},
        {"inputs": {"question": "q2"}, "outputs": ["bad", "good"]},
        {"inputs": {"question": "q3"}, "outputs": {"a": "same", "b": "same"}},
    ]
    judge = resolve("PairwisePreference")  # by name, as evaluate(scorers=[...]) and the CLI
    assert isinstance(judge, PairwisePreference)
    estimate = evalkit.estimate(data, [PairwisePreference()])
    assert estimate["judge_calls"] == 6  # two per row: the positions swapped
    assert judge_server.request_count == 0
    result = evalkit.evaluate(data, [judge], progress=False, log=False)
    assert result.result_df["pairwise_preference/value"].tolist() == ["A", "B", "tie"]
    assert result.metrics["pairwise_preference/count/A"] == 1
    assert result.usage["judge_calls"] == 6


def test_outputs_that_are_not_a_pair_are_a_row_error(judge_server: JudgeServer) -> None:
    result = evalkit.evaluate(
        [{"inputs": {"question": "q"}, "outputs": "one answer"}],
        [PairwisePreference()],
        progress=False,
        log=False,
    )
    assert "outputs as a pair" in result.result_df["pairwise_preference/error_message"][0]
    assert judge_server.request_count == 0
