"""Port of MLflow's tests/evaluate/utils/test_metric.py (what a custom metric may return).

MLflow calls its private ``MetricDefinition(fn, name, index).evaluate(eval_fn_args)`` and
mocks its logger; the port runs each metric through ``evaluate`` (the public path to the same
code) on MLflow's data, ``prediction`` [1.2, 1.9, 3.2] and ``target`` [1, 2, 3], with the
regressor metrics computed first as MLflow's ``builtin_metrics``. A metric that returns
something malformed is not logged and a warning gives MLflow's reason; evalkit's warning
also names the metric (``metric 'x' was not computed: ... must return MetricValue with
scores as a list``) where MLflow's says "Did not log metric 'x' at index 0 in the
`extra_metrics` parameter because it must return MetricValue with scores as a list."
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import evalkit
from evalkit.metrics import MetricValue, make_metric


def _eval_df():
    return pd.DataFrame({"prediction": [1.2, 1.9, 3.2], "target": [1, 2, 3]})


def _run(fn, name):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = evalkit.evaluate(
            data=_eval_df(),
            predictions="prediction",
            targets="target",
            model_type="regressor",
            extra_metrics=[make_metric(eval_fn=fn, greater_is_better=True, name=name)],
            log=False,
        )
    messages = [str(w.message) for w in caught if name in str(w.message)]
    return result, messages


@pytest.mark.parametrize(
    ("name", "returned", "reason"),
    [
        ("dummy_fn", None, "because it returned None."),
        ("incorrect_return_type", (["stuff"], 3), "did not return a MetricValue"),
        ("non_list_scores", MetricValue(scores=5), "must return MetricValue with scores as a list"),
        (
            "non_numeric_scores",
            MetricValue(scores=[{"val": "string"}]),
            "must return MetricValue with numeric or string scores",
        ),
        (
            "non_list_justifications",
            MetricValue(justifications="string"),
            "must return MetricValue with justifications as a list",
        ),
        (
            "non_str_justifications",
            MetricValue(justifications=[3, 4]),
            "must return MetricValue with string justifications",
        ),
        (
            "non_dict_aggregates",
            MetricValue(aggregate_results=[5.0, 4.0]),
            "must return MetricValue with aggregate_results as a dict",
        ),
        (
            "wrong_type_aggregates",
            MetricValue(aggregate_results={"toxicity": 0.0, "hi": "hi"}),
            "must return MetricValue with aggregate_results with str keys and numeric values",
        ),
    ],
)
def test_evaluate_custom_metric_incorrect_return_formats(name, returned, reason):
    def fn(eval_df, builtin_metrics):
        return returned

    result, messages = _run(fn, name)
    assert not [k for k in result.metrics if k.startswith(name)]  # not logged
    assert len(messages) == 1
    assert reason in messages[0]
    assert "mean_absolute_error" in result.metrics  # the other metrics are


@pytest.mark.parametrize(
    "fn",
    [
        (
            lambda eval_df, _: MetricValue(
                scores=eval_df["prediction"].tolist(),
                aggregate_results={"prediction_sum": sum(eval_df["prediction"])},
            )
        ),
        (
            lambda eval_df, _: MetricValue(
                scores=eval_df["prediction"].tolist()[:-1] + [None],
                aggregate_results={"prediction_sum": None, "another_aggregate": 5.0},
            )
        ),
    ],
)
def test_evaluate_custom_metric_lambda(fn):
    result, messages = _run(fn, "lambda_metric")
    assert messages == []
    assert result.metrics.get("lambda_metric/prediction_sum") in (None, pytest.approx(6.3))


def test_evaluate_custom_metric_success():
    def example_count_times_1_point_5(predictions, targets=None, metrics=None):
        return MetricValue(
            scores=[score * 1.5 for score in predictions.tolist()],
            justifications=["justification"] * len(predictions),
            aggregate_results={
                "example_count_times_1_point_5": metrics["example_count"].aggregate_results[
                    "example_count"
                ]
                * 1.5
            },
        )

    result, messages = _run(example_count_times_1_point_5, "example_count_times_1_point_5")
    assert messages == []
    name = "example_count_times_1_point_5"
    # an aggregate named as its metric is keyed by the name alone, as MLflow logs it
    assert result.metrics[name] == result.metrics["example_count"] * 1.5
    table = result.tables["eval_results_table"]
    assert table[f"{name}/score"].tolist() == [score * 1.5 for score in _eval_df()["prediction"]]
    assert table[f"{name}/justification"].tolist() == ["justification"] * 3
