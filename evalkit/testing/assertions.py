"""Evaluations as tests: assert thresholds on a result and see the rows that failed.

``assert_evaluation(result, {"correctness/mean": ">= 0.8"})`` raises ``AssertionError``
when a threshold does not hold; the message says which and lists, from the per-row table,
the rows that pull the metric the wrong way (a row whose own value misses the threshold, or
whose scorer failed), with their inputs, outputs, value and rationale or error.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from evalkit.engine.table_cells import plain, present, row_number
from evalkit.entities import EvaluationResult
from evalkit.gate import Requirement, check_gate, parse_requirements, resolve_metric_key

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["assert_evaluation", "failing_rows"]

_TEXT_LIMIT = 120


def _short(value: Any, limit: int = _TEXT_LIMIT) -> str:
    if isinstance(value, Mapping) and len(value) == 1:
        value = next(iter(value.values()))
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def failing_rows(table: pd.DataFrame, requirement: Requirement) -> list[Any]:
    """Row labels of ``table`` that work against ``requirement``.

    For an aggregate of metric ``M`` (``M/mean``, ``M/min``, ...), a row fails when its own
    ``M/value`` misses the threshold or its scorer failed; for ``M/error_count`` the rows
    with an error. Returns an empty list when the table has no column for the metric.
    """
    metric, _, aggregation = requirement.metric.rpartition("/")
    if f"{metric}/value" not in table.columns and "/count/" in requirement.metric:
        metric = requirement.metric.split("/count/")[0]
        aggregation = "label"
    value_column = f"{metric}/value"
    error_column = f"{metric}/error_code"
    if value_column not in table.columns:
        return []
    errors = list(table[error_column]) if error_column in table.columns else [None] * len(table)
    rows = []
    for label, value, error in zip(table.index, table[value_column], errors, strict=True):
        if aggregation in ("error_count", "count", "label", "variance"):
            bad = present(error)
        else:
            number = row_number(value)
            bad = present(error) or (number is not None and not requirement.holds(number))
        if bad:
            rows.append(label)
    return rows


def _describe_row(table: pd.DataFrame, label: Any, metric: str) -> str:
    row = table.loc[label]
    parts = [f"  row {label}:"]
    if "inputs" in table.columns:
        parts.append(f"inputs={_short(row['inputs'])!s}")
    if "outputs" in table.columns:
        parts.append(f"outputs={_short(row['outputs'])!s}")
    error = row.get(f"{metric}/error_code")
    if present(error):
        message = row.get(f"{metric}/error_message")
        parts.append(f"error={error}: {_short(message) if present(message) else ''}")
    else:
        parts.append(f"{metric}={plain(row.get(f'{metric}/value'))!r}")
        rationale = row.get(f"{metric}/rationale")
        if present(rationale):
            parts.append(f"rationale={_short(rationale)}")
    return " ".join(parts)


def assert_evaluation(
    result: EvaluationResult,
    requirements: Mapping[str, str | float] | Iterable[str | Requirement] | str,
    *,
    baseline: EvaluationResult | Mapping[str, float] | None = None,
    max_drop: float | None = None,
    max_rows: int = 10,
) -> None:
    """Assert that an evaluation meets its thresholds, listing the failing rows if not.

    Args:
        result: What :func:`evalkit.evaluate` returned.
        requirements: ``{"correctness/mean": ">= 0.8"}`` or strings like
            ``"correctness/mean>=0.8"`` (see :mod:`evalkit.gate`).
        baseline: A previous result (or its metrics) the metrics may not fall behind.
        max_drop: How much a gated metric may drop below the baseline.
        max_rows: At most this many failing rows are listed per failed threshold.

    Raises:
        AssertionError: A threshold does not hold; the message lists the failing rows.
        GateError: A requirement is malformed or names a metric the result does not have.

    Example:
        >>> result = evalkit.evaluate(data, scorers=[exact_match])
        >>> assert_evaluation(result, {"exact_match/mean": ">= 0.8"})
    """
    parsed = parse_requirements(requirements)
    baseline_metrics: Mapping[str, float] | None = (
        baseline.metrics if isinstance(baseline, EvaluationResult) else baseline
    )
    passed, reasons = check_gate(result.metrics, parsed, baseline_metrics, max_drop)
    if passed:
        return
    table = result.tables.get("eval_results_table")
    lines = ["evaluation did not meet its thresholds:"]
    for reason in reasons:
        lines.append(f"- {reason}")
    if table is not None:
        for req in parsed:
            key = resolve_metric_key(req.metric, result.metrics)
            resolved = Requirement(metric=key, op=req.op, threshold=req.threshold)
            if resolved.holds(float(result.metrics[key])):
                continue
            rows = failing_rows(table, resolved)
            if not rows:
                continue
            metric = key.rpartition("/")[0]
            if "/count/" in key:
                metric = key.split("/count/")[0]
            lines.append(f"failing rows for {key} ({len(rows)} of {len(table)}):")
            lines.extend(_describe_row(table, label, metric) for label in rows[:max_rows])
            if len(rows) > max_rows:
                lines.append(f"  ... and {len(rows) - max_rows} more")
    raise AssertionError("\n".join(lines))
