"""Reading per-row table cells: values as numbers, and which cells are empty."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from evalkit.stats import to_number

if TYPE_CHECKING:
    import pandas as pd


def plain(value: Any) -> Any:
    """A numpy scalar as the Python value it holds; anything else unchanged."""
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        return value.item()
    return value


def present(value: Any) -> bool:
    """Whether a cell holds something (not ``None``, NaN or ``pd.NA``)."""
    kind = type(value)
    if value is None:
        return False
    if kind is str or kind is bool or kind is int:
        return True
    if kind is float:
        return not math.isnan(value)
    value = plain(value)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    return type(value).__name__ not in ("NAType", "NaTType")


def row_number(value: Any) -> float | None:
    """A per-row value as a number (bools and ``"yes"``/``"no"`` as 1/0), else ``None``."""
    kind = type(value)
    if kind is bool or kind is int:
        return float(value)
    if kind is float:
        return None if math.isnan(value) else value
    if not present(value):
        return None
    number = to_number(plain(value))
    return number if isinstance(number, float) else None


class Columns:
    """Fast cell access to a per-row table: its columns as Python lists, rows by label.

    Reading cells through ``DataFrame.loc`` costs tens of microseconds each; a report of
    thousands of rows reads tens of thousands of cells.
    """

    def __init__(self, table: pd.DataFrame) -> None:
        self.labels: list[Any] = [plain(label) for label in table.index]
        self._position = {label: i for i, label in enumerate(self.labels)}
        self._columns: dict[str, list[Any]] = {
            str(name): table[name].tolist() for name in table.columns
        }

    def __contains__(self, column: str) -> bool:
        return column in self._columns

    def column(self, name: str) -> list[Any]:
        """A whole column (``None`` for every row when the table lacks it)."""
        return self._columns.get(name) or [None] * len(self.labels)

    def get(self, label: Any, column: str) -> Any:
        """The cell of row ``label`` in ``column``; ``None`` when the table lacks it."""
        values = self._columns.get(column)
        return None if values is None else plain(values[self._position[label]])


__all__ = ["Columns", "format_cell", "format_number", "plain", "present", "row_number"]


def format_number(value: Any) -> str:
    """A metric value for display: up to 4 significant digits, integers plain."""
    if value is None:
        return "—"
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.4g}"


def format_cell(value: Any) -> str:
    """A table cell's text: a one-key dict as its value, other records as JSON."""
    value = plain(value)
    if not present(value):
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return format_number(value)
    if isinstance(value, Mapping) and len(value) == 1:
        return format_cell(next(iter(value.values())))
    if isinstance(value, Mapping) and value:
        return "\n".join(
            f"{key}: {item if isinstance(item, str) else _json(item)}"
            for key, item in value.items()
        )
    return json.dumps(value, ensure_ascii=False, default=str)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
