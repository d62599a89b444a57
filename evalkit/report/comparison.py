"""Comparing two runs: metric deltas, the rows that changed, and whether a change is noise.

Rows of the two per-row tables are matched by the digest of their ``inputs`` (the digest
the journal uses; the n-th occurrence of an input with the n-th occurrence in the other
run), so a reordered dataset still matches. A row got *better* for a scorer when its value
rose (``True``/``"yes"`` count as 1), or when its scorer failed before and gives a value now;
*worse* the other way round; *changed* when a label changed to another label.

For every scorer with numbers in both runs, the rows where both runs have a value give a
paired difference (:func:`evalkit.stats.paired_difference`): the mean change with its
interval, a p-value, and the smallest change that many rows can detect.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from evalkit.engine.table_cells import Columns, plain, present, row_number
from evalkit.stats import PairedDifference, UsageError, check_confidence, paired_difference
from evalkit.tracking.journal import row_digest

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "MetricDelta",
    "PairedDifference",
    "RowChange",
    "RunComparison",
    "compare_runs",
    "match_rows",
    "scorer_names",
]

_SUFFIX = "/value"


@dataclass(frozen=True, kw_only=True, slots=True)
class MetricDelta:
    """One metric in two runs."""

    key: str
    """The metric key, e.g. ``"rougeL/mean"``."""
    a: float | None
    """Its value in the first (baseline) run; ``None`` when that run lacks it."""
    b: float | None
    """Its value in the second (candidate) run; ``None`` when that run lacks it."""

    @property
    def delta(self) -> float | None:
        """``b - a`` when both runs have the metric."""
        return None if self.a is None or self.b is None else self.b - self.a


@dataclass(frozen=True, kw_only=True, slots=True)
class RowChange:
    """One row whose value for one scorer differs between the runs."""

    scorer: str
    """The metric the row changed on."""
    row_a: Any
    """The row's label in the first run's table."""
    row_b: Any
    """The row's label in the second run's table."""
    inputs: Any
    """The row's inputs (the same in both runs)."""
    before: Any
    """The value in the first run, or ``"error: <code>"``."""
    after: Any
    """The value in the second run, or ``"error: <code>"``."""
    direction: Literal["better", "worse", "changed"]
    """Whether the row got better, worse, or only changed (a label)."""


@dataclass(frozen=True, kw_only=True)
class RunComparison:
    """What :func:`compare_runs` finds."""

    metrics: list[MetricDelta]
    """Every metric of either run, in a stable order."""
    same_dataset: bool
    """Whether both tables hold the same rows (by inputs)."""
    matched_rows: int
    """How many rows were found in both runs."""
    changes: dict[str, list[RowChange]] = field(default_factory=dict)
    """Per scorer present in both runs, the rows that changed (empty list: none did)."""
    row_pairs: list[tuple[Any, Any]] = field(default_factory=list)
    """The matched rows: (label in the first run's table, label in the second's)."""
    differences: dict[str, PairedDifference] = field(default_factory=dict)
    """Per scorer with numbers in both runs, B minus A on the rows both have a value for."""

    def counts(self, scorer: str) -> dict[str, int]:
        """How many rows got better, worse, or changed for ``scorer``."""
        result = {"better": 0, "worse": 0, "changed": 0}
        for change in self.changes.get(scorer, []):
            result[change.direction] += 1
        return result


def scorer_names(table: pd.DataFrame | None) -> list[str]:
    """The metrics a per-row table has values for (its ``<metric>/value`` columns)."""
    if table is None:
        return []
    return [str(c)[: -len(_SUFFIX)] for c in table.columns if str(c).endswith(_SUFFIX)]


def _key(inputs: Any) -> str:
    if isinstance(inputs, str):  # a table read back from its artifact may hold JSON text
        with contextlib.suppress(ValueError):
            inputs = json.loads(inputs)
    return row_digest(plain(inputs), None, None)


def _match(a: pd.DataFrame, b: pd.DataFrame) -> tuple[list[tuple[Any, Any]], bool]:
    positions: dict[str, list[Any]] = {}
    for label, inputs in a["inputs"].items():
        positions.setdefault(_key(inputs), []).append(label)
    pairs: list[tuple[Any, Any]] = []
    unmatched_b = 0
    for label, inputs in b["inputs"].items():
        queue = positions.get(_key(inputs))
        if queue:
            pairs.append((queue.pop(0), label))
        else:
            unmatched_b += 1
    same = unmatched_b == 0 and all(not q for q in positions.values())
    return pairs, same


def match_rows(a: pd.DataFrame, b: pd.DataFrame) -> list[tuple[Any, Any]]:
    """``(row label in a, row label in b)`` for the rows two per-row tables share, matched
    by their inputs' digest as :func:`compare_runs` matches them (a repeated input matches
    in order)."""
    if "inputs" not in a or "inputs" not in b:
        return []
    return _match(a, b)[0]


def _cell(table: Columns, label: Any, scorer: str) -> tuple[Any, str | None]:
    error = table.get(label, f"{scorer}/error_code")
    if present(error):
        return None, str(error)
    value = table.get(label, f"{scorer}{_SUFFIX}")
    return (value if present(value) else None), None


def _direction(before: Any, after: Any, err_a: str | None, err_b: str | None) -> str | None:
    if err_a and err_b:
        return None
    if err_a:
        return "better"
    if err_b:
        return "worse"
    x, y = row_number(before), row_number(after)
    if x is not None and y is not None:
        if abs(x - y) <= 1e-12:
            return None
        return "better" if y > x else "worse"
    if before == after:
        return None
    return "changed"


def _paired(
    cols_a: Columns,
    cols_b: Columns,
    pairs: list[tuple[Any, Any]],
    scorer: str,
    confidence: float,
    alpha: float,
) -> PairedDifference | None:
    a_values: list[float] = []
    b_values: list[float] = []
    for la, lb in pairs:
        if present(cols_a.get(la, f"{scorer}/error_code")) or present(
            cols_b.get(lb, f"{scorer}/error_code")
        ):
            continue
        x = row_number(cols_a.get(la, f"{scorer}{_SUFFIX}"))
        y = row_number(cols_b.get(lb, f"{scorer}{_SUFFIX}"))
        if x is None or y is None or math.isinf(x) or math.isinf(y):
            continue
        a_values.append(x)
        b_values.append(y)
    if not a_values:
        return None
    return paired_difference(a_values, b_values, confidence=confidence, alpha=alpha)


def compare_runs(
    a_metrics: Mapping[str, float],
    a_table: pd.DataFrame | None,
    b_metrics: Mapping[str, float],
    b_table: pd.DataFrame | None,
    *,
    confidence: float = 0.95,
    alpha: float = 0.05,
) -> RunComparison:
    """Compare run A (the baseline) with run B (the candidate).

    Args:
        a_metrics: Run A's metrics.
        a_table: Run A's per-row table (``eval_results_table``), if it has one.
        b_metrics: Run B's metrics.
        b_table: Run B's per-row table, if it has one.
        confidence: The level of each paired difference's interval.
        alpha: The significance level each minimum detectable difference is computed for.

    Returns:
        The metric deltas; per scorer the rows that got better, worse or changed, and the
        paired difference of its values with an interval and a p-value.

    Raises:
        UsageError: ``confidence`` or ``alpha`` is not strictly between 0 and 1.
    """
    check_confidence(confidence)
    if not 0.0 < alpha < 1.0:
        raise UsageError(f"the significance level must be between 0 and 1, e.g. 0.05; got {alpha}")
    keys = list(dict.fromkeys([*a_metrics, *b_metrics]))
    metrics = [
        MetricDelta(
            key=k,
            a=None if k not in a_metrics else float(a_metrics[k]),
            b=None if k not in b_metrics else float(b_metrics[k]),
        )
        for k in keys
    ]
    if a_table is None or b_table is None or "inputs" not in a_table or "inputs" not in b_table:
        return RunComparison(metrics=metrics, same_dataset=False, matched_rows=0)
    pairs, same = _match(a_table, b_table)
    shared = [s for s in scorer_names(b_table) if s in set(scorer_names(a_table))]
    changes: dict[str, list[RowChange]] = {}
    differences: dict[str, PairedDifference] = {}
    cols_a, cols_b = Columns(a_table), Columns(b_table)
    for scorer in shared:
        found = []
        for la, lb in pairs:
            before, err_a = _cell(cols_a, la, scorer)
            after, err_b = _cell(cols_b, lb, scorer)
            direction = _direction(before, after, err_a, err_b)
            if direction is None:
                continue
            found.append(
                RowChange(
                    scorer=scorer,
                    row_a=plain(la),
                    row_b=plain(lb),
                    inputs=cols_b.get(lb, "inputs"),
                    before=f"error: {err_a}" if err_a else before,
                    after=f"error: {err_b}" if err_b else after,
                    direction=direction,  # type: ignore[arg-type]
                )
            )
        changes[scorer] = found
        difference = _paired(cols_a, cols_b, pairs, scorer, confidence, alpha)
        if difference is not None:
            differences[scorer] = difference
    return RunComparison(
        metrics=metrics,
        same_dataset=same,
        matched_rows=len(pairs),
        changes=changes,
        row_pairs=[(plain(la), plain(lb)) for la, lb in pairs],
        differences=differences,
    )
