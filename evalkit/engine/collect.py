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

from evalkit.engine.outcomes import PlainColumn
from evalkit.entities import AssessmentError, Feedback
from evalkit.stats import aggregate, aggregate_numbers, to_number

if TYPE_CHECKING:
    import pandas as pd

    from evalkit.data import EvalRow
    from evalkit.engine.conversations import Conversation
    from evalkit.scorers.base import Scorer

__all__ = [
    "MetricColumn",
    "ScoreColumn",
    "build_conversation_table",
    "build_table",
    "collect_metrics",
    "merge_scores",
    "metrics_of",
    "metrics_of_scores",
    "score_columns",
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
        if type(outcome_column) is PlainColumn and outcome_column.name == own_name:
            own = columns[own_name] = MetricColumn.empty(s, n_rows)
            own.values = list(outcome_column.values)  # every row a value: nothing else to sort
            continue
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


def metrics_of(
    columns: dict[str, MetricColumn],
    *,
    confidence: float | None = None,
    groups: Sequence[Any] | None = None,
) -> dict[str, float]:
    """Aggregate every metric column with its scorer's aggregations.

    Args:
        columns: The metric columns.
        confidence: A level (e.g. 0.95) for an interval on every mean
            (``<m>/mean/ci_low``, ``<m>/mean/ci_high``; see :func:`evalkit.stats.aggregate`).
        groups: One key per row (the conversation a row belongs to): intervals resample
            whole groups (a cluster bootstrap), since turns of one conversation are not
            independent.
    """
    metrics: dict[str, float] = {}
    for name, col in columns.items():
        kept = [i for i, e in enumerate(col.errors) if e is None]
        values = [col.values[i] for i in kept]
        cluster = None
        if groups is not None and not col.more_values:
            cluster = [groups[i] for i in kept]
        values += col.more_values
        n_errors = len(col.errors) - len(kept)
        aggregations = col.scorer.aggregations or ["mean"]
        metrics.update(
            aggregate(name, values, n_errors, aggregations, confidence=confidence, groups=cluster)
        )
    return metrics


@dataclass
class ScoreColumn:
    """What the aggregates of one metric need, compactly: a chunked run keeps only this.

    Its numbers are the metric's numeric values (bools and ``"yes"``/``"no"`` as 1/0) in
    row order, as one float64 array, so aggregates (mean, median, p90, ...) over merged
    chunks equal those of an in-memory run exactly.
    """

    scorer: str
    """The name of the scorer that produced the metric (its aggregations apply)."""
    numbers: Any
    """The numeric values, in row order (a float64 numpy array)."""
    labels: dict[str, int]
    """How many rows had each string label (values that are not numbers)."""
    error_count: int
    """How many rows have an error instead of a value."""


def _numbers_and_labels(values: list[Any], errors: list[Any]) -> tuple[Any, dict[str, int]]:
    import numpy as np

    kinds = {type(v) for v in values}
    if not any(e is not None for e in errors) and kinds <= {float, int}:
        array = np.asarray(values, dtype=np.float64)
        return array[~np.isnan(array)], {}
    numbers: list[float] = []
    labels: dict[str, int] = {}
    for v, e in zip(values, errors, strict=True):
        if e is not None:
            continue
        x = to_number(v)
        if x is None:
            continue
        if isinstance(x, str):
            labels[x] = labels.get(x, 0) + 1
        else:
            numbers.append(x)
    return np.asarray(numbers, dtype=np.float64), labels


def score_columns(columns: dict[str, MetricColumn]) -> dict[str, ScoreColumn]:
    """The compact :class:`ScoreColumn` of every metric column."""
    out: dict[str, ScoreColumn] = {}
    for name, col in columns.items():
        numbers, labels = _numbers_and_labels(col.values, col.errors)
        n_errors = sum(e is not None for e in col.errors)
        out[name] = ScoreColumn(col.scorer.name, numbers, labels, n_errors)
    return out


def merge_scores(parts: list[dict[str, ScoreColumn]]) -> dict[str, ScoreColumn]:
    """Chunks' score columns (in row order) as one column per metric.

    The parts are emptied as they are merged, one metric at a time, so that at most one
    metric's numbers are held twice (a 10M-row metric is 80 MB).
    """
    import numpy as np

    names: dict[str, str] = {}
    for part in parts:
        for name, col in part.items():
            names.setdefault(name, col.scorer)
    merged: dict[str, ScoreColumn] = {}
    for name, scorer in names.items():
        into = merged[name] = ScoreColumn(scorer, None, {}, 0)
        arrays = []
        for part in parts:
            if name not in part:
                continue
            col = part.pop(name)
            arrays.append(col.numbers)
            for label, count in col.labels.items():
                into.labels[label] = into.labels.get(label, 0) + count
            into.error_count += col.error_count
        into.numbers = np.concatenate(arrays) if arrays else np.empty(0)
        del arrays
    return merged


def metrics_of_scores(
    scores: dict[str, ScoreColumn], scorers: Sequence[Scorer]
) -> dict[str, float]:
    """Aggregate merged score columns with their scorers' aggregations; the same numbers
    as :func:`metrics_of` over the whole run's metric columns."""
    by_name = {s.name: s for s in scorers}
    metrics: dict[str, float] = {}
    for name, col in scores.items():
        aggregations = by_name[col.scorer].aggregations or ["mean"]
        metrics.update(
            aggregate_numbers(name, col.numbers, col.labels, col.error_count, aggregations)
        )
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
