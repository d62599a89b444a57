"""Cell values: what counts as missing, and numpy values as plain Python ones."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["is_missing", "plain"]


def is_missing(value: Any) -> bool:
    """Whether a cell is empty: ``None``, NaN, or pandas' NA/NaT."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return type(value).__name__ in ("NAType", "NaTType")


def plain(value: Any) -> Any:
    """numpy scalars and arrays (from DataFrames and parquet) to plain Python values."""
    if type(value).__module__ == "numpy":
        return value.tolist() if hasattr(value, "tolist") else value
    return value
