"""Assessments of one record: a Feedback (a value, or an error saying why not) and its source.

Names and fields follow MLflow's ``mlflow.entities.Feedback`` / ``AssessmentSource`` /
``AssessmentError``.
"""

from __future__ import annotations

import enum
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Assessment",
    "AssessmentError",
    "AssessmentSource",
    "AssessmentSourceType",
    "Expectation",
    "Feedback",
]


class AssessmentSourceType(enum.StrEnum):
    """Who produced an assessment."""

    HUMAN = "HUMAN"
    LLM_JUDGE = "LLM_JUDGE"
    CODE = "CODE"


@dataclass(frozen=True, kw_only=True, slots=True)
class AssessmentSource:
    """Where an assessment came from, e.g. ``LLM_JUDGE`` / ``openai:/gpt-4.1-mini``."""

    source_type: AssessmentSourceType = AssessmentSourceType.CODE
    """The kind of producer: a human, an LLM judge or code."""
    source_id: str | None = None
    """Which one: a model URI for a judge, a scorer name for code, a user for a human."""

    def __post_init__(self) -> None:
        if not isinstance(self.source_type, AssessmentSourceType):
            try:
                kind = AssessmentSourceType(str(self.source_type).upper())
            except ValueError:
                choices = ", ".join(t.value for t in AssessmentSourceType)
                raise ValueError(
                    f"source_type {self.source_type!r} is not one of {choices}"
                ) from None
            object.__setattr__(self, "source_type", kind)


@dataclass(frozen=True, kw_only=True, slots=True)
class AssessmentError:
    """Why an assessment has no value: the error code, the message and where it happened."""

    error_code: str
    """A short machine-readable cause, e.g. the exception type ``"KeyError"`` or ``"TIMEOUT"``."""
    error_message: str | None = None
    """A human-readable explanation of what went wrong."""
    stack_trace: str | None = None
    """The formatted traceback, when the error came from an exception."""

    @classmethod
    def from_exception(cls, exc: BaseException) -> AssessmentError:
        """Build an error whose code is the exception's type and message its text."""
        return cls(
            error_code=type(exc).__name__,
            error_message=str(exc) or repr(exc),
            stack_trace="".join(traceback.format_exception(exc)),
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class Feedback:
    """One assessment of one record: a value with its rationale, or an error saying why not.

    A scorer may return a ``Feedback`` (or a list of them, each its own metric named by
    ``name``) instead of a bare value, to attach a rationale or metadata.
    """

    name: str | None = None
    """The metric this value belongs to; ``None`` means the returning scorer's name."""
    value: Any = None
    """The assessment: a bool, number or string label (``"yes"``/``"no"`` count as 1/0)."""
    rationale: str | None = None
    """Why the value is what it is, e.g. an LLM judge's reasoning."""
    source: AssessmentSource | None = None
    """Who produced the value."""
    error: AssessmentError | None = None
    """Set instead of a value when the assessment failed for this record."""
    metadata: Mapping[str, Any] = field(default_factory=dict)
    """Free-form extra information, e.g. token usage of a judge call."""
    trace_id: str | None = None
    """The trace this assessment is attached to, once stored with one."""
    assessment_id: str | None = None
    """The store's id of this assessment (``None`` until stored)."""
    span_id: str | None = None
    """The span of the trace it assesses, when it assesses one step only."""
    create_time_ms: int | None = None
    """When it was stored, in milliseconds since the epoch."""
    last_update_time_ms: int | None = None
    """When it was last changed, in milliseconds since the epoch."""

    def __post_init__(self) -> None:
        if isinstance(self.error, BaseException):
            object.__setattr__(self, "error", AssessmentError.from_exception(self.error))


@dataclass(frozen=True, kw_only=True, slots=True)
class Expectation:
    """What a record should produce (a ground truth), attached to a trace: MLflow's Expectation.

    ``evaluate`` reads a trace's expectations as the row's ``expectations``.
    """

    name: str
    """What is expected, e.g. ``"expected_response"`` or ``"expected_facts"``."""
    value: Any = None
    """The expected value."""
    source: AssessmentSource | None = None
    """Who stated it (usually a human)."""
    metadata: Mapping[str, Any] = field(default_factory=dict)
    """Free-form extra information."""
    trace_id: str | None = None
    """The trace this expectation is attached to, once stored with one."""
    assessment_id: str | None = None
    """The store's id of this expectation (``None`` until stored)."""
    span_id: str | None = None
    """The span of the trace it is about, when about one step only."""
    create_time_ms: int | None = None
    """When it was stored, in milliseconds since the epoch."""
    last_update_time_ms: int | None = None
    """When it was last changed, in milliseconds since the epoch."""

    @property
    def rationale(self) -> None:
        """Expectations carry no rationale (present so both kinds read alike)."""
        return None

    @property
    def error(self) -> None:
        """Expectations carry no error (present so both kinds read alike)."""
        return None


Assessment = Feedback | Expectation
"""An assessment of a trace: a :class:`Feedback` or an :class:`Expectation`."""
