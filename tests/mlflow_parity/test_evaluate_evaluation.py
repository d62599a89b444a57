"""Port of MLflow's tests/evaluate/test_evaluation.py (the ``mlflow.evaluate`` API), for
what evalkit provides: one (default) evaluator, models given as Python callables.

| MLflow test                                                    | here    | why              |
|----------------------------------------------------------------|---------|------------------|
| dataset hashing/metadata tests, tests of sklearn/pyfunc/Spark  | skipped | MLflow model     |
| model URIs (test_classifier_evaluate, test_regressor_evaluate, |         | URIs, Spark,     |
| test_pandas_df_regressor_evaluation, test_dataset_name, ...)   |         | mlflow.data      |
| test_evaluator_evaluation_interface,                           | skipped | the evaluator    |
| test_model_validation_interface_invalid_baseline_model_should_ |         | plug-in registry |
| throw, test_evaluate_with_multi_evaluators                     |         | (not provided)   |
| test_start_run_or_reuse_active_run                             | skipped | MLflow private   |
| test_evaluate_env_manager_params, test_evaluate_restores_env,  | skipped | virtualenv/conda |
| test_evaluate_terminates_model_servers                         |         | model servers    |

``test_normalize_evaluators_and_evaluator_config_args`` tests MLflow's private
``_normalize_config``; its cases are ported below as what ``evaluate`` does with them.
"""

from __future__ import annotations

import pandas as pd
import pytest

import evalkit
from evalkit import evaluate
from evalkit.errors import EvalkitError

MlflowException = EvalkitError


def _data():
    return pd.DataFrame(
        {
            "question": ["q1?"] * 2,
            "ground_truth": [["doc1", "doc2"]] * 2,
            "retrieved": [["doc1", "doc3", "doc2"]] * 2,
        }
    )


@pytest.mark.parametrize(
    "evaluator_config",
    [
        {"retriever_k": 2},  # _normalize_config(None, {"a": 3}) -> {"default": {"a": 3}}
        {"default": {"retriever_k": 2}},  # _normalize_config(None, {"default": {"a": 3}})
    ],
)
@pytest.mark.parametrize("evaluators", [None, "default", ["default"]])
def test_normalize_evaluators_and_evaluator_config_args(evaluators, evaluator_config):
    result = evaluate(
        data=_data(),
        predictions="retrieved",
        targets="ground_truth",
        model_type="retriever",
        evaluators=evaluators,
        evaluator_config=evaluator_config,
    )
    assert result.metrics["precision_at_2/mean"] == 0.5


def test_normalize_config_no_config():
    # _normalize_config(None, None) == (["default"], {})
    result = evaluate(
        data=_data(),
        predictions="retrieved",
        targets="ground_truth",
        model_type="retriever",
        evaluators=None,
        evaluator_config=None,
    )
    assert result.metrics["precision_at_3/mean"] == pytest.approx(2 / 3)


def test_an_evaluator_evalkit_does_not_provide_is_warned_about():
    # MLflow would run the named plug-in evaluator; evalkit has only the default one
    with pytest.warns(UserWarning, match=r"evaluators \['dummy_evaluator'\] are not provided"):
        result = evaluate(
            data=_data(),
            predictions="retrieved",
            targets="ground_truth",
            model_type="retriever",
            evaluators=["default", "dummy_evaluator"],
            evaluator_config={"dummy_evaluator": {"a": 3}},
        )
    assert "precision_at_3/mean" in result.metrics


# -- the mlflow.evaluate signature (positional order, keywords evalkit accepts) -----------


def language_model(inputs):
    return inputs["text"].tolist()


def _text():
    return pd.DataFrame({"text": ["Hello world", "My name is MLflow"]})


def test_positional_model_and_data_in_mlflows_order():
    result = evaluate(language_model, _text(), extra_metrics=[evalkit.metrics.token_count()])
    assert result.tables["eval_results_table"]["outputs"].tolist() == _text()["text"].tolist()
    # data first with model=None, as mlflow.evaluate(None, data, predictions=...) reads
    frame = _text().assign(out=["a b", "c"])
    result = evaluate(None, frame, predictions="out", extra_metrics=["token_count"])
    assert result.tables["eval_results_table"]["token_count"].tolist() == [2, 1]


def test_the_modern_positional_form_still_works():
    @evalkit.scorer
    def length(outputs) -> int:
        return len(outputs)

    records = [{"inputs": {"q": "a"}}, {"inputs": {"q": "bb"}}]
    result = evaluate(records, [length], lambda q: q * 2)
    assert result.metrics["length/mean"] == 3.0


@pytest.mark.parametrize(
    ("keyword", "value", "says"),
    [
        ("env_manager", "virtualenv", "env_manager= is ignored"),
        ("model_config", {"a": 1}, "model_config= is ignored"),
        ("baseline_model", language_model, "baseline_model= is ignored"),
        ("inference_params", {"max_tokens": 5}, "inference_params= is ignored"),
        ("custom_artifacts", [lambda *a: {}], "custom_artifacts= is ignored"),
        ("dataset_path", "s3://bucket/data", "dataset_path= is ignored"),
    ],
)
def test_keywords_evalkit_ignores_are_accepted_with_a_warning(keyword, value, says):
    with pytest.warns(UserWarning, match=says):
        result = evaluate(
            language_model, _text(), extra_metrics=["token_count"], **{keyword: value}
        )
    assert result.tables["eval_results_table"]["token_count"].tolist() == [2, 5]


def test_env_manager_local_is_silent(recwarn):
    evaluate(language_model, _text(), extra_metrics=["token_count"], env_manager="local")
    assert not [w for w in recwarn if "env_manager" in str(w.message)]


def test_feature_names_choose_the_model_input_columns():
    seen = []

    def model(frame):
        seen.append(list(frame.columns))
        return frame["text"].tolist()

    data = _text().assign(extra=[1, 2])
    evaluate(model, data, extra_metrics=["token_count"], feature_names=["text"])
    assert seen == [["text"]]
    # for array data they name the columns
    result = evaluate(
        model, [["a b"], ["c"]], extra_metrics=["token_count"], feature_names=["text"]
    )
    assert list(result.tables["eval_results_table"].columns[:2]) == ["text", "outputs"]
