"""What the model calls of one evaluation used and cost, and its ``max_cost`` budget.

``evaluate()`` opens a :func:`~evalkit.llm.call_scope` with a :class:`UsageMeter`; every
:func:`~evalkit.llm.complete` made in it (from any worker thread) adds to the meter. A call served
from the cache counts as a call and as cached, but costs nothing. Once the cost paid reaches
``max_cost``, new calls fail at once with :class:`BudgetExceededError` (calls already in
flight finish).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from evalkit.errors import BudgetExceededError, ErrorCode

__all__ = [
    "BUDGET_EXCEEDED",
    "DRY_RUN",
    "ESTIMATED_OUTPUT_TOKENS",
    "UsageMeter",
]

BUDGET_EXCEEDED = ErrorCode.BUDGET_EXCEEDED
"""The error code of rows left unscored because ``max_cost`` was reached."""
DRY_RUN = ErrorCode.DRY_RUN
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
        """Raise :class:`~evalkit.errors.BudgetExceededError` when the budget is spent."""
        if self.max_cost is None:
            return
        with self._lock:
            if self.cost < self.max_cost:
                return
            self.refused += 1
            spent = self.cost

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
        self,
        litellm_model: str,
        messages: list[dict[str, Any]],
        max_tokens: Any,
        *,
        parameters: Mapping[str, Any] | None = None,
        pricing: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        """Count one call a dry run does not send: its prompt tokens (tiktoken, offline),
        :data:`ESTIMATED_OUTPUT_TOKENS` output tokens and their price."""
        from evalkit.llm.pricing import cost as price_of
        from evalkit.llm.transport import load_litellm

        litellm = load_litellm()
        name = litellm_model.partition("/")[2]
        try:
            prompt = int(litellm.token_counter(model=name, messages=messages))
        except Exception:  # an unknown tokenizer: about four characters a token
            prompt = sum(len(str(m.get("content", ""))) for m in messages) // 4 + 1
        out = ESTIMATED_OUTPUT_TOKENS
        if isinstance(max_tokens, int) and max_tokens > 0:
            out = min(out, max_tokens)
        cost = price_of(litellm_model, prompt, out, parameters=parameters, pricing=pricing)
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
