"""evalkit.metrics mirrors mlflow.metrics: names, versions, eval_fn results, make_metric."""

from __future__ import annotations

import pytest
from sklearn import metrics as sk

import evalkit
from evalkit.errors import ScorerError
from evalkit.metrics import EvaluationMetric, MetricValue, make_metric


@pytest.mark.parametrize(
    ("factory", "full_name"),
    [
        ("rouge1", "rouge1/v1"),
        ("rouge2", "rouge2/v1"),
        ("rougeL", "rougeL/v1"),
        ("rougeLsum", "rougeLsum/v1"),
        ("bleu", "bleu/v1"),
        ("exact_match", "exact_match/v1"),
        ("flesch_kincaid_grade_level", "flesch_kincaid_grade_level/v1"),
        ("ari_grade_level", "ari_grade_level/v1"),
        ("toxicity", "toxicity/v1"),
        ("token_count", "token_count"),
        ("latency", "latency"),
        ("mae", "mean_absolute_error"),
        ("mse", "mean_squared_error"),
        ("rmse", "root_mean_squared_error"),
        ("r2_score", "r2_score"),
        ("max_error", "max_error"),
        ("mape", "mean_absolute_percentage_error"),
        ("precision_score", "precision_score"),
        ("recall_score", "recall_score"),
        ("f1_score", "f1_score"),
    ],
)
def test_names_and_versions_are_mlflows(factory: str, full_name: str) -> None:
    metric = getattr(evalkit.metrics, factory)()
    assert isinstance(metric, EvaluationMetric)
    assert metric.full_name == full_name


def test_at_k_factories() -> None:
    assert evalkit.metrics.precision_at_k(4).full_name == "precision_at_4"
    assert evalkit.metrics.ndcg_at_k(2).name == "ndcg_at_2"
    with pytest.raises(ScorerError, match="positive whole number"):
        evalkit.metrics.recall_at_k(-1)


def test_eval_fn_returns_mlflow_metric_values() -> None:
    value = evalkit.metrics.bleu()(predictions=["a b c d e"], targets=["a b c d e"])
    assert value == MetricValue(
        scores=[1.0], aggregate_results={"mean": 1.0, "variance": 0.0, "p90": 1.0}
    )
    counts = evalkit.metrics.token_count()(predictions=["hello world", 5])
    assert counts == MetricValue(scores=[2, None], aggregate_results={})
    accuracy = evalkit.metrics.exact_match()(predictions=["a", "b", "c"], targets=["a", "x", "c"])
    assert accuracy.scores is None
    assert accuracy.aggregate_results == {"exact_match": pytest.approx(2 / 3)}
    f1 = evalkit.metrics.f1_score()(predictions=[1, 0, 1, 1], targets=[1, 0, 0, 1])
    assert f1.aggregate_results == {
        "f1_score": pytest.approx(sk.f1_score([1, 0, 0, 1], [1, 0, 1, 1]))
    }
    assert evalkit.metrics.mape()(predictions=[1.0], targets=[]) is None


def test_make_metric() -> None:
    def answer_length(predictions, targets, metrics):  # type: ignore[no-untyped-def]
        return MetricValue(scores=[len(p) for p in predictions])

    metric = make_metric(eval_fn=answer_length, greater_is_better=False, version="v2")
    assert (metric.name, metric.full_name, metric.greater_is_better) == (
        "answer_length",
        "answer_length/v2",
        False,
    )
    assert metric(["abc", "de"], None, {}).scores == [3, 2]
    with pytest.raises(ScorerError, match="`name` must be specified if `eval_fn` is a lambda"):
        make_metric(eval_fn=lambda predictions: 1.0, greater_is_better=True)


def test_custom_metrics_are_not_scorers() -> None:
    custom = make_metric(eval_fn=lambda predictions: 1.0, greater_is_better=True, name="one")
    with pytest.raises(ScorerError, match="extra_metrics"):
        evalkit.evaluate(data=[{"inputs": "q", "outputs": "a"}], scorers=[custom])
