"""The small typed values evalkit produces: assessments, metric values, usage and results.

Names and meanings follow MLflow (``mlflow.entities.Feedback``,
``mlflow.metrics.MetricValue``, ``mlflow.models.EvaluationResult``) so that code written
against MLflow reads the same here (``from mlflow.entities import Metric, Param, RunTag``
becomes ``from evalkit.entities import ...``).

* :mod:`evalkit.entities.assessments` -- ``Feedback``, ``Expectation`` (both ``Assessment``),
  ``AssessmentError``, ``AssessmentSource``;
* :mod:`evalkit.entities.metric_value` -- ``MetricValue``;
* :mod:`evalkit.entities.usage` -- ``Usage``;
* :mod:`evalkit.entities.trace` -- ``Trace``, ``TraceInfo``, ``TraceData``, ``Span``;
* :mod:`evalkit.entities.result` -- ``EvaluationResult``;
* :mod:`evalkit.entities.runs` -- what the tracking store keeps: ``Experiment``, ``Run``
  (``RunInfo``, ``RunData``, ``RunInputs``), ``Metric``, ``Param``, ``RunTag``, ``RunStatus``,
  ``LifecycleStage``, ``ViewType``, ``FileInfo``, ``Dataset``, ``DatasetInput``, ``InputTag``.
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
from evalkit.entities.runs import (
    Dataset,
    DatasetInput,
    Experiment,
    FileInfo,
    InputTag,
    LifecycleStage,
    Metric,
    Param,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunStatus,
    RunTag,
    ViewType,
)
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
    "Dataset",
    "DatasetInput",
    "EvaluationResult",
    "Expectation",
    "Experiment",
    "Feedback",
    "FileInfo",
    "InputTag",
    "LifecycleStage",
    "Metric",
    "MetricValue",
    "Param",
    "Run",
    "RunData",
    "RunInfo",
    "RunInputs",
    "RunStatus",
    "RunTag",
    "Span",
    "SpanEvent",
    "SpanType",
    "Trace",
    "TraceData",
    "TraceInfo",
    "TraceState",
    "Usage",
    "ViewType",
]
