"""Reading per-row table cells: values as numbers, and which cells are empty."""

from __future__ import annotations

import math
from typing import Any

from evalkit.aggregation import to_number


def plain(value: Any) -> Any:
    """A numpy scalar as the Python value it holds; anything else unchanged."""
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        return value.item()
    return value


def present(value: Any) -> bool:
    """Whether a cell holds something (not ``None``, NaN or ``pd.NA``)."""
    value = plain(value)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    return type(value).__name__ not in ("NAType", "NaTType")


def row_number(value: Any) -> float | None:
    """A per-row value as a number (bools and ``"yes"``/``"no"`` as 1/0), else ``None``."""
    if not present(value):
        return None
    number = to_number(plain(value))
    return number if isinstance(number, float) else None
