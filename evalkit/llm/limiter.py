"""One concurrency cap per model, shared by every call of a scope, with a joint back-off on 429.

Every model call (:func:`evalkit.llm.complete`) takes a slot from the :class:`ModelLimiter`
of its model before it sends the request and gives it back when the answer (or error)
arrives. When the provider answers 429, the limiter pauses: no call to that model starts until
``Retry-After`` (or the back-off) has passed, so the calls back off together instead of each
hammering the provider on its own, and then all resume.

The limiters live in the :class:`~evalkit.llm.CallScope` of the calls
(:func:`evalkit.llm.call_scope`): all judges of one evaluation that use the same model share
one cap (``evaluate(..., max_concurrent_calls=...)``, default
:data:`DEFAULT_MAX_CONCURRENT_CALLS`). Calls made outside any scope share one process-wide
registry with the same default cap.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

__all__ = [
    "DEFAULT_MAX_CONCURRENT_CALLS",
    "LimiterRegistry",
    "ModelLimiter",
]

DEFAULT_MAX_CONCURRENT_CALLS = 10
"""Calls in flight per model when no cap is given."""


class ModelLimiter:
    """A concurrency cap for one model, with a pause that every caller honours.

    Args:
        max_concurrent: The most calls in flight at once (at least 1).
    """

    def __init__(self, max_concurrent: int = DEFAULT_MAX_CONCURRENT_CALLS) -> None:
        if max_concurrent < 1:
            raise ValueError(f"max_concurrent must be at least 1, got {max_concurrent}")
        self.max_concurrent = max_concurrent
        self._cond = threading.Condition(threading.Lock())
        self._in_flight = 0
        self._paused_until = 0.0
        self.max_in_flight = 0
        """The most calls that were in flight at one time."""
        self.pauses = 0
        """How many times a 429 paused this model."""

    @property
    def in_flight(self) -> int:
        """Calls holding a slot now."""
        return self._in_flight

    def paused_for(self) -> float:
        """Seconds until calls may start again (0 when not paused)."""
        return max(0.0, self._paused_until - time.monotonic())

    def acquire(self) -> None:
        """Wait for a free slot and for any pause to pass, then take the slot."""
        with self._cond:
            while True:
                wait = self._paused_until - time.monotonic()
                if wait <= 0 and self._in_flight < self.max_concurrent:
                    break
                self._cond.wait(wait if wait > 0 else None)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)

    def release(self) -> None:
        """Give back a slot taken by :meth:`acquire`."""
        with self._cond:
            self._in_flight -= 1
            self._cond.notify()

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one slot for the duration of the block."""
        self.acquire()
        try:
            yield
        finally:
            self.release()

    def pause(self, seconds: float) -> None:
        """Let no call start for ``seconds`` from now (a longer pause already set wins)."""
        if seconds <= 0:
            return
        with self._cond:
            until = time.monotonic() + seconds
            if until > self._paused_until:
                self._paused_until = until
                self.pauses += 1
            # waiters re-check the deadline; they wake by timeout when it passes
            self._cond.notify_all()


class LimiterRegistry:
    """The limiters of one scope (an evaluation): one :class:`ModelLimiter` per model.

    Args:
        max_concurrent_calls: The cap of every model's limiter.
    """

    def __init__(self, max_concurrent_calls: int = DEFAULT_MAX_CONCURRENT_CALLS) -> None:
        if max_concurrent_calls < 1:
            raise ValueError(f"max_concurrent_calls must be at least 1, got {max_concurrent_calls}")
        self.max_concurrent_calls = max_concurrent_calls
        self._lock = threading.Lock()
        self._limiters: dict[str, ModelLimiter] = {}

    def for_model(self, model: str) -> ModelLimiter:
        """The limiter of ``model`` (any key naming one endpoint), created on first use."""
        limiter = self._limiters.get(model)
        if limiter is None:
            with self._lock:
                limiter = self._limiters.setdefault(model, ModelLimiter(self.max_concurrent_calls))
        return limiter

    @property
    def limiters(self) -> dict[str, ModelLimiter]:
        """The limiters created so far, by model (a copy)."""
        with self._lock:
            return dict(self._limiters)
