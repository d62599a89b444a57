"""Moved to :mod:`evalkit.engine.table_cells`; this name stays importable for now."""

from evalkit.engine.table_cells import Columns, plain, present, row_number

__all__ = ["Columns", "plain", "present", "row_number"]
