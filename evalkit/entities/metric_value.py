"""``MetricValue``: a legacy metric's result, as ``mlflow.metrics.MetricValue``."""

from __future__ import annotations

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
    """Aggregates over the scores, keyed by aggregation name (``"mean"``, ``"p90"``, ...)."""
