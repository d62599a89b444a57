"""Aggregating one metric's per-row values into the numbers a run reports.

Keys are ``"<metric>/<aggregation>"``. Values are made numeric first: ``bool`` counts as
1/0, the strings ``"yes"``/``"no"`` (any case) as 1/0 as MLflow does, strings that spell a
number as that number. Other strings are labels and are reported as counts per label,
``"<metric>/count/<label>"``. Errored rows are left out of every aggregate; every metric
also reports ``"<metric>/count"`` (rows the aggregates cover) and
``"<metric>/error_count"`` (rows whose assessment failed or was skipped), so a mean
always says how many rows it stands for.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any, Literal, TypeAlias

from evalkit.errors import ScorerError

__all__ = ["AGGREGATIONS", "Aggregation", "aggregate", "to_number", "validate_aggregations"]

Aggregation: TypeAlias = (
    Literal["min", "max", "mean", "median", "variance", "p90"] | Callable[[list[float]], float]
)
"""A named aggregation or a callable over the list of numeric values."""


def _mean(v: list[float]) -> float:
    import numpy as np

    return float(np.mean(v))


def _median(v: list[float]) -> float:
    import numpy as np

    return float(np.median(v))


def _variance(v: list[float]) -> float:
    import numpy as np

    return float(np.var(v))


def _p90(v: list[float]) -> float:
    import numpy as np

    return float(np.percentile(v, 90))


AGGREGATIONS: dict[str, Callable[[list[float]], float]] = {
    "min": lambda v: float(min(v)),
    "max": lambda v: float(max(v)),
    "mean": _mean,
    "median": _median,
    "variance": _variance,
    "p90": _p90,
}
"""The named aggregations, with numpy's definitions (population variance, linear p90)."""

_YES_NO = {"yes": 1.0, "no": 0.0}


def validate_aggregations(
    aggregations: Sequence[Aggregation] | None, scorer_name: str
) -> list[Aggregation]:
    """Check aggregation names early; ``None`` means ``["mean"]``."""
    if aggregations is None:
        return ["mean"]
    if isinstance(aggregations, str) or not isinstance(aggregations, Sequence):
        raise ScorerError(
            f"scorer {scorer_name!r}: aggregations must be a list, e.g. ['mean', 'p90'], "
            f"got {aggregations!r}"
        )
    for agg in aggregations:
        if isinstance(agg, str):
            if agg not in AGGREGATIONS:
                raise ScorerError(
                    f"scorer {scorer_name!r}: unknown aggregation {agg!r}; use one of "
                    f"{', '.join(AGGREGATIONS)} or a callable over the list of values"
                )
        elif not callable(agg):
            raise ScorerError(f"scorer {scorer_name!r}: aggregation {agg!r} is not callable")
    return list(aggregations)


def to_number(value: Any) -> float | str | None:
    """Map one value to a float, a label (``str``) or ``None`` (no value: left out)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        f = float(value)
        return None if math.isnan(f) else f
    if isinstance(value, str):
        key = value.strip()
        lowered = key.lower()
        if lowered in _YES_NO:
            return _YES_NO[lowered]
        try:
            f = float(key)
        except ValueError:
            return key
        return key if math.isnan(f) or math.isinf(f) else f
    return None


def _aggregation_name(agg: Aggregation, position: int) -> str:
    if isinstance(agg, str):
        return agg
    name = getattr(agg, "__name__", "")
    return name if name and name != "<lambda>" else f"aggregation_{position}"


def aggregate(
    metric: str,
    values: Sequence[Any],
    error_count: int,
    aggregations: Sequence[Aggregation],
) -> dict[str, float]:
    """Aggregate one metric's values (errored rows already removed) into result keys.

    Args:
        metric: The metric name, the prefix of every key.
        values: The per-row values of rows that did not error.
        error_count: How many rows errored or were skipped.
        aggregations: What to compute over the numeric values.

    Returns:
        ``{"<metric>/<aggregation>": value, "<metric>/count": n, "<metric>/error_count": e}``
        plus ``"<metric>/count/<label>"`` for string labels.
    """
    numbers: list[float] = []
    labels: dict[str, int] = {}
    for v in values:
        x = to_number(v)
        if x is None:
            continue
        if isinstance(x, str):
            labels[x] = labels.get(x, 0) + 1
        else:
            numbers.append(x)
    out: dict[str, float] = {}
    if numbers:
        for position, agg in enumerate(aggregations):
            fn = AGGREGATIONS[agg] if isinstance(agg, str) else agg
            key = f"{metric}/{_aggregation_name(agg, position)}"
            try:
                out[key] = float(fn(numbers))
            except Exception as exc:  # a user's aggregation must not lose the run's results
                warnings.warn(f"aggregation {key!r} failed and is left out: {exc!r}", stacklevel=2)
    for label in sorted(labels):
        out[f"{metric}/count/{label}"] = float(labels[label])
    out[f"{metric}/count"] = float(len(numbers) + sum(labels.values()))
    out[f"{metric}/error_count"] = float(error_count)
    return out
