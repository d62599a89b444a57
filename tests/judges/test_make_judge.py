"""make_judge end to end: litellm's real HTTP path to a loopback JudgeServer."""

from __future__ import annotations

import json
from typing import Literal

import pytest

import evalkit
from evalkit import AssessmentSourceType, Feedback
from evalkit.judges import get_default_model, make_judge, set_default_model
from evalkit.scorers import Correctness, Safety
from evalkit.testing import JudgeServer

FAST = {"timeout": 2.0, "max_retries": 1, "initial_backoff": 0.01, "max_backoff": 0.02}


def quality_judge() -> evalkit.Scorer:
    return make_judge(
        name="quality",
        instructions="Question: {{ inputs.question }}\nAnswer: {{ outputs.response }}\n"
        "Rubric: {{ expectations.rubric }}\nReturn a score from 1 to 5.",
        feedback_value_type=Literal["1", "2", "3", "4", "5"],
        model="openai:/gpt-4.1-mini",
    )


def test_must_show_quality_judge(judge_server: JudgeServer) -> None:
    judge_server.add_rule(
        match=r"2\+2", reply={"rationale": "It says 4, as the rubric asks.", "result": "5"}
    )
    quality = quality_judge()
    feedback = quality(
        inputs={"question": "2+2?"}, outputs={"response": "4"}, expectations={"rubric": "Says 4."}
    )
    assert isinstance(feedback, Feedback)
    assert (feedback.name, feedback.value, feedback.rationale) == (
        "quality",
        "5",
        "It says 4, as the rubric asks.",
    )
    assert feedback.source is not None
    assert feedback.source.source_type is AssessmentSourceType.LLM_JUDGE
    assert feedback.source.source_id == "openai:/gpt-4.1-mini"
    assert feedback.metadata["model_calls"] == 1 and feedback.metadata["input_tokens"] > 0
    assert feedback.metadata["output_tokens"] > 0 and feedback.metadata["cost"] > 0

    (request,) = judge_server.requests
    assert request.path == "/v1/chat/completions" and request.body is not None
    assert request.body["model"] == "gpt-4.1-mini" and request.body["temperature"] == 0
    assert request.messages[1] == {
        "role": "user",
        "content": "Question: <data>2+2?</data>\nAnswer: <data>4</data>\n"
        "Rubric: <data>Says 4.</data>\nReturn a score from 1 to 5.",
    }
    assert request.messages[0]["role"] == "system"
    assert (
        'The "result" must be exactly one of "1", "2", "3", "4", "5".'
        in request.messages[0]["content"]
    )
    schema = request.body["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["result"] == {"type": "string", "enum": ["1", "2", "3", "4", "5"]}


def test_must_show_evaluate_with_builtins(judge_server: JudgeServer) -> None:
    judge_server.add_rule(
        match="Return a score from 1 to 5", reply={"result": "4", "rationale": "good"}
    )
    judge_server.add_rule(
        match="Task: decide whether the content is safe",
        reply={"result": "yes", "rationale": "harmless"},
    )
    judge_server.add_rule(
        match=r"Response:\n<data>5</data>", reply={"result": "no", "rationale": "wrong"}
    )
    judge_server.add_rule(
        match="Task: decide whether the response", reply={"result": "yes", "rationale": "right"}
    )
    data = [
        {
            "inputs": {"question": "2+2?"},
            "outputs": {"response": answer},
            "expectations": {"rubric": "Says 4.", "expected_response": "4"},
        }
        for answer in ("4", "4", "5", "4")
    ]
    result = evalkit.evaluate(data=data, scorers=[quality_judge(), Correctness(), Safety()])
    assert result.metrics["quality/mean"] == 4.0
    assert result.metrics["correctness/mean"] == 0.75
    assert result.metrics["safety/mean"] == 1.0
    assert result.metrics["correctness/error_count"] == 0
    table = result.tables["eval_results_table"]
    assert list(table["correctness/value"]) == ["yes", "yes", "no", "yes"]
    assert list(table["correctness/rationale"]) == ["right", "right", "wrong", "right"]
    # rows 0, 1 and 3 are identical: a judge may answer one of them from the call cache
    assert result.usage["judge_calls"] == 12
    assert judge_server.request_count + result.usage["cached_calls"] == 12


def test_unreadable_answer_is_asked_for_once_more(judge_server: JudgeServer) -> None:
    judge_server.add_rule(match=None, reply="I would say it is rather good.", times=1)
    judge_server.add_rule(
        match=None, reply='```json\n{"result": "3", "rationale": "second try"}\n```'
    )
    feedback = quality_judge()(
        inputs={"question": "q"}, outputs={"response": "a"}, expectations={"rubric": "r"}
    )
    assert (feedback.value, feedback.rationale, feedback.error) == ("3", "second try", None)
    assert feedback.metadata["model_calls"] == 2
    first, second = judge_server.requests
    assert second.messages[:2] == first.messages
    assert second.messages[2] == {"role": "assistant", "content": "I would say it is rather good."}
    assert second.messages[3]["role"] == "user"
    assert second.messages[3]["content"].startswith(
        'Your answer could not be used: the answer is not JSON and result "I would say it is '
        'rather good." is not one of the allowed values "1", "2", "3", "4", "5".'
    )
    assert (
        'where "result" is exactly one of "1", "2", "3", "4", "5".' in second.messages[3]["content"]
    )


def test_answer_still_unreadable_after_retry_is_an_error_not_nan(judge_server: JudgeServer) -> None:
    judge_server.add_rule(match=None, reply={"result": "7", "rationale": "off the scale"})
    feedback = quality_judge()(
        inputs={"question": "q"}, outputs={"response": "a"}, expectations={"rubric": "r"}
    )
    assert feedback.value is None and feedback.error is not None
    assert feedback.error.error_code == "INVALID_JUDGE_OUTPUT"
    assert feedback.error.error_message == (
        'the judge\'s answer could not be read as exactly one of "1", "2", "3", "4", "5", even '
        'when asked again: result "7" is not one of the allowed values "1", "2", "3", "4", "5"'
    )
    assert json.loads(feedback.metadata["raw_answer"])["result"] == "7"
    assert judge_server.request_count == 2


def test_model_call_failure_becomes_the_feedback_error(judge_server: JudgeServer) -> None:
    judge_server.inject("unauthorized")
    feedback = quality_judge()(
        inputs={"question": "q"}, outputs={"response": "a"}, expectations={"rubric": "r"}
    )
    assert feedback.error is not None and feedback.error.error_code == "AUTHENTICATION_ERROR"
    assert "OPENAI_API_KEY" in (feedback.error.error_message or "")
    assert judge_server.request_count == 1  # not retried


@pytest.mark.parametrize(
    ("value_type", "reply", "expected"),
    [(bool, True, True), (int, "3", 3), (float, 0.5, 0.5), (str, "terse", "terse")],
)
def test_scalar_value_types(
    judge_server: JudgeServer, value_type: type, reply: object, expected: object
) -> None:
    judge_server.add_rule(match=None, reply={"result": reply, "rationale": "r"})
    j = make_judge(
        name="j",
        instructions="{{ outputs }}",
        model="openai:/gpt-4.1-mini",
        feedback_value_type=value_type,
    )
    value = j(outputs="x").value
    assert value == expected and type(value) is type(expected)


def test_default_model_is_documented_and_overridable(
    judge_server: JudgeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EVALKIT_JUDGE_MODEL", raising=False)
    assert get_default_model() == "openai:/gpt-4.1-mini"
    monkeypatch.setenv("EVALKIT_JUDGE_MODEL", "openai:/from-env")
    j = make_judge(name="j", instructions="{{ outputs }}")
    assert j.model == "openai:/from-env"  # recorded when built, as MLflow's make_judge
    assert j(outputs="x").source.source_id == "openai:/from-env"  # type: ignore[union-attr]
    set_default_model("openai:/set-globally")
    assert j(outputs="x").source.source_id == "openai:/from-env"  # type: ignore[union-attr]
    later = make_judge(name="later", instructions="{{ outputs }}")
    assert later(outputs="x").source.source_id == "openai:/set-globally"  # type: ignore[union-attr]
    assert [r.model for r in judge_server.requests] == ["from-env", "from-env", "set-globally"]
    with pytest.raises(evalkit.JudgeError):
        set_default_model("no-provider")


def test_api_base_headers_and_parameters_pass_through() -> None:
    with JudgeServer() as server:
        server.add_rule(match=None, reply={"result": "yes", "rationale": "r"})
        j = make_judge(
            name="j",
            instructions="{{ outputs }}",
            model="openai:/gpt-4.1-mini",
            api_base=server.url,
            extra_headers={"X-Team": "evals"},
            inference_params={"temperature": 0.3, "api_key": "sk-test"},
        )
        assert j(outputs="x").value == "yes"
        (request,) = server.requests
        assert request.headers["x-team"] == "evals"
        assert request.body is not None and request.body["temperature"] == 0.3


def test_judge_in_evaluate_without_the_field_it_needs_fails_early(
    judge_server: JudgeServer,
) -> None:
    data = [{"inputs": {"question": "q"}, "outputs": {"response": "a"}}]
    with pytest.raises(evalkit.DataError, match="scorer 'quality' needs the 'expectations' column"):
        evalkit.evaluate(data=data, scorers=[quality_judge()])
    assert judge_server.request_count == 0


def test_a_judge_pickles_and_renders_the_same_prompt_after() -> None:
    # chunks on Dask workers (and process pools) carry their judges pickled; a compiled
    # Jinja template does not pickle, so the checked source travels and is compiled again
    import pickle

    with JudgeServer() as server:
        server.add_rule(match=None, reply={"result": "yes", "rationale": "r"})
        j = make_judge(
            name="j",
            instructions="Is {{ outputs }} polite?",
            model="openai:/gpt-4.1-mini",
            api_base=server.url,
        )
        copy = pickle.loads(pickle.dumps(j))
        assert copy(outputs="thanks").value == "yes"
        assert j(outputs="thanks").value == "yes"
        first, second = server.requests
        assert first.messages == second.messages
        assert "Is <data>thanks</data> polite?" in first.prompt
