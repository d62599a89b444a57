"""From outcomes to results: per-metric columns, their aggregates and the per-row table.

Per-row table columns (``result.tables["eval_results_table"]``, one row per record, in
input order, indexed by the record's position):

* ``inputs``, ``outputs``, and ``expectations`` / ``trace`` / ``tags`` / ``session_id`` when
  any record has them;
* ``latency`` (seconds) and ``prediction_error`` when a ``predict_fn`` produced the outputs;
* for every metric ``M``: ``M/value``, ``M/rationale``, ``M/error_code``, ``M/error_message``.

Conversation table (``result.tables["conversations"]``, one row per session id, in order of
first appearance; only when some record has a session id):

* ``session_id``, ``turns`` (how many records), ``rows`` (their positions in the per-row
  table);
* for every session-level metric ``S``: ``S/value``, ``S/rationale``, ``S/error_code``,
  ``S/error_message``;
* for every per-row metric ``M``: ``M/mean``, the mean of its numeric values over the
  conversation's turns (``"yes"``/``"no"`` and bools as 1/0; ``None`` when none has one).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from evalkit.entities import AssessmentError, Feedback
from evalkit.stats import aggregate

if TYPE_CHECKING:
    import pandas as pd

    from evalkit.data import EvalRow
    from evalkit.engine.conversations import Conversation
    from evalkit.scorers.base import Scorer

__all__ = [
    "MetricColumn",
    "build_conversation_table",
    "build_table",
    "collect_metrics",
    "metrics_of",
]


@dataclass
class MetricColumn:
    """One metric's values over all rows; exactly one of value/error is set per row."""

    scorer: Scorer
    """The scorer that produced the metric (its aggregations apply)."""
    values: list[Any]
    """The value of each row (``None`` where the row has an error)."""
    rationales: list[str | None]
    """The rationale of each row's value, where there is one."""
    errors: list[AssessmentError | None]
    """The error of each row that has no value."""
    more_values: list[Any] = dataclasses.field(default_factory=list)
    """Further values of one name from one scorer on one row (a scorer returning two
    ``Feedback`` named alike): counted in the aggregates, as MLflow counts them; the table
    shows each row's first."""

    @classmethod
    def empty(cls, scorer: Scorer, n: int) -> MetricColumn:
        """A column of ``n`` rows with nothing in it yet."""
        return cls(scorer, [None] * n, [None] * n, [None] * n)


def collect_metrics(
    scorers: Sequence[Scorer], outcomes: Sequence[Sequence[list[Feedback]]], n_rows: int
) -> dict[str, MetricColumn]:
    """Sort every outcome into per-metric columns (a scorer may yield several metrics).

    ``outcomes[k][i]`` is the outcome of ``scorers[k]`` on row ``i``. A row whose outcome is
    one error named after the scorer (the scorer raised) fails every metric that scorer
    produced on other rows.
    """
    columns: dict[str, MetricColumn] = {}
    for s, outcome_column in zip(scorers, outcomes, strict=True):
        own_name = s.name
        failures: list[tuple[int, AssessmentError]] = []
        produced: list[str] = [own_name]
        own = columns[own_name] = MetricColumn.empty(s, n_rows)
        for i, outcome in enumerate(outcome_column):
            if len(outcome) == 1:
                fb = outcome[0]
                if fb.name == own_name:
                    if fb.error is not None:
                        failures.append((i, fb.error))
                    else:
                        own.values[i] = fb.value
                        own.rationales[i] = fb.rationale
                    continue
            seen: set[str] = set()
            for fb in outcome:
                name = fb.name or own_name
                col = columns.get(name)
                if col is None:
                    col = columns[name] = MetricColumn.empty(s, n_rows)
                    produced.append(name)
                if name in seen:  # a second Feedback of this name on this row
                    if fb.error is None:
                        col.more_values.append(fb.value)
                    continue
                seen.add(name)
                if fb.error is not None:
                    col.errors[i] = fb.error
                else:
                    col.values[i] = fb.value
                    col.rationales[i] = fb.rationale
        # A row that failed as a whole fails every metric the scorer produced elsewhere.
        unused = all(v is None for v in own.values) and all(e is None for e in own.errors)
        if len(produced) > 1 and unused:
            del columns[own_name]
            produced.remove(own_name)
        for i, err in failures:
            for name in produced:
                columns[name].errors[i] = err
    return columns


def metrics_of(columns: dict[str, MetricColumn]) -> dict[str, float]:
    """Aggregate every metric column with its scorer's aggregations."""
    metrics: dict[str, float] = {}
    for name, col in columns.items():
        values = [v for v, e in zip(col.values, col.errors, strict=True) if e is None]
        values += col.more_values
        n_errors = sum(e is not None for e in col.errors)
        metrics.update(aggregate(name, values, n_errors, col.scorer.aggregations or ["mean"]))
    return metrics


def build_table(
    rows: Sequence[EvalRow], columns: dict[str, MetricColumn], *, predicted: bool
) -> pd.DataFrame:
    """The per-row table described in the module docstring."""
    data: dict[str, list[Any]] = {
        "inputs": [r.inputs for r in rows],
        "outputs": [r.outputs for r in rows],
    }
    for optional in ("expectations", "trace", "tags", "session_id"):
        col = [getattr(r, optional) for r in rows]
        if any(v is not None for v in col):
            data[optional] = col
    if predicted:
        data["latency"] = [r.latency for r in rows]
        data["prediction_error"] = [
            None if r.prediction_error is None else r.prediction_error.error_message for r in rows
        ]
    _metric_cells(data, columns)
    return _frame(data, {"latency"} | {f"{name}/value" for name in columns}, len(rows))


def _metric_cells(data: dict[str, list[Any]], columns: dict[str, MetricColumn]) -> None:
    for name, metric in columns.items():
        data[f"{name}/value"] = metric.values
        data[f"{name}/rationale"] = metric.rationales
        data[f"{name}/error_code"] = [
            None if e is None else str(e.error_code) for e in metric.errors
        ]
        data[f"{name}/error_message"] = [
            None if e is None else e.error_message for e in metric.errors
        ]


def _frame(data: dict[str, list[Any]], inferred: set[str], n: int) -> pd.DataFrame:
    import pandas as pd

    # Text and record columns keep their Python values (None stays None); values and
    # latency let pandas infer a numeric dtype where they are numeric.
    return pd.DataFrame(
        {
            key: pd.Series(col, dtype=None if key in inferred else object)
            for key, col in data.items()
        },
        index=pd.RangeIndex(n),
    )


def build_conversation_table(
    conversations: Sequence[Conversation],
    session_columns: dict[str, MetricColumn],
    row_columns: dict[str, MetricColumn],
) -> pd.DataFrame:
    """The conversation table described in the module docstring."""
    from evalkit.engine.table_cells import row_number

    data: dict[str, list[Any]] = {
        "session_id": [c.session_id for c in conversations],
        "turns": [len(c.rows) for c in conversations],
        "rows": [[r.index for r in c.rows] for c in conversations],
    }
    _metric_cells(data, session_columns)
    for name, metric in row_columns.items():
        means: list[float | None] = []
        for c in conversations:
            numbers = [
                x
                for r in c.rows
                if metric.errors[r.index] is None
                and (x := row_number(metric.values[r.index])) is not None
            ]
            means.append(sum(numbers) / len(numbers) if numbers else None)
        data[f"{name}/mean"] = means
    inferred = {"turns"} | {f"{name}/value" for name in session_columns}
    inferred |= {f"{name}/mean" for name in row_columns}
    return _frame(data, inferred, len(conversations))
