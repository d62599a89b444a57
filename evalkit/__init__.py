"""evalkit: evaluate LLM applications with heuristic metrics, LLM judges and your own scorers.

The public API. ``import evalkit`` loads only the exceptions; every other name loads its
module on first use (PEP 562), and heavy libraries (pandas, numpy, litellm, ...) load when
something needs them, so ``import evalkit`` costs a few milliseconds and a first judge call
after it pays only for the model-call layer.

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

import importlib as _importlib
import sys as _sys
import types as _types
import typing as _typing

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

if _typing.TYPE_CHECKING:  # what the lazy names below are, for type checkers and editors
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
    from evalkit.evaluate import (
        estimate,
        evaluate,
    )
    from evalkit.scorers.base import (
        BatchScorer,
        Scorer,
        scorer,
    )
    from evalkit.tracing import (
        Span,
        Trace,
        start_span,
        trace,
    )
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


# name -> the module that defines it, imported on the first access of the name
_LAZY: dict[str, str] = {
    "AssessmentError": "evalkit.entities",
    "AssessmentSource": "evalkit.entities",
    "AssessmentSourceType": "evalkit.entities",
    "EvaluationResult": "evalkit.entities",
    "Expectation": "evalkit.entities",
    "Feedback": "evalkit.entities",
    "MetricValue": "evalkit.entities",
    "Usage": "evalkit.entities",
    "estimate": "evalkit.evaluate",
    "evaluate": "evalkit.evaluate",
    "BatchScorer": "evalkit.scorers.base",
    "Scorer": "evalkit.scorers.base",
    "scorer": "evalkit.scorers.base",
    "Span": "evalkit.tracing",
    "Trace": "evalkit.tracing",
    "start_span": "evalkit.tracing",
    "trace": "evalkit.tracing",
    "MlflowClient": "evalkit.tracking",
    "active_run": "evalkit.tracking",
    "create_experiment": "evalkit.tracking",
    "delete_assessment": "evalkit.tracking",
    "delete_prompt_alias": "evalkit.tracking",
    "delete_run": "evalkit.tracking",
    "delete_trace_tag": "evalkit.tracking",
    "delete_traces": "evalkit.tracking",
    "end_run": "evalkit.tracking",
    "get_artifact_uri": "evalkit.tracking",
    "get_assessment": "evalkit.tracking",
    "get_experiment": "evalkit.tracking",
    "get_experiment_by_name": "evalkit.tracking",
    "get_metric_history": "evalkit.tracking",
    "get_run": "evalkit.tracking",
    "get_trace": "evalkit.tracking",
    "get_tracking_uri": "evalkit.tracking",
    "iter_traces": "evalkit.tracking",
    "last_active_run": "evalkit.tracking",
    "load_prompt": "evalkit.tracking",
    "load_table": "evalkit.tracking",
    "log_artifact": "evalkit.tracking",
    "log_artifacts": "evalkit.tracking",
    "log_assessment": "evalkit.tracking",
    "log_dict": "evalkit.tracking",
    "log_expectation": "evalkit.tracking",
    "log_feedback": "evalkit.tracking",
    "log_input": "evalkit.tracking",
    "log_metric": "evalkit.tracking",
    "log_metrics": "evalkit.tracking",
    "log_param": "evalkit.tracking",
    "log_params": "evalkit.tracking",
    "log_table": "evalkit.tracking",
    "log_text": "evalkit.tracking",
    "log_traces": "evalkit.tracking",
    "register_prompt": "evalkit.tracking",
    "restore_run": "evalkit.tracking",
    "search_prompts": "evalkit.tracking",
    "search_runs": "evalkit.tracking",
    "search_traces": "evalkit.tracking",
    "set_experiment": "evalkit.tracking",
    "set_prompt_alias": "evalkit.tracking",
    "set_tag": "evalkit.tracking",
    "set_tags": "evalkit.tracking",
    "set_trace_tag": "evalkit.tracking",
    "set_tracking_uri": "evalkit.tracking",
    "start_run": "evalkit.tracking",
    "update_assessment": "evalkit.tracking",
    "EvaluationDataset": "evalkit.tracking.datasets",
    "add_dataset_to_experiments": "evalkit.tracking.datasets",
    "create_dataset": "evalkit.tracking.datasets",
    "delete_dataset": "evalkit.tracking.datasets",
    "delete_dataset_tag": "evalkit.tracking.datasets",
    "get_dataset": "evalkit.tracking.datasets",
    "remove_dataset_from_experiments": "evalkit.tracking.datasets",
    "search_datasets": "evalkit.tracking.datasets",
    "set_dataset_tags": "evalkit.tracking.datasets",
}

_SUBPACKAGES = frozenset(  # evalkit.genai is how MLflow's examples write it
    {
        "genai",
        "judges",
        "legacy",
        "llm",
        "metrics",
        "report",
        "scorers",
        "testing",
        "tracing",
        "tracking",
        "ui",
    }
)


def __getattr__(name: str) -> object:
    # ``evalkit.evaluate(...)``, ``evalkit.log_metric(...)``: the defining module is imported
    # on first use and the name kept here; ``evalkit.judges.make_judge(...)`` after a plain
    # ``import evalkit``, as ``mlflow.genai.judges`` works after ``import mlflow``.
    module = _LAZY.get(name)
    if module is not None:
        value = getattr(_importlib.import_module(module), name)
        globals()[name] = value
        return value
    if name in _SUBPACKAGES:
        return _importlib.import_module(f"evalkit.{name}")
    raise AttributeError(f"module 'evalkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY, *_SUBPACKAGES})


class _Package(_types.ModuleType):
    """``evalkit`` itself. Importing a submodule sets the package's attribute of its name;
    for ``evalkit.evaluate``, whose function shares the module's name, the attribute stays
    the function, whichever code imports the module first."""

    def __setattr__(self, name: str, value: object) -> None:
        if name == "evaluate" and isinstance(value, _types.ModuleType):
            value = value.evaluate
        super().__setattr__(name, value)


_sys.modules[__name__].__class__ = _Package


def _use_stored_scorers() -> None:
    """Install the tracking layer's scorer storage for :meth:`Scorer.register` (the scorers
    layer may not import tracking; the package wires the two, on the first register)."""
    from evalkit.scorers import base
    from evalkit.tracking import scorers

    base.use_scorer_storage(scorers)


if __import__("os").environ.get("EVALKIT_BLOCK_NETWORK", "") not in ("", "0"):
    from evalkit.testing.network import block_network as _block_network

    _block_network()
