"""The small typed values evalkit produces: assessments, metric values and results.

Names and meanings follow MLflow (``mlflow.entities.Feedback``,
``mlflow.metrics.MetricValue``, ``mlflow.models.EvaluationResult``) so that code written
against MLflow reads the same here.
"""

from __future__ import annotations

import enum
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "AssessmentError",
    "AssessmentSource",
    "AssessmentSourceType",
    "EvaluationResult",
    "Feedback",
    "MetricValue",
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

    def __post_init__(self) -> None:
        if isinstance(self.error, BaseException):
            object.__setattr__(self, "error", AssessmentError.from_exception(self.error))


@dataclass(frozen=True, kw_only=True, slots=True)
class MetricValue:
    """A legacy-metric result: per-row scores, their justifications and aggregates.

    Mirrors ``mlflow.metrics.MetricValue``.
    """

    scores: list[Any] | None = None
    """One score per row (numbers, or strings for label metrics)."""
    justifications: list[str | None] | None = None
    """One justification per row, where the metric gives one."""
    aggregate_results: dict[str, float] | None = None
    """Aggregates over the scores, keyed by aggregation name (``"mean"``, ``"p90"``, ...)."""


@dataclass(frozen=True, kw_only=True)
class EvaluationResult:
    """What :func:`evalkit.evaluate` returns: aggregated metrics and the per-row table."""

    metrics: dict[str, float]
    """Aggregated values keyed ``"<scorer>/<aggregation>"``, e.g. ``"exact_match/mean"``."""
    tables: dict[str, pd.DataFrame]
    """Per-row tables; ``tables["eval_results_table"]`` has one row per record."""
    run_id: str | None = None
    """The tracking run the evaluation was logged to, if any."""
    usage: dict[str, Any] = field(default_factory=dict)
    """What the evaluation's model calls used: ``judge_calls`` (all calls, cached ones
    included), ``cached_calls`` (served from the call cache, free), ``input_tokens``,
    ``output_tokens``, ``cost`` (USD paid, from litellm's price list) and
    ``budget_refused`` (calls not started because ``max_cost`` was spent)."""

    @property
    def result_df(self) -> pd.DataFrame:
        """The per-row table, ``tables["eval_results_table"]`` (MLflow's ``result_df``)."""
        return self.tables["eval_results_table"]
