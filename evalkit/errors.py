"""The exceptions evalkit raises.

Every exception evalkit raises on purpose derives from :class:`EvalkitError`, so
``except evalkit.EvalkitError`` catches all of them. The tree is shallow::

    EvalkitError
     ├── DataError          the evaluation data cannot be used (names row and column)
     ├── ScorerError        a scorer is misconfigured (duplicate name, bad aggregation, ...)
     ├── JudgeError         an LLM judge cannot be built or its model cannot be called
     │    └── ModelCallError     one model call failed for good (``code`` says why)
     │         └── BudgetExceededError  not called: the evaluation's ``max_cost`` is spent
     ├── TrackingError      the tracking store cannot be read or written
     │    └── PromptError        a prompt cannot be registered, found or formatted
     ├── MissingDependencyError  an optional dependency is not installed (says what to install)
     └── NetworkBlockedError     a connection beyond loopback while the network guard is on

Exceptions are reserved for misuse found *before* work starts. A failure while scoring
one row (a scorer that raises, a judge that times out) is never raised: it becomes that
row's ``Feedback.error`` and the evaluation goes on.
"""

from __future__ import annotations

__all__ = [
    "BudgetExceededError",
    "DataError",
    "EvalkitError",
    "JudgeError",
    "MissingDependencyError",
    "ModelCallError",
    "NetworkBlockedError",
    "PromptError",
    "ScorerError",
    "TrackingError",
]


class EvalkitError(Exception):
    """Root of every exception evalkit raises on purpose."""


class DataError(EvalkitError, ValueError):
    """The evaluation data cannot be used; the message names the row, the column and the fix."""


class ScorerError(EvalkitError, ValueError):
    """A scorer is misconfigured or cannot run on the given data."""


class JudgeError(EvalkitError):
    """An LLM judge cannot be built, or its model cannot be called at all."""


class TrackingError(EvalkitError):
    """The tracking store cannot be read or written."""


class PromptError(TrackingError, ValueError):
    """A prompt cannot be registered, found or formatted (e.g. a template variable is missing)."""


class MissingDependencyError(EvalkitError, ImportError):
    """An optional dependency is missing; the message says which ``pip install`` fixes it."""


class NetworkBlockedError(EvalkitError, ConnectionError):
    """A connection beyond loopback was attempted while the network guard is on."""


# -- model calls (raised by evalkit.llm, re-exported there) --------------------------------

_RETRYABLE_CALL_CODES = frozenset(
    {"RATE_LIMITED", "TIMEOUT", "CONNECTION_ERROR", "SERVER_ERROR", "MALFORMED_RESPONSE"}
)


class ModelCallError(JudgeError):
    """A model call that failed for good; :attr:`code` is a short cause.

    Attributes:
        code: One of :data:`evalkit.llm.ERROR_CODES`.
        model: The model URI as given.
        attempts: Requests sent before giving up.
        status_code: The HTTP status of the last answer, when there was one.
        retry_after: Seconds the provider asked to wait (from ``Retry-After``), if any.
        retryable: Whether this kind of failure was worth another attempt.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str,
        model: str,
        attempts: int = 1,
        status_code: int | None = None,
        retry_after: float | None = None,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.model = model
        self.attempts = attempts
        self.status_code = status_code
        self.retry_after = retry_after
        self.retryable = code in _RETRYABLE_CALL_CODES if retryable is None else retryable


class BudgetExceededError(ModelCallError):
    """A call not started because the evaluation's ``max_cost`` was spent
    (``code="BUDGET_EXCEEDED"``, never retried)."""

    def __init__(self, message: str, *, model: str) -> None:
        super().__init__(message, code="BUDGET_EXCEEDED", model=model, attempts=0, retryable=False)
