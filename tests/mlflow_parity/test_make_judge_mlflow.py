"""MLflow's ``tests/genai/judges/test_make_judge.py``, ported: same inputs, same expectations.

MLflow mocks ``invoke_judge_model``; here the judge talks to :class:`JudgeServer` over HTTP
and the test reads the request it sent. ``DIFFERENCE:`` marks where evalkit deliberately
differs (its own error wording; Databricks-only models are not supported).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from evalkit.entities import Feedback
from evalkit.errors import JudgeError
from evalkit.genai import make_judge
from evalkit.judges import InstructionsJudge
from evalkit.testing import JudgeServer


@pytest.fixture
def server() -> Iterator[JudgeServer]:
    reply = {"result": True, "rationale": "The response is formal"}
    with JudgeServer(default_reply=reply) as running, running.env():
        yield running


def test_make_judge_creates_instructions_judge() -> None:
    judge = make_judge(
        name="test_judge", instructions="Check if {{ outputs }} is formal", model="openai:/gpt-4"
    )
    assert isinstance(judge, InstructionsJudge)
    assert judge.name == "test_judge"
    assert judge.instructions == "Check if {{ outputs }} is formal"
    assert judge.model == "openai:/gpt-4"


def test_make_judge_with_default_model(monkeypatch: pytest.MonkeyPatch) -> None:
    expected_model = "openai:/gpt-4-test"
    monkeypatch.setenv("EVALKIT_JUDGE_MODEL", expected_model)  # MLflow patches get_default_model
    judge = make_judge(name="test_judge", instructions="Check if {{ outputs }} is accurate")
    assert judge.model == expected_model


@pytest.mark.parametrize(
    ("instructions", "expected_vars"),
    [
        ("Check if {{ inputs }} is correct", {"inputs"}),
        ("Check {{ outputs }} against expectations", {"outputs"}),
        ("Validate {{ inputs }} and {{ outputs }}", {"inputs", "outputs"}),
        (
            "Check {{ inputs }}, {{ outputs }}, and {{ expectations }}",
            {"inputs", "outputs", "expectations"},
        ),
        ("Analyze this {{ trace }}", {"trace"}),
    ],
)
def test_template_variable_extraction(instructions: str, expected_vars: set[str]) -> None:
    judge = make_judge(name="test_judge", instructions=instructions, model="openai:/gpt-4")
    assert judge.template_variables == expected_vars


@pytest.mark.parametrize(
    "instructions",
    [
        "Check if {{ query }} is answered by {{ response }}",
        "Check {{ answer }} against {{ expected_answer }}",
        "Validate {{ custom_field }}",
        "Analyze {{ trace }} and check {{ custom_field }}",  # test_trace_variable_restrictions
    ],
)
def test_custom_variables_rejected(instructions: str) -> None:
    # DIFFERENCE: evalkit's message names the unknown variable and the allowed ones, instead
    # of MLflow's "Instructions template contains unsupported variables: {...}".
    with pytest.raises(JudgeError, match="inputs"):
        make_judge(name="test_judge", instructions=instructions, model="openai:/gpt-4")


@pytest.mark.parametrize(
    ("name", "instructions", "model"),
    [
        ("", "Check {{ outputs }}", "openai:/gpt-4"),
        ("test", "", "openai:/gpt-4"),
        ("test", "Check response", "openai:/gpt-4"),
        ("test", "Check {{ outputs }}", "invalid-model"),
        ("test", "Check {{ outputs }}", "invalid:/"),
        ("test", "Check {{ outputs }}", "openai:"),
    ],
)
def test_validation_errors(name: str, instructions: str, model: str) -> None:
    # DIFFERENCE: the same cases fail, with evalkit's wording
    with pytest.raises(JudgeError):
        make_judge(name=name, instructions=instructions, model=model)


@pytest.mark.parametrize("model", ["openai:/gpt-4", "anthropic:/claude-3", "bedrock:/claude-v1"])
def test_valid_model_formats(model: str) -> None:
    # DIFFERENCE: "databricks" and "endpoints:/..." (Databricks serving) are not offered
    judge = make_judge(
        name="test_judge", instructions="Check if {{ outputs }} is valid", model=model
    )
    assert judge.model == model


def test_trace_with_inputs_outputs_allowed() -> None:
    judge1 = make_judge(
        name="test_judge",
        instructions="Analyze {{ trace }} and {{ inputs }}",
        model="openai:/gpt-4",
    )
    assert judge1.template_variables == {"trace", "inputs"}
    judge2 = make_judge(
        name="test_judge",
        instructions="Analyze {{ trace }} and {{ outputs }}",
        model="openai:/gpt-4",
    )
    assert judge2.template_variables == {"trace", "outputs"}


def test_trace_with_expectations_allowed() -> None:
    judge = make_judge(
        name="test_judge",
        instructions="Analyze {{ trace }} against {{ expectations }}",
        model="openai:/gpt-4",
    )
    assert "trace" in judge.template_variables
    assert "expectations" in judge.template_variables


def test_call_with_no_inputs_or_outputs() -> None:
    judge = make_judge(
        name="test_judge", instructions="Check if {{ outputs }} is valid", model="openai:/gpt-4"
    )
    # DIFFERENCE: wording ("uses {{ outputs }} but it was not given; pass outputs=...")
    with pytest.raises(JudgeError, match="outputs"):
        judge()


def test_call_with_valid_outputs_returns_feedback(server: JudgeServer) -> None:
    judge = make_judge(
        name="formality_judge",
        instructions="Check if {{ outputs }} is formal",
        model="openai:/gpt-4",
        # DIFFERENCE: evalkit's default verdict type is str (MLflow's is unconstrained), so a
        # boolean verdict is declared
        feedback_value_type=bool,
    )
    test_output = "Dear Sir/Madam, I am writing to inquire..."
    result = judge(outputs={"response": test_output})
    assert isinstance(result, Feedback)
    assert result.name == "formality_judge"
    assert result.value is True
    assert result.rationale == "The response is formal"
    assert server.request_count == 1
    assert test_output in server.requests[0].prompt


def test_call_with_valid_inputs_and_outputs_returns_feedback(server: JudgeServer) -> None:
    judge = make_judge(
        name="inputs_outputs_judge",
        instructions="Check if {{ outputs }} matches {{ inputs }}",
        model="openai:/gpt-4",
        feedback_value_type=bool,  # DIFFERENCE: as above
    )
    test_input = {"query": "What is MLflow?"}
    test_output = {"response": "MLflow is an open source platform"}
    result = judge(inputs=test_input, outputs=test_output)
    assert (result.name, result.value, result.rationale) == (
        "inputs_outputs_judge",
        True,
        "The response is formal",
    )
    prompt = server.requests[0].prompt
    assert "What is MLflow?" in prompt and "MLflow is an open source platform" in prompt


@pytest.mark.parametrize(
    ("inputs", "outputs", "expectations", "should_fail"),
    [
        ({"text": "hello", "result": "world"}, None, None, True),  # Missing outputs
        ({"text": "hello"}, {"result": "world"}, None, False),  # Valid: both
        ({"text": "hello"}, {"result": "world"}, {"expected": "world"}, False),  # Valid: all
        (None, {"text": "hello", "result": "world"}, None, True),  # Missing inputs
    ],
)
def test_call_with_various_input_combinations(
    server: JudgeServer,
    inputs: dict[str, str] | None,
    outputs: dict[str, str] | None,
    expectations: dict[str, str] | None,
    should_fail: bool,
) -> None:
    judge = make_judge(
        name="test_judge",
        instructions="Check {{ inputs }} and {{ outputs }}",
        model="openai:/gpt-4",
    )
    if should_fail:
        with pytest.raises(JudgeError, match="not given"):
            judge(inputs=inputs, outputs=outputs, expectations=expectations)
    else:
        # evalkit also warns that {{ expectations }} is unused (MLflow ignores it silently)
        with pytest.warns(UserWarning) if expectations else _no_warning():
            result = judge(inputs=inputs, outputs=outputs, expectations=expectations)
        assert isinstance(result, Feedback)


def _no_warning():  # type: ignore[no-untyped-def]
    import contextlib

    return contextlib.nullcontext()


def test_instructions_property() -> None:
    judge = make_judge(
        name="test_judge", instructions="Check if {{ outputs }} is formal", model="openai:/gpt-4"
    )
    assert judge.instructions == "Check if {{ outputs }} is formal"
