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
    "AnyAssessment",
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
class Assessment:
    """What :class:`Feedback` and :class:`Expectation` share (MLflow's ``Assessment``): a
    name, where it came from, and, once attached to a trace, which trace and span."""

    name: str | None = None
    """The assessment's name (for a ``Feedback``: the metric; ``None``: the scorer's name)."""
    source: AssessmentSource | None = None
    """Who produced it."""
    metadata: Mapping[str, Any] = field(default_factory=dict)
    """Free-form extra information, e.g. token usage of a judge call."""
    trace_id: str | None = None
    """The trace it is attached to, if any."""
    span_id: str | None = None
    """The span of that trace it is about, if any."""
    assessment_id: str | None = None
    """Its id in the tracking store, once stored."""
    create_time_ms: int | None = None
    """When it was created, in milliseconds since the epoch, once stored."""
    last_update_time_ms: int | None = None
    """When it last changed, in milliseconds since the epoch, once stored."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Feedback(Assessment):
    """One assessment of one record: a value with its rationale, or an error saying why not.

    A scorer may return a ``Feedback`` (or a list of them, each its own metric named by
    ``name``) instead of a bare value, to attach a rationale or metadata. The fields are
    MLflow's (``mlflow.entities.Feedback``).
    """

    value: Any = None
    """The assessment: a bool, number or string label (``"yes"``/``"no"`` count as 1/0)."""
    rationale: str | None = None
    """Why the value is what it is, e.g. an LLM judge's reasoning."""
    error: AssessmentError | None = None
    """Set instead of a value when the assessment failed for this record."""
    overrides: str | None = None
    """The id of the assessment this one replaces (a human correcting a judge)."""
    valid: bool = True
    """``False`` once another assessment overrides this one."""

    def __post_init__(self) -> None:
        if isinstance(self.error, BaseException):
            object.__setattr__(self, "error", AssessmentError.from_exception(self.error))


@dataclass(frozen=True, kw_only=True, slots=True)
class Expectation(Assessment):
    """The expected outcome of a record (ground truth), e.g. ``expected_response``; MLflow's
    ``mlflow.entities.Expectation``.

    Raises:
        ValueError: ``name`` is empty.
    """

    value: Any = None
    """The expected value: a string, a list of facts, a dict, ..."""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError("an Expectation needs a name, e.g. name='expected_response'")

    @property
    def rationale(self) -> None:
        """Expectations carry no rationale (present so both kinds read alike)."""
        return None

    @property
    def error(self) -> None:
        """Expectations carry no error (present so both kinds read alike)."""
        return None


AnyAssessment = Feedback | Expectation
"""A stored assessment of a trace: a :class:`Feedback` or an :class:`Expectation`."""
