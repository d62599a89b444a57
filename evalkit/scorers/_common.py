"""What the built-in heuristic scorers share: their default aggregations and row errors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from evalkit.aggregation import Aggregation
from evalkit.entities import AssessmentError, Feedback
from evalkit.errors import ErrorCode

STANDARD_AGGREGATIONS: tuple[Aggregation, ...] = ("mean", "variance", "p90")
"""MLflow's ``standard_aggregations``: what its heuristic metrics report."""


def row_error(code: str, message: str) -> Feedback:
    """A per-row failure: the row gets this error, the other rows their values."""
    return Feedback(error=AssessmentError(error_code=code, error_message=message))


def not_text(column: str, value: Any) -> Feedback:
    """The row's ``column`` is not a string."""
    return row_error(
        ErrorCode.INVALID_INPUT,
        f"{column} is a {type(value).__name__} ({value!r:.60}), not a string; "
        "this metric scores text",
    )


def expected_response(expectations: Any) -> Any:
    """The ground truth of a row: ``expectations["expected_response"]`` (or ``None``)."""
    if isinstance(expectations, Mapping):
        return expectations.get("expected_response")
    return None


def text_pairs(
    outputs: list[Any], expectations: list[Any]
) -> tuple[list[Any], list[int], list[str], list[str]]:
    """Split rows into (results with errors filled in, valid indices, targets, predictions)."""
    results: list[Any] = [None] * len(outputs)
    index: list[int] = []
    targets: list[str] = []
    predictions: list[str] = []
    for i, (output, expectation) in enumerate(zip(outputs, expectations, strict=True)):
        target = expected_response(expectation)
        if not isinstance(output, str):
            results[i] = not_text("outputs", output)
        elif target is None:
            results[i] = row_error(
                ErrorCode.MISSING_EXPECTATION,
                "the row has no expected_response (ground truth) to compare the outputs with",
            )
        elif not isinstance(target, str):
            results[i] = not_text("expectations['expected_response']", target)
        else:
            index.append(i)
            targets.append(target)
            predictions.append(output)
    return results, index, targets, predictions
