"""Tracking: experiments, runs, params, metrics, tags, artifacts and evaluation datasets.

Everything goes through one :class:`~evalkit.tracking.store.TrackingStore`, which
:func:`open_store` picks by the URI's scheme. The store is SQLite in ``./evalkit-runs/`` by
default (artifacts as files beside it), or any store :func:`set_tracking_uri` /
``EVALKIT_TRACKING_URI`` (else ``MLFLOW_TRACKING_URI``) names, PostgreSQL included
(:mod:`evalkit.tracking.sql`, schema migrated by its Alembic scripts). SQLAlchemy loads on
first use, not on ``import evalkit``.

Modules: :mod:`.store` (the protocol, ``open_store``), :mod:`.sql` (its SQL implementation),
:mod:`.runs` (Experiment, Run, Metric...), :mod:`.fluent` (MLflow's fluent API),
:mod:`.datasets` (EvaluationDataset), :mod:`.traces` (traces and assessments),
:mod:`.artifacts`, :mod:`.evaluation` (logging an evaluation), :mod:`.journal` (resume),
:mod:`.filters` (the search syntax).

The fluent API keeps MLflow's names and meanings::

    evalkit.set_experiment("Iris Experiment")
    with evalkit.start_run(run_name="baseline"):
        evalkit.log_param("n_estimators", 100)
        evalkit.log_metric("loss", 0.3, step=1)
    evalkit.search_runs(experiment_names=["Iris Experiment"])
"""

from evalkit.tracking._context import get_tracking_uri, local_store_folder, set_tracking_uri
from evalkit.tracking.datasets import (
    EvaluationDataset,
    create_dataset,
    delete_dataset,
    delete_dataset_tag,
    get_dataset,
    search_datasets,
    set_dataset_tags,
)
from evalkit.tracking.fluent import (
    ActiveRun,
    active_run,
    create_experiment,
    delete_run,
    end_run,
    get_artifact_uri,
    get_experiment,
    get_experiment_by_name,
    get_metric_history,
    get_run,
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
    search_experiments,
    search_runs,
    set_experiment,
    set_tag,
    set_tags,
    start_run,
)
from evalkit.tracking.runs import (
    DatasetInfo,
    DatasetInput,
    Experiment,
    Metric,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunStatus,
    ViewType,
)
from evalkit.tracking.store import TrackingStore, open_store
from evalkit.tracking.traces import (
    attach_feedback,
    delete_assessment,
    delete_trace_tag,
    delete_traces,
    get_assessment,
    get_trace,
    log_assessment,
    log_expectation,
    log_feedback,
    log_traces,
    search_traces,
    set_trace_tag,
    update_assessment,
)

__all__ = [
    "ActiveRun",
    "DatasetInfo",
    "DatasetInput",
    "EvaluationDataset",
    "Experiment",
    "Metric",
    "Run",
    "RunData",
    "RunInfo",
    "RunInputs",
    "RunStatus",
    "TrackingStore",
    "ViewType",
    "active_run",
    "attach_feedback",
    "create_dataset",
    "create_experiment",
    "delete_assessment",
    "delete_dataset",
    "delete_dataset_tag",
    "delete_run",
    "delete_trace_tag",
    "delete_traces",
    "end_run",
    "get_artifact_uri",
    "get_assessment",
    "get_dataset",
    "get_experiment",
    "get_experiment_by_name",
    "get_metric_history",
    "get_run",
    "get_trace",
    "get_tracking_uri",
    "last_active_run",
    "load_table",
    "local_store_folder",
    "log_artifact",
    "log_artifacts",
    "log_assessment",
    "log_dict",
    "log_expectation",
    "log_feedback",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "log_table",
    "log_text",
    "log_traces",
    "open_store",
    "restore_run",
    "search_datasets",
    "search_experiments",
    "search_runs",
    "search_traces",
    "set_dataset_tags",
    "set_experiment",
    "set_tag",
    "set_tags",
    "set_trace_tag",
    "set_tracking_uri",
    "start_run",
    "update_assessment",
]
