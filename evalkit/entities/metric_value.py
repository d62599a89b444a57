"""``MetricValue``: a legacy metric's result, as ``mlflow.metrics.MetricValue``."""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any

__all__ = ["MetricValue"]


@dataclass(frozen=True, kw_only=True, slots=True)
class MetricValue:
    """A legacy-metric result: per-row scores, their justifications and aggregates.

    Mirrors ``mlflow.metrics.MetricValue``.
    """

    scores: list[Any] | None = None
    """One score per row (numbers, or strings for label metrics)."""
    justifications: list[str | None] | None = None
    """One justification per row, where the metric gives one."""
    aggregate_results: dict[str, float] | None = None
    """Aggregates over the scores, keyed by aggregation name (``"mean"``, ``"p90"``, ...).
    Left out, it is filled as MLflow does: ``mean``, ``p90`` and ``variance`` of the scores
    when every score is a number."""

    def __post_init__(self) -> None:
        scores = self.scores
        if self.aggregate_results is not None or not isinstance(scores, list) or not scores:
            return
        if all(isinstance(s, numbers.Real) for s in scores):
            import numpy as np

            filled = {
                "mean": float(np.mean(scores)),
                "p90": float(np.percentile(scores, 90)),
                "variance": float(np.var(scores)),
            }
            object.__setattr__(self, "aggregate_results", filled)
