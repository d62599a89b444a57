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
from evalkit.entities import (
    AssessmentError,
    AssessmentSource,
    AssessmentSourceType,
    EvaluationResult,
    Expectation,
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
    PromptError,
    ScorerError,
    TrackingError,
    UsageError,
)
from evalkit.evaluate import estimate, evaluate
from evalkit.scorers.base import BatchScorer, Scorer, scorer
from evalkit.tracing import Span, Trace, start_span, trace
from evalkit.tracking import (
    MlflowClient,
    active_run,
    create_experiment,
    delete_assessment,
    delete_prompt_alias,
    delete_run,
    delete_trace_tag,
    delete_traces,
    end_run,
    get_artifact_uri,
    get_assessment,
    get_experiment,
    get_experiment_by_name,
    get_metric_history,
    get_run,
    get_trace,
    get_tracking_uri,
    iter_traces,
    last_active_run,
    load_prompt,
    load_table,
    log_artifact,
    log_artifacts,
    log_assessment,
    log_dict,
    log_expectation,
    log_feedback,
    log_input,
    log_metric,
    log_metrics,
    log_param,
    log_params,
    log_table,
    log_text,
    log_traces,
    register_prompt,
    restore_run,
    search_prompts,
    search_runs,
    search_traces,
    set_experiment,
    set_prompt_alias,
    set_tag,
    set_tags,
    set_trace_tag,
    set_tracking_uri,
    start_run,
    update_assessment,
)
from evalkit.tracking.datasets import (
    EvaluationDataset,
    add_dataset_to_experiments,
    create_dataset,
    delete_dataset,
    delete_dataset_tag,
    get_dataset,
    remove_dataset_from_experiments,
    search_datasets,
    set_dataset_tags,
)

__version__ = "0.1.0"

# Scorer.register (scorers layer) stores through the tracking layer, which it may not import:
# the package wires the two together here.
from evalkit.scorers import base as _scorer_base
from evalkit.tracking import scorers as _stored_scorers

_scorer_base.use_scorer_storage(_stored_scorers)


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
    "Expectation",
    "Feedback",
    "JudgeError",
    "MetricValue",
    "MissingDependencyError",
    "MlflowClient",
    "NetworkBlockedError",
    "PromptError",
    "Scorer",
    "ScorerError",
    "Span",
    "Trace",
    "TrackingError",
    "Usage",
    "UsageError",
    "__version__",
    "active_run",
    "add_dataset_to_experiments",
    "create_dataset",
    "create_experiment",
    "delete_assessment",
    "delete_dataset",
    "delete_dataset_tag",
    "delete_prompt_alias",
    "delete_run",
    "delete_trace_tag",
    "delete_traces",
    "end_run",
    "estimate",
    "evaluate",
    "genai",
    "get_artifact_uri",
    "get_assessment",
    "get_dataset",
    "get_experiment",
    "get_experiment_by_name",
    "get_metric_history",
    "get_run",
    "get_trace",
    "get_tracking_uri",
    "iter_traces",
    "last_active_run",
    "load_prompt",
    "load_table",
    "log_artifact",
    "log_artifacts",
    "log_assessment",
    "log_dict",
    "log_expectation",
    "log_feedback",
    "log_input",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "log_table",
    "log_text",
    "log_traces",
    "metrics",
    "register_prompt",
    "remove_dataset_from_experiments",
    "restore_run",
    "scorer",
    "search_datasets",
    "search_prompts",
    "search_runs",
    "search_traces",
    "set_dataset_tags",
    "set_experiment",
    "set_prompt_alias",
    "set_tag",
    "set_tags",
    "set_trace_tag",
    "set_tracking_uri",
    "start_run",
    "start_span",
    "trace",
    "update_assessment",
]


_SUBPACKAGES = frozenset(  # evalkit.genai is how MLflow's examples write it
    {
        "genai",
        "judges",
        "legacy",
        "llm",
        "report",
        "scorers",
        "testing",
        "tracing",
        "tracking",
        "ui",
    }
)


def __getattr__(name: str) -> object:
    # ``evalkit.judges.make_judge(...)`` after a plain ``import evalkit``, as
    # ``mlflow.genai.judges`` works after ``import mlflow``; imported on first use so
    # ``import evalkit`` stays fast.
    if name in _SUBPACKAGES:
        import importlib

        return importlib.import_module(f"evalkit.{name}")
    raise AttributeError(f"module 'evalkit' has no attribute {name!r}")
