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

The cap adapts (AIMD, as TCP does): a 429 halves the calls let in flight at once (never
below one; once per congestion event: only a call started after the last cut can cut
again), and every ``cap`` successes add one back, so the cap grows by one per round of
successful calls until it is ``max_concurrent`` again.

Requests-per-minute and tokens-per-minute budgets (:class:`RateLimit`, given per model as
``rate_limits={"openai:/gpt-4o": {"rpm": 500, "tpm": 200_000}}``) are kept by a
:class:`RateGate` per model endpoint: a call waits, holding its slot, until it is due; calls
are paced evenly over the minute.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DEFAULT_MAX_CONCURRENT_CALLS",
    "LimiterRegistry",
    "ModelLimiter",
    "RateGate",
    "RateLimit",
    "parse_rate_limits",
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
        self._window = max_concurrent  # the adaptive cap (AIMD), <= max_concurrent
        self._successes = 0  # since the cap last grew
        self._generation = 0  # bumped by each cut: older calls' 429s do not cut again
        self.max_in_flight = 0
        """The most calls that were in flight at one time."""
        self.pauses = 0
        """How many times a 429 paused this model."""
        self.cuts = 0
        """How many times a 429 halved the cap."""

    @property
    def cap(self) -> int:
        """Calls let in flight at once now: ``max_concurrent``, halved by 429s (AIMD)."""
        return self._window

    @property
    def in_flight(self) -> int:
        """Calls holding a slot now."""
        return self._in_flight

    def paused_for(self) -> float:
        """Seconds until calls may start again (0 when not paused)."""
        return max(0.0, self._paused_until - time.monotonic())

    def acquire(self) -> int:
        """Wait for a free slot and for any pause to pass, then take the slot.

        Returns:
            A ticket to hand to :meth:`rate_limited` if this call draws a 429.
        """
        with self._cond:
            while True:
                wait = self._paused_until - time.monotonic()
                if wait <= 0 and self._in_flight < self.cap:
                    break
                self._cond.wait(wait if wait > 0 else None)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            return self._generation

    def succeeded(self) -> None:
        """A call got an answer: after ``cap`` of them the cap grows by one (additive
        increase)."""
        if self._window >= self.max_concurrent:
            return
        with self._cond:
            self._successes += 1
            if self._successes >= self._window:
                self._successes = 0
                self._window = min(self.max_concurrent, self._window + 1)
                self._cond.notify()

    def rate_limited(self, ticket: int) -> None:
        """A call that took its slot with ``ticket`` drew a 429: halve the cap, once per
        congestion event (multiplicative decrease)."""
        with self._cond:
            if ticket != self._generation:
                return  # sent before the last cut: that cut already answered this congestion
            self._generation += 1
            self._window = max(1, self._window // 2)
            self._successes = 0
            self.cuts += 1

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

    def __init__(
        self,
        max_concurrent_calls: int = DEFAULT_MAX_CONCURRENT_CALLS,
        rate_limits: Mapping[str, RateLimit] | None = None,
    ) -> None:
        if max_concurrent_calls < 1:
            raise ValueError(f"max_concurrent_calls must be at least 1, got {max_concurrent_calls}")
        self.max_concurrent_calls = max_concurrent_calls
        self.rate_limits = dict(rate_limits or {})
        """Budgets by model (``provider/model``)."""
        self._lock = threading.Lock()
        self._limiters: dict[str, ModelLimiter] = {}
        self._gates: dict[str, RateGate | None] = {}

    def gate_for(self, key: str, litellm_model: str) -> RateGate | None:
        """The rate gate of ``key`` (one model at one endpoint) when ``litellm_model`` has
        a budget, created on first use."""
        if not self.rate_limits:
            return None
        try:
            return self._gates[key]
        except KeyError:
            with self._lock:
                if key not in self._gates:
                    limit = self.rate_limits.get(litellm_model)
                    self._gates[key] = RateGate(limit) if limit is not None else None
                return self._gates[key]

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


# -- requests and tokens per minute ------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class RateLimit:
    """A model's budget per minute, as providers state it."""

    rpm: int | None = None
    """Requests per minute (``None``: no limit)."""
    tpm: int | None = None
    """Tokens per minute, counted as the provider counts them when a request arrives: the
    prompt's estimated tokens plus ``max_tokens`` (``None``: no limit)."""


def _positive(value: Any, key: str, model: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 1:
        raise ValueError(
            f"rate_limits[{model!r}][{key!r}] must be a whole number >= 1 (per minute), got "
            f"{value!r}; leave the key out for no limit"
        )
    return int(value)


def parse_rate_limits(
    rate_limits: Mapping[str, Mapping[str, Any]] | None,
    parse_model: Any,
) -> dict[str, RateLimit]:
    """Check ``{"openai:/gpt-4o": {"rpm": 500, "tpm": 200000}, ...}`` and key it by
    ``provider/model`` (``parse_model``: the URI parser).

    Raises:
        ValueError: A key other than ``rpm``/``tpm``, or a value that is not >= 1.
    """
    parsed: dict[str, RateLimit] = {}
    for model, entry in (rate_limits or {}).items():
        if not isinstance(entry, Mapping):
            raise ValueError(
                f"rate_limits[{model!r}] must be a mapping like {{'rpm': 500, 'tpm': 200000}}, "
                f"got {entry!r}"
            )
        unknown = sorted(set(entry) - {"rpm", "tpm"})
        if unknown:
            raise ValueError(
                f"rate_limits[{model!r}] has unknown keys {unknown}; use 'rpm' (requests per "
                "minute) and 'tpm' (tokens per minute)"
            )
        parsed[parse_model(model)] = RateLimit(
            rpm=_positive(entry.get("rpm"), "rpm", model),
            tpm=_positive(entry.get("tpm"), "tpm", model),
        )
    return parsed


_SLACK = 1.02
"""Calls are paced 2% under the budget: the provider counts a request a moment after it
was counted here, and network and scheduling jitter must not push one over its limit."""


class RateGate:
    """Keeps one model endpoint's calls within a :class:`RateLimit` (thread-safe).

    Calls are paced evenly (the generic cell rate algorithm, a leaky bucket without burst):
    with ``rpm=120`` one call starts every half second, never 120 at the top of a minute,
    because providers enforce their per-minute limits over windows of a few seconds and a
    burst that fits the minute still draws 429s. ``tpm`` paces by tokens the same way. (The
    windowed counters of the ``limits`` library allow exactly such bursts at each window's
    start, and aiolimiter's leaky bucket serves asyncio only; this is the ten lines they
    would replace.)
    """

    def __init__(self, limit: RateLimit) -> None:
        self.limit = limit
        self._per_request = 60.0 * _SLACK / limit.rpm if limit.rpm else 0.0
        self._per_token = 60.0 * _SLACK / limit.tpm if limit.tpm else 0.0
        self._lock = threading.Lock()
        self._next_request = 0.0  # monotonic time the next call may start (requests)
        self._next_token = 0.0  # and by tokens
        self.waited = 0.0
        """Seconds calls spent waiting for the budget, in all."""

    def wait(self, tokens: int) -> None:
        """Block until a request of ``tokens`` tokens is due, and count it.

        A request larger than the whole ``tpm`` budget counts as that budget (it waits for
        a full minute's worth, never for ever).
        """
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next_request, self._next_token)
            if self._per_request:
                self._next_request = start + self._per_request
            if self._per_token:
                counted = min(max(1, tokens), self.limit.tpm or 1)
                self._next_token = start + counted * self._per_token
            delay = start - now
            self.waited += delay
        if delay > 0:
            time.sleep(delay)
