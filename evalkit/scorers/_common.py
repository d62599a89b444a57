"""What the built-in heuristic scorers share: their default aggregations and row errors."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

from evalkit.entities import AssessmentError, Feedback
from evalkit.errors import ErrorCode
from evalkit.stats import Aggregation

TEXT_PRESETS: tuple[str, ...] = ("text", "question-answering", "text-summarization")
"""The legacy ``model_type`` presets whose default metrics include the text metrics."""

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
    if type(expectations) is dict or isinstance(expectations, Mapping):  # dict: no ABC check
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


def clipped_matches(reference: Sequence[Hashable], candidate: Sequence[Hashable]) -> int:
    """Sum over the candidate's distinct items of min(count there, count in the reference):
    the clipped n-gram overlap of ROUGE-N and BLEU, given each side's n-grams.

    Bigrams and longer rarely repeat within one answer; then the overlap is the size of a
    set intersection, computed in C (a third of the time of two Counters).
    """
    ref_set, can_set = set(reference), set(candidate)
    if len(ref_set) == len(reference) and len(can_set) == len(candidate):
        return len(ref_set & can_set)
    return clipped_counts(reference, candidate)


def clipped_counts(reference: Sequence[Hashable], candidate: Sequence[Hashable]) -> int:
    """:func:`clipped_matches` by counting (for unigrams, which usually repeat).

    Each of the candidate's items takes one of the reference's that is left: the same sum
    of min(count, count), with one Counter instead of two.
    """
    left = Counter(reference)
    get = left.get
    matches = 0
    for item in candidate:
        count = get(item)
        if count:
            left[item] = count - 1
            matches += 1
    return matches


def numeric_values(values: Sequence[Any]) -> list[float]:
    """The numbers among per-row values (booleans as 1/0; errors, ``None`` and NaN left out)."""
    out = []
    for v in values:
        if isinstance(v, bool):
            out.append(1.0 if v else 0.0)
        elif isinstance(v, int | float) and not math.isnan(v):
            out.append(float(v))
    return out


def standard_aggregations(scores: Sequence[float]) -> dict[str, float]:
    """MLflow's aggregates of a heuristic metric: mean, (population) variance and p90."""
    import numpy as np

    return {
        "mean": float(np.mean(scores)),
        "variance": float(np.var(scores)),
        "p90": float(np.percentile(scores, 90)),
    }


def mlflow_standard_aggregates(values: Sequence[Any]) -> dict[str, float]:
    """The legacy form's aggregates of most heuristic metrics (none when no row scored)."""
    numbers = numeric_values(values)
    return standard_aggregations(numbers) if numbers else {}


def no_aggregates(values: Sequence[Any]) -> dict[str, float]:
    """For metrics MLflow reports per row only (``token_count``, ``latency``)."""
    return {}
