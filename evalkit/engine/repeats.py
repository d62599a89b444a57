"""Repeats: the metric columns of ``k`` runs of one plan, folded into one column per metric.

``evaluate(..., repeats=k)`` runs each row ``k`` times (see :func:`evalkit.evaluate`); this
module turns the ``k`` sets of columns into what the result shows:

* ``<m>/value``: the row's mean over the repeats that gave a number (booleans and
  ``"yes"``/``"no"`` count as 1/0, so it is the share of passing repeats), or the most
  common label for label values; every aggregate (``<m>/mean``, intervals) is over these
  per-row values, so a row counts once however many repeats it has;
* ``<m>/values`` (every repeat's value, ``None`` where it failed), ``<m>/variance`` (the
  population variance of the numbers) and ``<m>/agreement`` (the share of repeats that give
  the row's most common verdict: 1.0 when they all agree);
* ``<m>/error_code`` only when no repeat gave a value (the first repeat's error);
* metrics ``<m>/pass@<k>`` and ``<m>/pass^<k>`` for 0/1 metrics (the unbiased estimators of
  :func:`evalkit.stats.pass_at_k` / :func:`~evalkit.stats.pass_hat_k` over the rows whose
  ``k`` repeats all gave a value), ``<m>/agreement`` (the mean agreement) and
  ``<m>/flaky_count`` (rows whose repeats disagree);
* the flaky rows themselves: one record per (row, metric) whose repeats disagree.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from evalkit.engine.collect import MetricColumn
from evalkit.entities import AssessmentError
from evalkit.stats import mean_pass_at_k, to_number

__all__ = ["REPEAT_MODES", "Repeated", "combine_repeats"]

REPEAT_MODES = ("both", "judges", "predict")
"""What ``evaluate(..., repeats=k, repeat=...)`` runs ``k`` times: the prediction and the
scorers (``"both"``), only the scorers on one prediction (``"judges"``), or only the
prediction, each scored once (``"predict"``)."""


@dataclass
class Repeated:
    """The ``k`` repeats of an evaluation, folded per row."""

    columns: dict[str, MetricColumn]
    """One column per metric; a row's value is its mean (or most common label)."""
    extra: dict[str, list[Any]] = field(default_factory=dict)
    """More per-row table columns: ``<m>/values``, ``<m>/variance``, ``<m>/agreement``."""
    metrics: dict[str, float] = field(default_factory=dict)
    """``<m>/pass@<k>``, ``<m>/pass^<k>``, ``<m>/agreement``, ``<m>/flaky_count``."""
    flaky: list[dict[str, Any]] = field(default_factory=list)
    """One record per (row, metric) whose repeats disagree: ``row``, ``metric``,
    ``values``, ``agreement``."""


def _fold(values: list[Any]) -> tuple[Any, float | None, float | None, bool]:
    """A row's ``(value, variance, agreement, disagree)`` from its repeats' values."""
    present = [v for v in values if v is not None]
    if not present:
        return None, None, None, False
    converted = [to_number(v) for v in present]
    keys = [repr(c) if c is not None else repr(v) for c, v in zip(converted, present, strict=True)]
    counts = Counter(keys)
    top_count = counts.most_common(1)[0][1]
    agreement = top_count / len(present)
    disagree = len(counts) > 1
    numbers = [c for c in converted if isinstance(c, float)]
    if len(numbers) == len(present):
        mean = statistics.fmean(numbers)
        return mean, statistics.pvariance(numbers), agreement, disagree
    # labels (or a mix): the most common verdict, the first seen on a tie
    first_top = next(k for k in keys if counts[k] == top_count)
    return present[keys.index(first_top)], None, agreement, disagree


def combine_repeats(runs: Sequence[dict[str, MetricColumn]], n_rows: int) -> Repeated:
    """Fold the metric columns of ``k`` repeats (``runs[s]``: repeat ``s``) per row.

    Args:
        runs: The columns of each repeat, as :func:`~evalkit.engine.collect_metrics` gives.
        n_rows: The number of rows.

    Returns:
        The folded columns, the extra table columns, the repeat metrics and the flaky rows
        (see the module docstring).
    """
    k = len(runs)
    names: list[str] = []
    for columns in runs:
        names.extend(n for n in columns if n not in names)
    out = Repeated(columns={})
    for name in names:
        present = [c[name] for c in runs if name in c]
        scorer = present[0].scorer
        folded = MetricColumn.empty(scorer, n_rows)
        all_values: list[list[Any]] = []
        variances: list[float | None] = []
        agreements: list[float | None] = []
        flaky = 0
        for i in range(n_rows):
            values: list[Any] = []
            first_error: AssessmentError | None = None
            rationale: str | None = None
            for columns in runs:
                col = columns.get(name)
                if col is None or col.errors[i] is not None:
                    values.append(None)
                    if col is not None and first_error is None:
                        first_error = col.errors[i]
                    continue
                values.append(col.values[i])
                if rationale is None:
                    rationale = col.rationales[i]
            value, variance, agreement, disagree = _fold(values)
            if value is None:
                folded.errors[i] = first_error
            else:
                folded.values[i] = value
                folded.rationales[i] = rationale
            all_values.append(values)
            variances.append(variance)
            agreements.append(agreement)
            if disagree:
                flaky += 1
                out.flaky.append(
                    {"row": i, "metric": name, "values": values, "agreement": agreement}
                )
        out.columns[name] = folded
        out.extra[f"{name}/values"] = all_values
        out.extra[f"{name}/variance"] = variances
        out.extra[f"{name}/agreement"] = agreements
        known = [a for a in agreements if a is not None]
        if known:
            out.metrics[f"{name}/agreement"] = statistics.fmean(known)
        out.metrics[f"{name}/flaky_count"] = float(flaky)
        complete = [v for v in all_values if all(x is not None for x in v)]
        numbers = [to_number(x) for v in complete for x in v]
        if complete and all(x in (0.0, 1.0) for x in numbers):
            out.metrics[f"{name}/pass@{k}"] = mean_pass_at_k(complete, k)
            out.metrics[f"{name}/pass^{k}"] = mean_pass_at_k(complete, k, all_pass=True)
    out.flaky.sort(key=lambda r: (r["row"], names.index(r["metric"])))
    return out
