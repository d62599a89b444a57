"""evalkit: evaluate LLM applications with heuristic metrics, LLM judges and your own scorers.

The public API. Heavy libraries (pandas, numpy, litellm, ...) load on first use, so
``import evalkit`` stays fast.

Example:
    >>> import evalkit
    >>> @evalkit.scorer
    ... def exact_match(outputs, expectations) -> bool:
    ...     return outputs == expectations["expected_response"]
    >>> record = {"inputs": {"q": "2+2?"}, "outputs": "4", "expectations": "4"}
    >>> result = evalkit.evaluate(data=[record], scorers=[exact_match])
    >>> result.metrics["exact_match/mean"]
    1.0
"""

from evalkit import metrics
from evalkit.datasets import (
    EvaluationDataset,
    create_dataset,
    delete_dataset,
    delete_dataset_tag,
    get_dataset,
    search_datasets,
    set_dataset_tags,
)
from evalkit.entities import (
    AssessmentError,
    AssessmentSource,
    AssessmentSourceType,
    EvaluationResult,
    Feedback,
    MetricValue,
    Usage,
)
from evalkit.errors import (
    DataError,
    ErrorCode,
    EvalkitError,
    JudgeError,
    MissingDependencyError,
    NetworkBlockedError,
    ScorerError,
    TrackingError,
    UsageError,
)
from evalkit.evaluate import estimate, evaluate
from evalkit.scorers.base import BatchScorer, Scorer, scorer
from evalkit.tracing import Span, Trace, start_span, trace
from evalkit.tracking import (
    active_run,
    create_experiment,
    delete_run,
    end_run,
    get_artifact_uri,
    get_experiment,
    get_experiment_by_name,
    get_metric_history,
    get_run,
    get_tracking_uri,
    last_active_run,
    load_table,
    log_artifact,
    log_artifacts,
    log_dict,
    log_metric,
    log_metrics,
    log_param,
    log_params,
    log_table,
    log_text,
    restore_run,
    search_runs,
    set_experiment,
    set_tag,
    set_tags,
    set_tracking_uri,
    start_run,
)

__version__ = "0.1.0"

# Scorer.register (scorers layer) stores through the tracking layer, which it may not import:
# the package wires the two together here.
from evalkit.scorers import base as _scorer_base
from evalkit.tracking import scorers as _stored_scorers

_scorer_base.use_scorer_storage(_stored_scorers)


def __getattr__(name: str) -> object:
    # evalkit.genai (the mirror of mlflow.genai) loads on first use: `import evalkit` then
    # `evalkit.genai.evaluate(...)`, as MLflow's examples write it.
    if name == "genai":
        import importlib

        return importlib.import_module("evalkit.genai")
    raise AttributeError(f"module 'evalkit' has no attribute {name!r}")


if __import__("os").environ.get("EVALKIT_BLOCK_NETWORK", "") not in ("", "0"):
    from evalkit.testing.network import block_network as _block_network

    _block_network()

__all__ = [
    "AssessmentError",
    "AssessmentSource",
    "AssessmentSourceType",
    "BatchScorer",
    "DataError",
    "ErrorCode",
    "EvalkitError",
    "EvaluationDataset",
    "EvaluationResult",
    "Feedback",
    "JudgeError",
    "MetricValue",
    "MissingDependencyError",
    "NetworkBlockedError",
    "Scorer",
    "ScorerError",
    "Span",
    "Trace",
    "TrackingError",
    "Usage",
    "UsageError",
    "__version__",
    "active_run",
    "create_dataset",
    "create_experiment",
    "delete_dataset",
    "delete_dataset_tag",
    "delete_run",
    "end_run",
    "estimate",
    "evaluate",
    "genai",
    "get_artifact_uri",
    "get_dataset",
    "get_experiment",
    "get_experiment_by_name",
    "get_metric_history",
    "get_run",
    "get_tracking_uri",
    "last_active_run",
    "load_table",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "log_table",
    "log_text",
    "metrics",
    "restore_run",
    "scorer",
    "search_datasets",
    "search_runs",
    "set_dataset_tags",
    "set_experiment",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "start_run",
    "start_span",
    "trace",
]
