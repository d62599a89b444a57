"""The fluent tracking API: ``set_experiment``, ``start_run``, ``log_metric``, ``search_runs``...

Names, arguments and meanings follow MLflow's fluent API (``mlflow.start_run`` etc.).
Logging functions act on the active run of the calling thread; with no active run they
start one, as MLflow does. Each also takes ``run_id=`` to log to a given run instead
(any thread or process may log to any run).
"""

from __future__ import annotations

import atexit
import contextlib
import getpass
import math
import numbers
import os
import sys
import threading
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from evalkit.entities.runs import (
    Experiment,
    LifecycleStage,
    Metric,
    Run,
    RunStatus,
    ViewType,
    now_ms,
)
from evalkit.errors import TrackingError
from evalkit.tracking import _context
from evalkit.tracking.store import DEFAULT_EXPERIMENT_ID, TrackingStore

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ActiveRun",
    "active_run",
    "create_experiment",
    "delete_run",
    "end_run",
    "get_artifact_uri",
    "get_experiment",
    "get_experiment_by_name",
    "get_metric_history",
    "get_run",
    "last_active_run",
    "load_table",
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
    "restore_run",
    "search_experiments",
    "search_runs",
    "set_experiment",
    "set_tag",
    "set_tags",
    "start_run",
]

_last_run_id: str | None = None
_atexit_lock = threading.Lock()
_atexit_registered = False


class ActiveRun(Run):
    """The run :func:`start_run` returns; ``with`` ends it (``FAILED`` if the block raises)."""

    __slots__ = ()

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            status = RunStatus.FINISHED
        elif issubclass(exc_type, KeyboardInterrupt):
            status = RunStatus.KILLED
        else:
            status = RunStatus.FAILED
        _end(self.info.run_id, status)


def _store() -> TrackingStore:
    return _context.current_store()


# -- experiments ---------------------------------------------------------------------------


def create_experiment(
    name: str, artifact_location: str | None = None, tags: Mapping[str, Any] | None = None
) -> str:
    """Create an experiment and return its id.

    Args:
        name: A unique name.
        artifact_location: The folder for its runs' artifacts (default: under the store's
            artifact root).
        tags: Experiment tags.

    Raises:
        TrackingError: An experiment with this name exists.
    """
    return _store().create_experiment(name, artifact_location, tags)


def get_experiment(experiment_id: str) -> Experiment | None:
    """The experiment with this id, or ``None``."""
    return _store().get_experiment(str(experiment_id))


def get_experiment_by_name(name: str) -> Experiment | None:
    """The experiment with this name, or ``None``."""
    return _store().get_experiment_by_name(name)


def set_experiment(
    experiment_name: str | None = None, experiment_id: str | None = None
) -> Experiment:
    """Make an experiment active, creating it (by name) if it does not exist.

    Runs started afterwards (in any thread of this process) go to this experiment.

    Args:
        experiment_name: The experiment's name.
        experiment_id: Or its id.

    Example:
        >>> evalkit.set_experiment("Iris Experiment")
    """
    if (experiment_name is None) == (experiment_id is None):
        raise TrackingError("set_experiment needs exactly one of experiment_name, experiment_id")
    store = _store()
    if experiment_id is not None:
        experiment = store.get_experiment(str(experiment_id))
        if experiment is None:
            raise TrackingError(f"no experiment with id {experiment_id!r}")
    else:
        assert experiment_name is not None
        experiment = store.get_experiment_by_name(experiment_name)
        if experiment is None:
            with contextlib.suppress(TrackingError):  # another process may create it first
                store.create_experiment(experiment_name)
            experiment = store.get_experiment_by_name(experiment_name)
            assert experiment is not None
    if experiment.lifecycle_stage != LifecycleStage.ACTIVE:
        raise TrackingError(f"experiment {experiment.name!r} is deleted; restore it first")
    _context.set_active_experiment_id(store, experiment.experiment_id)
    return experiment


def current_experiment_id(store: TrackingStore) -> str:
    """The experiment new runs go to: the one :func:`set_experiment` chose, else ``Default``."""
    return _context.active_experiment_id(store) or DEFAULT_EXPERIMENT_ID


# -- runs ----------------------------------------------------------------------------------


def start_run(
    run_id: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    nested: bool = False,
    parent_run_id: str | None = None,
    tags: Mapping[str, Any] | None = None,
    description: str | None = None,
) -> ActiveRun:
    """Start a new run (or resume ``run_id``) and make it this thread's active run.

    Use it as a context manager: the run ends ``FINISHED`` when the block ends, ``FAILED``
    if it raises, ``KILLED`` on Ctrl-C. A process that dies mid-run leaves it ``RUNNING``.

    Args:
        run_id: Resume this existing run instead of creating one.
        experiment_id: The experiment (default: the active one, else ``Default``).
        run_name: A human-readable name (default: a generated one such as ``calm-otter-123``).
        nested: Start the run inside the active run (its ``mlflow.parentRunId`` tag).
        parent_run_id: The parent run, for a nested run.
        tags: Run tags.
        description: A note, stored as the ``mlflow.note.content`` tag.

    Returns:
        The :class:`ActiveRun`.

    Raises:
        TrackingError: A run is active and ``nested`` is false, or an id is unknown.

    Example:
        >>> with evalkit.start_run(run_name="baseline") as run:
        ...     evalkit.log_param("n_estimators", 100)
    """
    store = _store()
    stack = _context.run_stack()
    if stack and not nested:
        raise TrackingError(
            f"run {stack[-1].info.run_id} is already active; end it with end_run(), or call "
            "start_run(nested=True) to start a run inside it"
        )
    if run_id is not None:
        existing = store.get_run(run_id)
        store.update_run(run_id, status=RunStatus.RUNNING)
        run = store.get_run(existing.info.run_id)
    else:
        parent = parent_run_id or (stack[-1].info.run_id if stack and nested else None)
        system_tags: dict[str, Any] = {
            "mlflow.user": current_user(),
            "mlflow.source.name": os.path.basename(sys.argv[0]) if sys.argv else "",
            "mlflow.source.type": "LOCAL",
        }
        if parent:
            system_tags["mlflow.parentRunId"] = parent
        if description:
            system_tags["mlflow.note.content"] = description
        run = store.create_run(
            str(experiment_id) if experiment_id is not None else current_experiment_id(store),
            run_name=run_name,
            tags={**system_tags, **dict(tags or {})},
        )
    active = ActiveRun(info=run.info, data=run.data, inputs=run.inputs)
    _context.push_run(active)
    _register_atexit()
    global _last_run_id
    _last_run_id = run.info.run_id
    return active


def current_user() -> str:
    """The OS user name, recorded as ``mlflow.user`` and a dataset's author."""
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


def _register_atexit() -> None:
    global _atexit_registered
    with _atexit_lock:
        if not _atexit_registered:
            atexit.register(_end_all_at_exit)
            _atexit_registered = True


def _end_all_at_exit() -> None:
    while _context.run_stack():
        try:
            end_run()
        except Exception:
            return


def end_run(status: str | RunStatus = RunStatus.FINISHED) -> None:
    """End this thread's active run (if any) with ``status`` (default ``FINISHED``)."""
    stack = _context.run_stack()
    if stack:
        _end(stack[-1].info.run_id, status)


def _end(run_id: str, status: str | RunStatus) -> None:
    try:
        _store().update_run(run_id, status=status)
    finally:
        _context.pop_run(run_id)


def active_run() -> ActiveRun | None:
    """This thread's innermost active run, or ``None``."""
    stack = _context.run_stack()
    return stack[-1] if stack else None


def last_active_run() -> Run | None:
    """The most recently started run of this process (active or not), re-read from the store."""
    return None if _last_run_id is None else get_run(_last_run_id)


def get_run(run_id: str) -> Run:
    """The run with its params, latest metrics, tags and inputs.

    Raises:
        TrackingError: No run has this id.
    """
    return _store().get_run(run_id)


def delete_run(run_id: str) -> None:
    """Mark a run deleted: searches leave it out unless asked; :func:`restore_run` undoes it."""
    _store().set_lifecycle(run_id, LifecycleStage.DELETED)


def restore_run(run_id: str) -> None:
    """Undo :func:`delete_run`."""
    _store().set_lifecycle(run_id, LifecycleStage.ACTIVE)


def _target_run(run_id: str | None) -> str:
    if run_id is not None:
        return run_id
    current = active_run()
    return (current or start_run()).info.run_id


# -- params, metrics, tags -----------------------------------------------------------------


def log_param(key: str, value: Any, run_id: str | None = None) -> Any:
    """Log a parameter (stored as a string; it cannot change later). Returns ``value``."""
    _store().log_batch(_target_run(run_id), params={key: value})
    return value


def log_params(params: Mapping[str, Any], run_id: str | None = None) -> None:
    """Log several parameters in one transaction."""
    _store().log_batch(_target_run(run_id), params=params)


def as_metric(key: str, value: Any, step: int | None, timestamp: int | None) -> Metric:
    """A :class:`Metric` from what a user logs; raises TrackingError for a non-number."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TrackingError(
            f"metric {key!r} got {value!r:.60} ({type(value).__name__}); metrics are numbers. "
            "Log text with set_tag or log_param"
        )
    number = float(value)
    return Metric(
        key=key,
        value=number if not math.isnan(number) else math.nan,
        timestamp=now_ms() if timestamp is None else int(timestamp),
        step=0 if step is None else int(step),
    )


def log_metric(
    key: str,
    value: float,
    step: int | None = None,
    timestamp: int | None = None,
    run_id: str | None = None,
) -> None:
    """Log one value of a metric; every value is kept (see :func:`get_metric_history`).

    Args:
        key: The metric name.
        value: A number (NaN and infinities are kept as such).
        step: The step it belongs to (default 0).
        timestamp: Milliseconds since the epoch (default now).
        run_id: Log to this run instead of the active one.
    """
    _store().log_batch(_target_run(run_id), metrics=[as_metric(key, value, step, timestamp)])


def log_metrics(
    metrics: Mapping[str, float],
    step: int | None = None,
    timestamp: int | None = None,
    run_id: str | None = None,
) -> None:
    """Log several metrics at one step, in one transaction."""
    batch = [as_metric(k, v, step, timestamp) for k, v in metrics.items()]
    _store().log_batch(_target_run(run_id), metrics=batch)


def set_tag(key: str, value: Any, run_id: str | None = None) -> None:
    """Set a run tag (tags, unlike params, may be overwritten)."""
    _store().log_batch(_target_run(run_id), tags={key: value})


def set_tags(tags: Mapping[str, Any], run_id: str | None = None) -> None:
    """Set several run tags in one transaction."""
    _store().log_batch(_target_run(run_id), tags=tags)


def get_metric_history(run_id: str, key: str) -> list[Metric]:
    """Every value logged for metric ``key`` in run ``run_id``, in logging order."""
    return _store().get_metric_history(run_id, key)


def log_input(
    dataset: Any,
    context: str | None = None,
    tags: Mapping[str, Any] | None = None,
    run_id: str | None = None,
) -> None:
    """Record a dataset the run used (``run.inputs.dataset_inputs``), as MLflow's ``log_input``.

    Args:
        dataset: An :class:`~evalkit.EvaluationDataset`, a pandas DataFrame, a list of record
            dicts, or a dataset object with ``name`` and ``digest`` (MLflow's
            ``mlflow.data`` datasets included).
        context: How the run used it, e.g. ``"training"`` or ``"evaluation"`` (stored as the
            ``mlflow.data.context`` input tag).
        tags: Input tags; ``mlflow.data.context`` is kept (as ``context``), other keys are
            not stored (a warning says so).
        run_id: Log to this run instead of the active one.

    Example:
        >>> with evalkit.start_run():
        ...     evalkit.log_input(evalkit.get_dataset(name="qa_v1"), context="evaluation")
    """
    import warnings

    from evalkit.entities.runs import CONTEXT_TAG
    from evalkit.tracking.inputs import dataset_input

    extra = sorted(k for k in (tags or {}) if k != CONTEXT_TAG)
    if extra:
        warnings.warn(
            f"log_input: input tags {extra} are not stored (only {CONTEXT_TAG}); put them "
            "on the run with set_tags",
            UserWarning,
            stacklevel=2,
        )
    if context is None and tags and CONTEXT_TAG in tags:
        context = str(tags[CONTEXT_TAG])
    _store().log_batch(_target_run(run_id), inputs=[dataset_input(dataset, context)])


# -- artifacts -----------------------------------------------------------------------------


def get_artifact_uri(artifact_path: str | None = None, run_id: str | None = None) -> str:
    """The folder of the run's artifacts, or of one artifact in it."""
    from evalkit.tracking import artifacts

    uri = get_run(_target_run(run_id)).info.artifact_uri
    return uri if artifact_path is None else str(artifacts.target(uri, artifact_path))


def _artifact_dir(run_id: str | None, artifact_path: str | None) -> Any:
    from pathlib import Path

    from evalkit.tracking import artifacts

    uri = get_run(_target_run(run_id)).info.artifact_uri
    return Path(uri) if artifact_path is None else artifacts.target(uri, artifact_path)


def log_artifact(
    local_path: str | os.PathLike[str], artifact_path: str | None = None, run_id: str | None = None
) -> None:
    """Copy a local file (or folder) into the run's artifacts, under ``artifact_path``."""
    from evalkit.tracking import artifacts

    artifacts.copy_in(local_path, _artifact_dir(run_id, artifact_path))


def log_artifacts(
    local_dir: str | os.PathLike[str], artifact_path: str | None = None, run_id: str | None = None
) -> None:
    """Copy every file of a local folder into the run's artifacts, under ``artifact_path``."""
    from pathlib import Path

    from evalkit.tracking import artifacts

    if not Path(local_dir).is_dir():
        raise TrackingError(f"log_artifacts needs a folder; {os.fspath(local_dir)!r} is not one")
    artifacts.copy_in(local_dir, _artifact_dir(run_id, artifact_path))


def log_text(text: str, artifact_file: str, run_id: str | None = None) -> None:
    """Save ``text`` as the artifact ``artifact_file``."""
    from evalkit.tracking import artifacts

    artifacts.write_bytes(_artifact_dir(run_id, artifact_file), text.encode())


def log_dict(dictionary: Mapping[str, Any], artifact_file: str, run_id: str | None = None) -> None:
    """Save a dict as JSON (or YAML, for ``.yaml``/``.yml`` names) artifact ``artifact_file``."""
    import json

    if artifact_file.endswith((".yaml", ".yml")):
        import yaml

        text = yaml.safe_dump(dict(dictionary), sort_keys=False)
    else:
        text = json.dumps(dictionary, indent=2, default=str)
    log_text(text, artifact_file, run_id=run_id)


def log_table(
    data: pd.DataFrame | Mapping[str, Any], artifact_file: str, run_id: str | None = None
) -> None:
    """Save a table (DataFrame or dict of columns) as a JSON artifact; read it with ``load_table``.

    As in MLflow, logging to an existing table file appends the new rows.
    """
    import pandas as pd

    from evalkit.tracking import artifacts

    if not artifact_file.endswith(".json"):
        raise TrackingError(f"log_table writes JSON; name the file '*.json', not {artifact_file!r}")
    path = _artifact_dir(run_id, artifact_file)
    frame = data if isinstance(data, pd.DataFrame) else pd.DataFrame(dict(data))
    if path.exists():
        frame = pd.concat([artifacts.read_table(path), frame], ignore_index=True)
    artifacts.write_bytes(path, artifacts.table_json(frame))


def load_table(
    artifact_file: str,
    run_ids: Sequence[str] | None = None,
    extra_columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Read a table logged with :func:`log_table` (or by ``evaluate``) from one or more runs.

    Args:
        artifact_file: The table's artifact name, e.g. ``"eval_results_table.json"``.
        run_ids: The runs to read it from (default: every run of the active experiment
            that has it).
        extra_columns: Run attributes to add as columns, e.g. ``["run_id"]``.

    Example:
        >>> evalkit.load_table("eval_results_table.json", run_ids=[result.run_id])

    A chunked evaluation's table (``evaluate(..., chunk_size=N)``), stored as Parquet parts in
    the folder ``eval_results_table/``, is read whole from its parts under the same name.
    """
    import pandas as pd

    from evalkit.tracking import artifacts

    runs = (
        [get_run(r) for r in run_ids]
        if run_ids is not None
        else search_runs(output_format="list", order_by=["start_time ASC"])
    )
    frames = []
    for run in runs:
        path = artifacts.target(run.info.artifact_uri, artifact_file)
        parts = path.with_suffix("")  # a chunked evaluation's table: Parquet parts in a folder
        if not path.exists() and path.suffix == ".json" and parts.is_dir():
            from evalkit.data.table_parts import TableParts

            frame = TableParts(parts).to_pandas().reset_index(drop=True)
        elif run_ids is None and not path.exists():
            continue
        else:
            frame = artifacts.read_table(path)
        for column in extra_columns or []:
            if not hasattr(run.info, column):
                raise TrackingError(f"extra_columns: runs have no attribute {column!r}")
            frame[column] = getattr(run.info, column)
        frames.append(frame)
    if not frames:
        raise TrackingError(f"no run has a table artifact {artifact_file!r}")
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


# -- search --------------------------------------------------------------------------------


def search_runs(
    experiment_ids: Sequence[str] | None = None,
    filter_string: str | None = None,
    run_view_type: ViewType | str = ViewType.ACTIVE_ONLY,
    max_results: int = 100_000,
    order_by: list[str] | None = None,
    output_format: Literal["pandas", "list"] = "pandas",
    search_all_experiments: bool = False,
    experiment_names: Sequence[str] | None = None,
) -> Any:
    """Find runs, as a DataFrame (default) or a list of :class:`Run`.

    Args:
        experiment_ids: The experiments to search (default: the active one).
        filter_string: e.g. ``"metrics.loss < 0.5 AND params.model = 'tree'"``; see
            :mod:`evalkit.tracking.filters` for the syntax.
        run_view_type: ``ACTIVE_ONLY`` (default), ``DELETED_ONLY`` or ``ALL``.
        max_results: At most this many runs.
        order_by: e.g. ``["metrics.loss ASC"]``; default newest first.
        output_format: ``"pandas"`` or ``"list"``.
        search_all_experiments: Search every experiment.
        experiment_names: The experiments to search, by name.

    Returns:
        With ``"pandas"``: one row per run, columns ``run_id``, ``experiment_id``,
        ``status``, ``artifact_uri``, ``start_time``, ``end_time``, then ``metrics.<name>``,
        ``params.<name>``, ``tags.<name>``.

    Example:
        >>> evalkit.search_runs(experiment_names=["Iris Experiment"], order_by=["metrics.loss"])
    """
    store = _store()
    ids = [str(i) for i in experiment_ids or []]
    for name in experiment_names or []:
        experiment = store.get_experiment_by_name(name)
        if experiment is not None:
            ids.append(experiment.experiment_id)
    if search_all_experiments:
        ids = _all_experiment_ids(store)
    elif experiment_ids is None and experiment_names is None:
        ids = [current_experiment_id(store)]
    runs = store.search_runs(ids, filter_string, run_view_type, max_results, order_by)
    if output_format == "list":
        return runs
    if output_format != "pandas":
        raise TrackingError(f"output_format must be 'pandas' or 'list', not {output_format!r}")
    return _runs_frame(runs)


def search_experiments(
    view_type: str = "ALL",
    max_results: int | None = None,
    filter_string: str | None = None,
    order_by: list[str] | None = None,
) -> list[Experiment]:
    """The experiments of the current tracking store that match (MLflow's
    ``mlflow.search_experiments``); with no arguments every one, oldest first.

    Args:
        view_type: ``"ACTIVE_ONLY"``, ``"DELETED_ONLY"`` or ``"ALL"``.
        max_results: At most this many.
        filter_string: e.g. ``"name LIKE 'prod-%' AND tags.team = 'ml'"``.
        order_by: e.g. ``["last_update_time DESC"]``.
    """
    return _store().search_experiments(
        view_type=view_type, filter_string=filter_string, max_results=max_results,
        order_by=order_by,
    )  # fmt: skip


def _all_experiment_ids(store: TrackingStore) -> list[str]:
    return [e.experiment_id for e in store.search_experiments()]


def _runs_frame(runs: list[Run]) -> pd.DataFrame:
    import pandas as pd

    columns = ["run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time"]
    records: list[dict[str, Any]] = []
    metric_keys: dict[str, None] = {}
    param_keys: dict[str, None] = {}
    tag_keys: dict[str, None] = {}
    for run in runs:
        record: dict[str, Any] = {
            "run_id": run.info.run_id,
            "experiment_id": run.info.experiment_id,
            "status": str(run.info.status),
            "artifact_uri": run.info.artifact_uri,
            "start_time": pd.to_datetime(run.info.start_time, unit="ms", utc=True),
            "end_time": (
                pd.NaT
                if run.info.end_time is None
                else pd.to_datetime(run.info.end_time, unit="ms", utc=True)
            ),
        }
        for prefix, values, keys in (
            ("metrics", run.data.metrics, metric_keys),
            ("params", run.data.params, param_keys),
            ("tags", run.data.tags, tag_keys),
        ):
            for key, value in values.items():
                record[f"{prefix}.{key}"] = value
                keys[f"{prefix}.{key}"] = None
        records.append(record)
    ordered = columns + sorted(metric_keys) + sorted(param_keys) + sorted(tag_keys)
    return pd.DataFrame.from_records(records, columns=ordered)
