"""How a built-in legacy metric runs: its batch scorer and MLflow's aggregates for it."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from evalkit.entities import MetricValue
from evalkit.errors import ScorerError
from evalkit.scorers._common import mlflow_standard_aggregates, standard_aggregations
from evalkit.scorers.base import BatchScorer

__all__ = ["BuiltinSpec", "builtin_metric", "classic_metric", "standard_aggregations"]


@dataclasses.dataclass(frozen=True)
class BuiltinSpec:
    """A built-in metric: its name, scorer and how MLflow aggregates it."""

    name: str
    greater_is_better: bool
    make_scorer: Callable[[], BatchScorer]
    version: str | None = None
    """MLflow's version of the metric (``"v1"``), from the registry."""
    long_name: str | None = None
    """MLflow's long name of the metric, from the registry."""
    aggregate: Callable[[Sequence[Any]], dict[str, float]] = mlflow_standard_aggregates
    per_row: bool = True
    """Whether MLflow reports per-row scores (a table column) for it."""

    def score(
        self,
        predictions: Sequence[Any],
        targets: Sequence[Any] | None,
        latency: Sequence[Any] | None = None,
    ) -> list[Any]:
        """The scorer's raw per-row values (numbers, or ``Feedback`` errors)."""
        scorer = self.make_scorer()
        columns: dict[str, Any] = {}
        for argument in scorer.arguments:
            if argument == "outputs":
                columns["outputs"] = list(predictions)
            elif argument == "expectations":
                if targets is None:
                    raise ScorerError(
                        f"metric {self.name!r} compares predictions with targets; pass "
                        "targets='<ground truth column>'"
                    )
                columns["expectations"] = [{"expected_response": t} for t in targets]
            elif argument == "latency":
                columns["latency"] = list(latency or [None] * len(predictions))
        return list(scorer.score_batch(**columns))

    def metric_value(self, values: Sequence[Any]) -> MetricValue:
        """MLflow's ``MetricValue`` for raw per-row values (errored rows score ``None``)."""
        scores = [v if isinstance(v, bool | int | float) else None for v in values]
        return MetricValue(
            scores=scores if self.per_row else None, aggregate_results=self.aggregate(values)
        )

    def eval_fn(
        self, predictions: Sequence[Any], targets: Sequence[Any] | None = None, metrics: Any = None
    ) -> MetricValue | None:
        """``eval_fn(predictions, targets, metrics)`` as ``mlflow.metrics`` defines it: ``None``
        for no predictions; ``bleu`` scores the first ``len(predictions)`` targets, as
        MLflow's loop over the predictions does."""
        if predictions is None or len(predictions) == 0:
            return None
        if self.name == "bleu" and targets is not None and len(targets) > len(predictions):
            targets = list(targets)[: len(predictions)]
        return self.metric_value(self.score(predictions, targets))


def builtin_metric(name: str, **scorer_config: Any) -> BuiltinSpec:
    """The spec of the built-in heuristic metric called ``name``, from the registry.

    Raises:
        ScorerError: No built-in metric has that name (or it is a judge).
    """
    from evalkit.scorers.registry import builtin_scorer, lookup

    entry = lookup(name)
    if entry is not None and entry.kind != "heuristic":
        raise ScorerError(
            f"{name!r} is a built-in judge, not a metric; pass it to evaluate(scorers=[...])"
        )

    def make() -> BatchScorer:
        scorer = builtin_scorer(name, **scorer_config)
        assert isinstance(scorer, BatchScorer)
        return scorer

    make()  # validate now (unknown names, unavailable encodings) rather than during a run
    assert entry is not None  # make() raised for an unknown name
    return BuiltinSpec(
        name=name,
        greater_is_better=entry.greater_is_better,
        make_scorer=make,
        aggregate=entry.mlflow_aggregates or mlflow_standard_aggregates,
        per_row=entry.per_row,
        version=entry.version,
        long_name=entry.long_name,
    )


_CLASSIFICATION = ("precision_score", "recall_score", "f1_score")


def classic_metric(name: str) -> Any:
    """A regression or classification metric: aggregate-only, computed with scikit-learn."""
    from evalkit.scorers.classic import REGRESSION_METRICS, regression_metric

    if name in REGRESSION_METRICS:

        def eval_fn(
            predictions: Any, targets: Any = None, metrics: Any = None, sample_weight: Any = None
        ) -> MetricValue | None:
            if targets is None or len(targets) == 0:
                return None
            value = regression_metric(name, targets, predictions, sample_weight)
            return MetricValue(aggregate_results={name: value})

    elif name in _CLASSIFICATION:

        def eval_fn(  # type: ignore[misc]
            predictions: Any,
            targets: Any = None,
            metrics: Any = None,
            pos_label: Any = 1,
            average: str = "binary",
            sample_weight: Any = None,
        ) -> MetricValue | None:
            from sklearn import metrics as sk

            if targets is None or len(targets) == 0:
                return None
            fn = getattr(sk, name)
            value = fn(
                targets,
                predictions,
                pos_label=pos_label,
                average=average,
                sample_weight=sample_weight,
            )
            return MetricValue(aggregate_results={name: float(value)})

    else:
        raise ScorerError(f"unknown classic metric {name!r}")
    return _ClassicSpec(name=name, greater_is_better=name not in _LOWER_IS_BETTER, eval_fn=eval_fn)


_LOWER_IS_BETTER = {
    "mean_absolute_error",
    "mean_squared_error",
    "root_mean_squared_error",
    "max_error",
    "mean_absolute_percentage_error",
}


@dataclasses.dataclass(frozen=True)
class _ClassicSpec:
    name: str
    greater_is_better: bool
    eval_fn: Callable[..., MetricValue | None]
