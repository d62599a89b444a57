"""What the model calls of one evaluation used and cost, and its ``max_cost`` budget.

``evaluate()`` opens a :func:`usage_scope`; every :func:`~evalkit.judges.client.complete`
made in it (from any worker thread) adds to the scope's :class:`UsageMeter`. A call served
from the cache counts as a call and as cached, but costs nothing. Once the cost paid reaches
``max_cost``, new calls fail at once with :class:`BudgetExceededError` (calls already in
flight finish).
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from collections.abc import Iterator
from typing import Any

__all__ = [
    "BUDGET_EXCEEDED",
    "DRY_RUN",
    "ESTIMATED_OUTPUT_TOKENS",
    "UsageMeter",
    "current_meter",
    "usage_scope",
]

BUDGET_EXCEEDED = "BUDGET_EXCEEDED"
"""The error code of rows left unscored because ``max_cost`` was reached."""
DRY_RUN = "DRY_RUN"
"""The error code of the calls a dry run counted instead of sending."""
ESTIMATED_OUTPUT_TOKENS = 150
"""Output tokens a dry run assumes per judge call (a verdict and a short rationale), or the
call's ``max_tokens`` when that is smaller."""


class UsageMeter:
    """Counts of the model calls made in one scope (thread-safe)."""

    def __init__(self, max_cost: float | None = None, *, dry_run: bool = False) -> None:
        self.max_cost = max_cost
        self.dry_run = dry_run
        self.unpriced_calls = 0
        self.calls = 0
        self.cached = 0
        self.input_tokens = 0
        self.output_tokens = 0
        self.cost = 0.0
        self.refused = 0
        self._lock = threading.Lock()

    def check_budget(self, model: str) -> None:
        """Raise :class:`~evalkit.judges.client.BudgetExceededError` when the budget is spent."""
        if self.max_cost is None:
            return
        with self._lock:
            if self.cost < self.max_cost:
                return
            self.refused += 1
            spent = self.cost
        from evalkit.judges.client import BudgetExceededError

        raise BudgetExceededError(
            f"{model}: not called: the evaluation's max_cost of ${self.max_cost:.4f} is spent "
            f"(${spent:.4f} so far); raise max_cost or resume the run to score this row",
            model=model,
        )

    def record(
        self,
        *,
        cached: bool,
        input_tokens: int | None,
        output_tokens: int | None,
        cost: float | None,
    ) -> None:
        """Add one finished call."""
        with self._lock:
            self.calls += 1
            if cached:
                self.cached += 1
                return
            self.input_tokens += input_tokens or 0
            self.output_tokens += output_tokens or 0
            self.cost += cost or 0.0

    def count_dry_run(
        self, litellm_model: str, messages: list[dict[str, Any]], max_tokens: Any
    ) -> None:
        """Count one call a dry run does not send: its prompt tokens (tiktoken, offline),
        :data:`ESTIMATED_OUTPUT_TOKENS` output tokens and their price."""
        from evalkit.judges.client import _cost, _litellm

        litellm = _litellm()
        name = litellm_model.partition("/")[2]
        try:
            prompt = int(litellm.token_counter(model=name, messages=messages))
        except Exception:  # an unknown tokenizer: about four characters a token
            prompt = sum(len(str(m.get("content", ""))) for m in messages) // 4 + 1
        out = ESTIMATED_OUTPUT_TOKENS
        if isinstance(max_tokens, int) and max_tokens > 0:
            out = min(out, max_tokens)
        cost = _cost(litellm_model, prompt, out)
        with self._lock:
            if cost is None:
                self.unpriced_calls += 1
        self.record(cached=False, input_tokens=prompt, output_tokens=out, cost=cost)

    def as_dict(self) -> dict[str, Any]:
        """``judge_calls``, ``cached_calls``, ``input_tokens``, ``output_tokens``, ``cost``
        and ``budget_refused`` (calls not started because of ``max_cost``); for a dry run
        also ``estimate: True`` and ``unpriced_calls`` (models without a known price)."""
        with self._lock:
            return {
                "judge_calls": self.calls,
                "cached_calls": self.cached,
                "input_tokens": self.input_tokens,
                "output_tokens": self.output_tokens,
                "cost": self.cost,
                "budget_refused": self.refused,
                **(
                    {"estimate": True, "unpriced_calls": self.unpriced_calls}
                    if self.dry_run
                    else {}
                ),
            }


_current: contextvars.ContextVar[UsageMeter | None] = contextvars.ContextVar(
    "evalkit_usage_meter", default=None
)


def current_meter() -> UsageMeter | None:
    """The meter of the innermost :func:`usage_scope`, if any."""
    return _current.get()


@contextlib.contextmanager
def usage_scope(max_cost: float | None = None, *, dry_run: bool = False) -> Iterator[UsageMeter]:
    """Count the model calls made in this block (and in threads run in a copy of its context).

    Args:
        max_cost: Stop starting new calls once this many USD have been paid.
        dry_run: Count what each call would cost instead of sending it (the call then
            fails with code :data:`DRY_RUN`).

    Yields:
        The new meter.
    """
    meter = UsageMeter(max_cost, dry_run=dry_run)
    token = _current.set(meter)
    try:
        yield meter
    finally:
        _current.reset(token)
