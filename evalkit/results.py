"""Turning the engine's raw per-(row, scorer) outcomes into metrics and the per-row table.

Per-row table columns (``result.tables["eval_results_table"]``, one row per record, in
input order, indexed by the record's position):

* ``inputs``, ``outputs``, and ``expectations`` / ``trace`` / ``tags`` when any record has them;
* ``latency`` (seconds) and ``prediction_error`` when a ``predict_fn`` produced the outputs;
* for every metric ``M``: ``M/value``, ``M/rationale``, ``M/error_code``, ``M/error_message``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from evalkit.aggregation import aggregate
from evalkit.entities import AssessmentError, Feedback

if TYPE_CHECKING:
    import pandas as pd

    from evalkit.data import EvalRow
    from evalkit.scorers.base import Scorer

__all__ = ["Failed", "MetricColumn", "build_table", "collect_metrics"]

_PRIMITIVES = (bool, int, float, str)


@dataclass(slots=True)
class Failed:
    """The outcome of one (row, scorer) pair that did not produce a value."""

    error: AssessmentError


@dataclass
class MetricColumn:
    """One metric's values over all rows; exactly one of value/error is set per row."""

    scorer: Scorer
    values: list[Any]
    rationales: list[str | None]
    errors: list[AssessmentError | None]
    feedbacks: list[Feedback | None] = field(default_factory=list)

    @classmethod
    def empty(cls, scorer: Scorer, n: int) -> MetricColumn:
        return cls(scorer, [None] * n, [None] * n, [None] * n)


def _bad_return(value: Any) -> AssessmentError:
    return AssessmentError(
        error_code="INVALID_SCORER_RETURN",
        error_message=(
            f"scorer returned a {type(value).__name__} ({value!r:.80}); return a bool, int, "
            "float, str, Feedback or a list of Feedback"
        ),
    )


def _plain(value: Any) -> Any:
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        return value.item()
    return value


def collect_metrics(
    scorers: Sequence[Scorer], outcomes: Sequence[Sequence[Any]], n_rows: int
) -> dict[str, MetricColumn]:
    """Sort every raw outcome into per-metric columns (a scorer may yield several metrics)."""
    columns: dict[str, MetricColumn] = {}
    for s, raw_column in zip(scorers, outcomes, strict=True):
        failures: list[tuple[int, AssessmentError]] = []
        produced: list[str] = []

        def column(name: str, s: Scorer = s, produced: list[str] = produced) -> MetricColumn:
            col = columns.get(name)
            if col is None:
                col = columns[name] = MetricColumn.empty(s, n_rows)
                produced.append(name)
            return col

        own = column(s.name)
        for i, raw in enumerate(raw_column):
            raw = _plain(raw)
            if raw is None or type(raw) in _PRIMITIVES:
                own.values[i] = raw
            elif isinstance(raw, Failed):
                failures.append((i, raw.error))
            elif isinstance(raw, Feedback):
                _put(column(raw.name or s.name), i, raw)
            elif isinstance(raw, list) and raw and all(isinstance(f, Feedback) for f in raw):
                for fb in raw:
                    _put(column(fb.name or s.name), i, fb)
            elif isinstance(raw, _PRIMITIVES):  # subclasses such as str enums
                own.values[i] = raw.value if hasattr(raw, "value") else raw
            else:
                failures.append((i, _bad_return(raw)))
        # A row that failed as a whole fails every metric the scorer produced elsewhere.
        unused = all(v is None for v in own.values) and all(e is None for e in own.errors)
        if len(produced) > 1 and unused:
            del columns[s.name]
            produced.remove(s.name)
        for i, err in failures:
            for name in produced:
                columns[name].errors[i] = err
    return columns


def _put(col: MetricColumn, i: int, fb: Feedback) -> None:
    if not col.feedbacks:
        col.feedbacks = [None] * len(col.values)
    col.feedbacks[i] = fb
    if fb.error is not None:
        col.errors[i] = fb.error
        return
    value = _plain(fb.value)
    if value is not None and not isinstance(value, _PRIMITIVES):
        col.errors[i] = _bad_return(value)
        return
    col.values[i] = value
    col.rationales[i] = fb.rationale


def metrics_of(columns: dict[str, MetricColumn]) -> dict[str, float]:
    """Aggregate every metric column with its scorer's aggregations."""
    metrics: dict[str, float] = {}
    for name, col in columns.items():
        values = [v for v, e in zip(col.values, col.errors, strict=True) if e is None]
        n_errors = sum(e is not None for e in col.errors)
        metrics.update(aggregate(name, values, n_errors, col.scorer.aggregations or ["mean"]))
    return metrics


def build_table(
    rows: Sequence[EvalRow], columns: dict[str, MetricColumn], *, predicted: bool
) -> pd.DataFrame:
    """The per-row table described in the module docstring."""
    import pandas as pd

    data: dict[str, list[Any]] = {
        "inputs": [r.inputs for r in rows],
        "outputs": [r.outputs for r in rows],
    }
    for optional in ("expectations", "trace", "tags"):
        col = [getattr(r, optional) for r in rows]
        if any(v is not None for v in col):
            data[optional] = col
    if predicted:
        data["latency"] = [r.latency for r in rows]
        data["prediction_error"] = [
            None if r.prediction_error is None else r.prediction_error.error_message for r in rows
        ]
    for name, metric in columns.items():
        data[f"{name}/value"] = metric.values
        data[f"{name}/rationale"] = metric.rationales
        data[f"{name}/error_code"] = [None if e is None else e.error_code for e in metric.errors]
        data[f"{name}/error_message"] = [
            None if e is None else e.error_message for e in metric.errors
        ]
    # Text and record columns keep their Python values (None stays None); values and
    # latency let pandas infer a numeric dtype where they are numeric.
    inferred = {"latency"} | {f"{name}/value" for name in columns}
    return pd.DataFrame(
        {
            key: pd.Series(col, dtype=None if key in inferred else object)
            for key, col in data.items()
        },
        index=pd.RangeIndex(len(rows)),
    )
