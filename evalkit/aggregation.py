"""Moved to :mod:`evalkit.stats`; this name stays importable for existing code."""

from evalkit.stats import (
    AGGREGATIONS,
    Aggregation,
    aggregate,
    to_number,
    validate_aggregations,
)

__all__ = ["AGGREGATIONS", "Aggregation", "aggregate", "to_number", "validate_aggregations"]
