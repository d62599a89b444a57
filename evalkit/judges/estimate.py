"""What an evaluation's judge calls will cost, before any is sent."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["estimate"]


def estimate(
    data: Any,
    scorers: Sequence[Any],
    predict_fn: Callable[..., Any] | None = None,
    *,
    max_workers: int | None = None,
) -> dict[str, Any]:
    """Estimate the judge tokens and cost of ``evaluate(data, scorers, predict_fn)``.

    Every scorer runs as in an evaluation, but each model call is counted instead of sent:
    its prompt tokens (tiktoken, offline), :data:`~evalkit.judges.usage.ESTIMATED_OUTPUT_TOKENS`
    output tokens (or ``max_tokens`` if smaller) and their price from litellm's bundled
    price list. Calls the cache already answers are counted as cached and free. Nothing is
    logged and ``predict_fn`` is not called (outputs are empty, so its answers' tokens are
    not counted). A judge that makes a second call only when the first answer is unreadable
    is counted for one call.

    Args:
        data: The records, as for :func:`evalkit.evaluate`.
        scorers: The scorers, as for :func:`evalkit.evaluate`.
        predict_fn: The app, when the data has no outputs (not called).
        max_workers: Threads rendering prompts (default as for ``evaluate``).

    Returns:
        ``judge_calls``, ``cached_calls``, ``input_tokens``, ``output_tokens``, ``cost``
        (USD; calls to models without a known price add nothing), ``unpriced_calls``,
        ``budget_refused`` (0) and ``estimate`` (``True``).

    Example:
        >>> evalkit.estimate(records, [Correctness(model="openai:/gpt-4.1-mini")])["cost"]
        0.0123
    """
    from evalkit.evaluate import evaluate

    result = evaluate(
        data, scorers, predict_fn, max_workers=max_workers, progress=False, dry_run=True
    )
    return dict(result.usage)
