"""The exceptions evalkit raises, and the codes of per-row errors.

Every exception evalkit raises on purpose derives from :class:`EvalkitError`, so
``except evalkit.EvalkitError`` catches all of them. The tree is shallow::

    EvalkitError
     ├── UsageError         an API was called wrongly (bad argument to evaluate(), ...)
     ├── DataError          the evaluation data cannot be used (names row and column)
     ├── ScorerError        a scorer is misconfigured (duplicate name, bad aggregation, ...)
     ├── JudgeError         an LLM judge cannot be built or its model cannot be called
     │    ├── JudgeOutputError   a judge's answer cannot be read as the declared type
     │    └── ModelCallError     one model call failed for good (``code`` says why)
     │         └── BudgetExceededError  not called: the evaluation's ``max_cost`` is spent
     ├── TrackingError      the tracking store cannot be read or written
     │    ├── RunNotFoundError   no run has the given id
     │    └── PromptError        a prompt cannot be registered, found or formatted
     ├── ConfigError        the project configuration (evalkit.toml) cannot be used
     ├── GateError          a quality gate is malformed or names an unknown metric
     ├── MissingDependencyError  an optional dependency is not installed (says what to install)
     └── NetworkBlockedError     a connection beyond loopback while the network guard is on

Exceptions are reserved for misuse found *before* work starts. A failure while scoring
one row (a scorer that raises, a judge that times out) is never raised: it becomes that
row's ``Feedback.error`` whose ``error_code`` is an :class:`ErrorCode` (or the exception's
type name) and the evaluation goes on.
"""

from __future__ import annotations

import enum

__all__ = [
    "BudgetExceededError",
    "ConfigError",
    "DataError",
    "ErrorCode",
    "EvalkitError",
    "GateError",
    "JudgeError",
    "JudgeOutputError",
    "MissingDependencyError",
    "ModelCallError",
    "NetworkBlockedError",
    "PromptError",
    "RunNotFoundError",
    "ScorerError",
    "TrackingError",
    "UsageError",
]


class ErrorCode(enum.StrEnum):
    """The codes of per-row errors that evalkit itself gives (``AssessmentError.error_code``).

    A ``str`` enum: each member equals its name as a plain string, so the journal, the per-row
    table and the report hold the same text as before. An error raised by a scorer keeps the
    exception's type name (``"KeyError"``) as its code instead.
    """

    RATE_LIMITED = "RATE_LIMITED"
    """The provider kept answering 429 after every retry."""
    TIMEOUT = "TIMEOUT"
    """The model call timed out after every retry."""
    CONNECTION_ERROR = "CONNECTION_ERROR"
    """The provider could not be reached."""
    SERVER_ERROR = "SERVER_ERROR"
    """The provider kept answering 5xx."""
    AUTHENTICATION_ERROR = "AUTHENTICATION_ERROR"
    """The provider refused the credentials."""
    BAD_REQUEST = "BAD_REQUEST"
    """The provider refused the request as malformed."""
    MALFORMED_RESPONSE = "MALFORMED_RESPONSE"
    """The provider's answer could not be read."""
    ANSWER_TOO_LARGE = "ANSWER_TOO_LARGE"
    """The answer was over the size cap (1,000,000 characters); not stored, not retried."""
    ENDPOINT_UNAVAILABLE = "ENDPOINT_UNAVAILABLE"
    """Not sent: the model's endpoint failed too many times in a row (its circuit is open)."""
    UNPRICED_MODEL = "UNPRICED_MODEL"
    """Not sent: a ``max_cost`` budget is set and the model has no known price."""
    BUDGET_EXCEEDED = "BUDGET_EXCEEDED"
    """The call was not started: the evaluation's ``max_cost`` was spent."""
    BATCH_PENDING = "BATCH_PENDING"
    """Batch mode's first pass: the call was recorded for the OpenAI Batch API, not sent."""
    DRY_RUN = "DRY_RUN"
    """A dry run: the call was counted, not sent."""
    UNKNOWN = "UNKNOWN"
    """A model call failed for a reason evalkit could not classify."""
    INVALID_JUDGE_OUTPUT = "INVALID_JUDGE_OUTPUT"
    """The judge's answer could not be read as the declared value type, even after a re-ask."""
    NO_RETRIEVED_CONTEXT = "NO_RETRIEVED_CONTEXT"
    """A retrieval judge found no retrieved context in the row's trace."""
    PREDICTION_FAILED = "PREDICTION_FAILED"
    """The row was not scored because ``predict_fn`` raised on it."""
    INVALID_SCORER_RETURN = "INVALID_SCORER_RETURN"
    """The scorer returned something that is not a value, a Feedback or a list of them."""
    MISSING_VALUE = "MISSING_VALUE"
    """The scorer returned ``None`` or NaN for the row: no value and no error."""
    MISSING_OUTPUTS = "MISSING_OUTPUTS"
    """The row has no outputs (missing or NaN) for a scorer that reads them."""
    INVALID_INPUT = "INVALID_INPUT"
    """A column a heuristic metric reads has the wrong type."""
    MISSING_EXPECTATION = "MISSING_EXPECTATION"
    """The row has no ground truth for a metric that compares with it."""


class EvalkitError(Exception):
    """Root of every exception evalkit raises on purpose."""


class UsageError(EvalkitError, ValueError):
    """An evalkit function was called wrongly; the message says which argument to change."""


class DataError(EvalkitError, ValueError):
    """The evaluation data cannot be used; the message names the row, the column and the fix."""


class ScorerError(EvalkitError, ValueError):
    """A scorer is misconfigured or cannot run on the given data."""


class JudgeError(EvalkitError):
    """An LLM judge cannot be built, or its model cannot be called at all."""


class JudgeOutputError(JudgeError, ValueError):
    """A judge's answer cannot be read as the declared value type."""


class TrackingError(EvalkitError):
    """The tracking store cannot be read or written."""


class PromptError(TrackingError, ValueError):
    """A prompt cannot be registered, found or formatted (e.g. a template variable is missing)."""


class RunNotFoundError(TrackingError):
    """No run in the store has the given id."""


class ConfigError(EvalkitError, ValueError):
    """The project configuration cannot be read or has an unknown or mistyped key."""


class GateError(EvalkitError, ValueError):
    """A gate cannot be checked: a requirement is malformed or names an unknown metric."""


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
