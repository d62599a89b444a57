"""Tracking: experiments, runs, params, metrics, tags, artifacts and datasets in a SQL store.

The store is SQLite in ``./evalkit-runs/`` by default (artifacts as files beside it), or
any store :func:`set_tracking_uri` / ``EVALKIT_TRACKING_URI`` names, PostgreSQL included.
The schema is created and migrated by evalkit (Alembic scripts shipped in
``evalkit/tracking/migrations``). SQLAlchemy loads on first use, not on ``import evalkit``.

The fluent API keeps MLflow's names and meanings::

    evalkit.set_experiment("Iris Experiment")
    with evalkit.start_run(run_name="baseline"):
        evalkit.log_param("n_estimators", 100)
        evalkit.log_metric("loss", 0.3, step=1)
    evalkit.search_runs(experiment_names=["Iris Experiment"])
"""

from evalkit.tracking._context import get_tracking_uri, set_tracking_uri
from evalkit.tracking.entities import (
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
    search_runs,
    set_experiment,
    set_tag,
    set_tags,
    start_run,
)

__all__ = [
    "ActiveRun",
    "DatasetInput",
    "Experiment",
    "Metric",
    "Run",
    "RunData",
    "RunInfo",
    "RunInputs",
    "RunStatus",
    "ViewType",
    "active_run",
    "create_experiment",
    "delete_run",
    "end_run",
    "get_artifact_uri",
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
    "restore_run",
    "search_runs",
    "set_experiment",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "start_run",
]
