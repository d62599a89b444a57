"""A circuit breaker per model endpoint: stop calling a server that is down.

A run of consecutive attempts that could not reach the server (connection refused, DNS,
reset) or were turned away with 429 opens the breaker of that model and endpoint. While
it is open, calls to it fail at once with code ``ENDPOINT_UNAVAILABLE`` and a message that
names the URL, instead of each call spending minutes in retries. After ``cooldown`` seconds
calls are let through again; one more failure opens it again, one success closes it.
"""

from __future__ import annotations

import threading
import time

from evalkit.errors import ErrorCode

__all__ = [
    "BREAKER_CODES",
    "DEFAULT_BREAKER_COOLDOWN",
    "DEFAULT_BREAKER_THRESHOLD",
    "BreakerRegistry",
    "CircuitBreaker",
]

DEFAULT_BREAKER_THRESHOLD = 10
"""Consecutive connection failures or 429s, over all calls to one endpoint, that open it."""
DEFAULT_BREAKER_COOLDOWN = 60.0
"""Seconds an open breaker refuses calls before letting them try again."""
BREAKER_CODES = frozenset({ErrorCode.CONNECTION_ERROR, ErrorCode.RATE_LIMITED})
"""The failure codes that count towards opening a breaker."""


class CircuitBreaker:
    """Counts consecutive failed attempts to one endpoint (thread-safe).

    Args:
        threshold: Consecutive failures that open the breaker (at least 1).
        cooldown: Seconds it stays open before calls may try again.
    """

    def __init__(
        self,
        threshold: int = DEFAULT_BREAKER_THRESHOLD,
        cooldown: float = DEFAULT_BREAKER_COOLDOWN,
    ) -> None:
        if threshold < 1:
            raise ValueError(f"breaker threshold must be at least 1, got {threshold}")
        self.threshold = threshold
        self.cooldown = cooldown
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self.last_failure = ""
        """The message of the failure that opened the breaker (or the latest one)."""

    @property
    def failures(self) -> int:
        """Consecutive failures counted so far."""
        return self._failures

    def is_open(self) -> bool:
        """Whether calls are refused now."""
        with self._lock:
            opened = self._opened_at
        return opened is not None and time.monotonic() - opened < self.cooldown

    def record(self, code: str | None, message: str = "") -> None:
        """Count one attempt's outcome: ``None`` for a success, else its error code."""
        with self._lock:
            if code is None:
                self._failures = 0
                self._opened_at = None
            elif code in BREAKER_CODES:
                self._failures += 1
                self.last_failure = message
                if self._failures >= self.threshold:
                    self._opened_at = time.monotonic()


class BreakerRegistry:
    """The breakers of one scope: one :class:`CircuitBreaker` per model endpoint."""

    def __init__(
        self,
        threshold: int = DEFAULT_BREAKER_THRESHOLD,
        cooldown: float = DEFAULT_BREAKER_COOLDOWN,
    ) -> None:
        CircuitBreaker(threshold, cooldown)  # check the arguments now
        self.threshold = threshold
        self.cooldown = cooldown
        self._lock = threading.Lock()
        self._breakers: dict[str, CircuitBreaker] = {}

    def for_endpoint(self, key: str) -> CircuitBreaker:
        """The breaker of ``key`` (one model at one endpoint), created on first use."""
        breaker = self._breakers.get(key)
        if breaker is None:
            with self._lock:
                breaker = self._breakers.setdefault(
                    key, CircuitBreaker(self.threshold, self.cooldown)
                )
        return breaker
