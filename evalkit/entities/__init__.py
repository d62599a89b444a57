"""The small typed values evalkit produces: assessments, metric values, usage and results.

Names and meanings follow MLflow (``mlflow.entities.Feedback``,
``mlflow.metrics.MetricValue``, ``mlflow.models.EvaluationResult``) so that code written
against MLflow reads the same here. Tracking's records (runs, experiments, ...) are in
:mod:`evalkit.tracking.runs`; this package holds what an evaluation produces.

* :mod:`evalkit.entities.assessments` -- ``Feedback``, ``Expectation`` (both ``Assessment``),
  ``AssessmentError``, ``AssessmentSource``;
* :mod:`evalkit.entities.metric_value` -- ``MetricValue``;
* :mod:`evalkit.entities.usage` -- ``Usage``;
* :mod:`evalkit.entities.trace` -- ``Trace``, ``TraceInfo``, ``TraceData``, ``Span``;
* :mod:`evalkit.entities.result` -- ``EvaluationResult``.
"""

from evalkit.entities.assessments import (
    Assessment,
    AssessmentError,
    AssessmentSource,
    AssessmentSourceType,
    Expectation,
    Feedback,
)
from evalkit.entities.metric_value import MetricValue
from evalkit.entities.result import EvaluationResult
from evalkit.entities.trace import (
    Span,
    SpanEvent,
    SpanType,
    Trace,
    TraceData,
    TraceInfo,
    TraceState,
)
from evalkit.entities.usage import Usage

__all__ = [
    "Assessment",
    "AssessmentError",
    "AssessmentSource",
    "AssessmentSourceType",
    "EvaluationResult",
    "Expectation",
    "Feedback",
    "MetricValue",
    "Span",
    "SpanEvent",
    "SpanType",
    "Trace",
    "TraceData",
    "TraceInfo",
    "TraceState",
    "Usage",
]
