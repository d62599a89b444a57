"""MLflow's ``tests/genai/scorers/test_scorer.py``, ported: same data, same expectations.

``DIFFERENCE:`` marks deliberate differences: evalkit registers an ``@scorer`` function by its
import path anywhere (MLflow OSS refuses custom scorer registration outside Databricks,
because it would store and run source code), and there is no source to load at all.
"""

from __future__ import annotations

import pandas as pd
import pytest

import evalkit
from evalkit.entities import AssessmentError, AssessmentSource, AssessmentSourceType, Feedback
from evalkit.errors import ScorerError
from evalkit.genai import Scorer, scorer
from evalkit.genai.judges import make_judge
from evalkit.genai.scorers import get_scorer, list_scorers


def always_yes(inputs, outputs, expectations, trace):  # type: ignore[no-untyped-def]
    return "yes"


class AlwaysYesScorer(Scorer):
    def __call__(self, inputs, outputs, expectations, trace):  # type: ignore[no-untyped-def]
        return "yes"


@pytest.fixture
def sample_data() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "inputs": [
                {"message": [{"role": "user", "content": "What is Spark??"}]},
                {
                    "messages": [
                        {"role": "user", "content": "How can you minimize data shuffling in Spark?"}
                    ]
                },
            ],
            "outputs": [
                {"choices": [{"message": {"content": "actual response for first question"}}]},
                {"choices": [{"message": {"content": "actual response for second question"}}]},
            ],
            "expectations": [
                {"expected_response": "expected response for first question"},
                {"expected_response": "expected response for second question"},
            ],
        }
    )


@pytest.mark.parametrize(
    "dummy_scorer", [AlwaysYesScorer(name="always_yes"), scorer(always_yes)], ids=["class", "fn"]
)
def test_scorer_existence_in_metrics(sample_data: pd.DataFrame, dummy_scorer: Scorer) -> None:
    result = evalkit.genai.evaluate(data=sample_data, scorers=[dummy_scorer])
    assert any("always_yes" in metric for metric in result.metrics)


@pytest.mark.parametrize(
    "dummy_scorer",
    [AlwaysYesScorer(name="always_no"), scorer(name="always_no")(always_yes)],
    ids=["class", "fn"],
)
def test_scorer_name_works(sample_data: pd.DataFrame, dummy_scorer: Scorer) -> None:
    result = evalkit.genai.evaluate(data=sample_data, scorers=[dummy_scorer])
    assert any("always_no" in metric for metric in result.metrics)


@pytest.mark.parametrize(
    "scorer_return",
    [
        "yes",
        42,
        42.0,
        Feedback(name="big_question", value=42, rationale="It's the answer to everything"),
        [
            Feedback(name="big_question", value=42, rationale="It's the answer to everything"),
            Feedback(name="small_question", value=1, rationale="Not sure, just a guess"),
        ],
    ],
    ids=["str", "int", "float", "feedback", "feedbacks"],
)
def test_scorer_on_genai_evaluate(sample_data: pd.DataFrame, scorer_return: object) -> None:
    @scorer
    def dummy_scorer(inputs, outputs):  # type: ignore[no-untyped-def]
        return scorer_return

    results = evalkit.genai.evaluate(data=sample_data, scorers=[dummy_scorer])
    if isinstance(scorer_return, Feedback):
        assert any(str(scorer_return.name) in metric for metric in results.metrics)
    elif isinstance(scorer_return, list):
        assert any(item.name in metric for item in scorer_return for metric in results.metrics)
    else:
        assert any("dummy_scorer" in metric for metric in results.metrics)


def test_custom_scorer_allow_none_return() -> None:
    @scorer
    def dummy_scorer(inputs, outputs):  # type: ignore[no-untyped-def]
        return None

    assert dummy_scorer.run(inputs={"question": "query"}, outputs="answer") is None


def test_scorer_returns_feedback_with_error(sample_data: pd.DataFrame) -> None:
    @scorer
    def dummy_scorer(inputs):  # type: ignore[no-untyped-def]
        return Feedback(
            name="feedback_with_error",
            error=AssessmentError(error_code="500", error_message="This is an error"),
            source=AssessmentSource(source_type=AssessmentSourceType.LLM_JUDGE, source_id="gpt"),
            metadata={"index": 0},
        )

    results = evalkit.genai.evaluate(data=sample_data, scorers=[dummy_scorer])
    assert all("dummy_scorer" not in metric for metric in results.metrics)
    # DIFFERENCE: evalkit also says how many rows failed instead of leaving the metric out
    assert results.metrics["feedback_with_error/error_count"] == 2


@pytest.mark.parametrize(
    ("scorer_return", "expected_feedback_name"),
    [
        (Feedback(value=42, rationale="rationale"), "my_scorer"),
        (Feedback(name="custom_name", value=42, rationale="rationale"), "custom_name"),
    ],
)
def test_custom_scorer_overwrites_default_feedback_name(
    scorer_return: Feedback, expected_feedback_name: str
) -> None:
    @scorer
    def my_scorer(inputs, outputs):  # type: ignore[no-untyped-def]
        return scorer_return

    feedback = my_scorer.run(
        inputs={"question": "What is the capital of France?"},
        outputs="The capital of France is Paris.",
    )
    assert isinstance(feedback, Feedback)
    assert feedback.name == expected_feedback_name
    assert feedback.value == 42


def test_custom_scorer_does_not_overwrite_feedback_name_when_returning_list() -> None:
    @scorer
    def my_scorer(inputs, outputs):  # type: ignore[no-untyped-def]
        return [
            Feedback(name="big_question", value=42, rationale="It's the answer to everything"),
            Feedback(name="small_question", value=1, rationale="Not sure, just a guess"),
        ]

    feedbacks = my_scorer.run(
        inputs={"question": "What is the capital of France?"},
        outputs="The capital of France is Paris.",
    )
    assert isinstance(feedbacks, list)
    assert feedbacks[0].name == "big_question"
    assert feedbacks[1].name == "small_question"


@scorer
def test_custom_scorer(outputs) -> bool:  # type: ignore[no-untyped-def]
    return len(outputs) > 0


test_custom_scorer.__test__ = False  # type: ignore[attr-defined]  # a scorer, not a pytest test


def test_custom_scorer_registration_by_import_path() -> None:
    experiment_id = evalkit.create_experiment("test_security_experiment")
    # DIFFERENCE: MLflow OSS raises "Custom scorer registration ... not supported outside of
    # Databricks tracking"; evalkit stores the function's import path, never its source
    registered = test_custom_scorer.register(experiment_id=experiment_id, name="test_scorer")
    assert registered.name == "test_scorer"
    loaded = get_scorer(name="test_scorer", experiment_id=experiment_id)
    assert loaded(outputs="x") is True


def test_custom_scorer_loading_of_source_is_impossible() -> None:
    serialized = {
        "name": "malicious_scorer",
        "call_source": "import os\nos.system('echo hacked')\nreturn True",
        "call_signature": "(outputs)",
        "original_func_name": "malicious_scorer",
    }
    with pytest.raises(ScorerError, match="not a stored scorer"):
        Scorer.model_validate(serialized)


def test_make_judge_scorer_works_without_databricks_uri() -> None:
    experiment_id = evalkit.create_experiment("test_make_judge_experiment")
    judge_scorer = make_judge(
        instructions="Evaluate if the {{outputs}} is helpful and relevant",
        name="helpfulness_judge",
        feedback_value_type=str,
    )
    registered_scorer = judge_scorer.register(experiment_id=experiment_id, name="helpfulness_judge")
    assert registered_scorer is not None
    assert registered_scorer.name == "helpfulness_judge"
    retrieved_scorer = get_scorer(name="helpfulness_judge", experiment_id=experiment_id)
    assert retrieved_scorer is not None
    assert retrieved_scorer.name == "helpfulness_judge"
    scorers = list_scorers(experiment_id=experiment_id)
    assert len(scorers) == 1
    assert scorers[0].name == "helpfulness_judge"
