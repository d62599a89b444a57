"""MLflow-named metric factories for the legacy ``evaluate(model_type=..., extra_metrics=...)``.

``evalkit.metrics`` mirrors ``mlflow.metrics``: every factory returns an
:class:`EvaluationMetric` whose ``eval_fn(predictions, targets, metrics, **kwargs)`` returns a
:class:`MetricValue`, and whose results are reported under MLflow's keys
(``rougeL/v1/mean``, ``exact_match/v1``, ``precision_at_3/mean``, ``mean_absolute_error``)::

    evalkit.evaluate(data=df, targets="ground_truth", predictions="answer",
                     model_type="question-answering",
                     extra_metrics=[evalkit.metrics.rougeL(), evalkit.metrics.bleu()])

The built-in ones are computed by evalkit's fast batch scorers, with MLflow's values. Build
your own with :func:`make_metric`.
"""

from __future__ import annotations

from typing import Any

from evalkit.legacy.metrics import (
    EvaluationMetric,
    MetricValue,
    ari_grade_level,
    bleu,
    exact_match,
    f1_score,
    flesch_kincaid_grade_level,
    latency,
    mae,
    make_metric,
    mape,
    max_error,
    mse,
    ndcg_at_k,
    precision_at_k,
    precision_score,
    r2_score,
    recall_at_k,
    recall_score,
    rmse,
    rouge1,
    rouge2,
    rougeL,
    rougeLsum,
    standard_aggregations,
    token_count,
    toxicity,
)
from evalkit.legacy.metrics import registered_factory as _registered_factory

__all__ = [
    "EvaluationMetric",
    "MetricValue",
    "ari_grade_level",
    "bleu",
    "exact_match",
    "f1_score",
    "flesch_kincaid_grade_level",
    "latency",
    "mae",
    "make_metric",
    "mape",
    "max_error",
    "mse",
    "ndcg_at_k",
    "precision_at_k",
    "precision_score",
    "r2_score",
    "recall_at_k",
    "recall_score",
    "rmse",
    "rouge1",
    "rouge2",
    "rougeL",
    "rougeLsum",
    "standard_aggregations",
    "token_count",
    "toxicity",
]


def __getattr__(name: str) -> Any:
    # ``evalkit.metrics.genai.answer_correctness()`` works after ``import evalkit``, as
    # ``mlflow.metrics.genai`` does, without loading the judge machinery up front.
    if name == "genai":
        import importlib

        return importlib.import_module("evalkit.metrics.genai")
    factory = _registered_factory(name)  # a built-in registered after the factories above
    if factory is None:
        raise AttributeError(f"module 'evalkit.metrics' has no attribute {name!r}")
    return factory
