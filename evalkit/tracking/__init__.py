"""Tracking: experiments, runs, params, metrics, tags, artifacts and evaluation datasets.

Everything goes through one :class:`~evalkit.tracking.store.TrackingStore`, which
:func:`open_store` picks by the URI's scheme. The store is SQLite in ``./evalkit-runs/`` by
default (artifacts as files beside it), or any store :func:`set_tracking_uri` /
``EVALKIT_TRACKING_URI`` (else ``MLFLOW_TRACKING_URI``) names, PostgreSQL included
(:mod:`evalkit.tracking.sql`, schema migrated by its Alembic scripts). SQLAlchemy loads on
first use, not on ``import evalkit``.

Modules: :mod:`.store` (the protocol, ``open_store``), :mod:`.sql` (its SQL implementation),
:mod:`.runs` (Experiment, Run, Metric...), :mod:`.fluent` (MLflow's fluent API),
:mod:`.client` (``MlflowClient``), :mod:`.prompts` and :mod:`.prompt_registry` (the prompt
registry),
:mod:`.datasets` (EvaluationDataset), :mod:`.artifacts`, :mod:`.evaluation` (logging an
evaluation), :mod:`.journal` (resume), :mod:`.filters` (the search syntax).

The fluent API keeps MLflow's names and meanings::

    evalkit.set_experiment("Iris Experiment")
    with evalkit.start_run(run_name="baseline"):
        evalkit.log_param("n_estimators", 100)
        evalkit.log_metric("loss", 0.3, step=1)
    evalkit.search_runs(experiment_names=["Iris Experiment"])
"""

from evalkit.tracking._context import get_tracking_uri, local_store_folder, set_tracking_uri
from evalkit.tracking.client import MlflowClient
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
    log_input,
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
from evalkit.tracking.prompt_registry import (
    delete_prompt_alias,
    delete_prompt_tag,
    delete_prompt_version_tag,
    get_prompt_tags,
    load_prompt,
    register_prompt,
    search_prompts,
    set_prompt_alias,
    set_prompt_tag,
    set_prompt_version_tag,
)
from evalkit.tracking.prompts import Prompt, PromptVersion
from evalkit.tracking.runs import (
    Dataset,
    DatasetInfo,
    DatasetInput,
    Experiment,
    FileInfo,
    InputTag,
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
from evalkit.tracking.store import TrackingStore, open_store

__all__ = [
    "ActiveRun",
    "Dataset",
    "DatasetInfo",
    "DatasetInput",
    "EvaluationDataset",
    "Experiment",
    "FileInfo",
    "InputTag",
    "Metric",
    "MlflowClient",
    "Param",
    "Prompt",
    "PromptVersion",
    "Run",
    "RunData",
    "RunInfo",
    "RunInputs",
    "RunStatus",
    "RunTag",
    "TrackingStore",
    "ViewType",
    "active_run",
    "add_dataset_to_experiments",
    "create_dataset",
    "create_experiment",
    "delete_dataset",
    "delete_dataset_tag",
    "delete_prompt_alias",
    "delete_prompt_tag",
    "delete_prompt_version_tag",
    "delete_run",
    "end_run",
    "get_artifact_uri",
    "get_dataset",
    "get_experiment",
    "get_experiment_by_name",
    "get_metric_history",
    "get_prompt_tags",
    "get_run",
    "get_tracking_uri",
    "last_active_run",
    "load_prompt",
    "load_table",
    "local_store_folder",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_input",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "log_table",
    "log_text",
    "open_store",
    "register_prompt",
    "remove_dataset_from_experiments",
    "restore_run",
    "search_datasets",
    "search_experiments",
    "search_prompts",
    "search_runs",
    "set_dataset_tags",
    "set_experiment",
    "set_prompt_alias",
    "set_prompt_tag",
    "set_prompt_version_tag",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "start_run",
]
