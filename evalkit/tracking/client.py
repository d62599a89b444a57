"""``MlflowClient``: MLflow's lower-level tracking client, with its method names and meanings.

Every method takes ids explicitly (no active run), and goes through the
:class:`~evalkit.tracking.store.TrackingStore` protocol, so it works on every store
:func:`~evalkit.tracking.open_store` opens (SQLite folder, PostgreSQL).

Example:
    >>> client = evalkit.MlflowClient()
    >>> experiment_id = client.create_experiment("my-exp")
    >>> run = client.create_run(experiment_id, run_name="baseline")
    >>> client.log_metric(run.info.run_id, "loss", 0.3, step=1)
    >>> client.set_terminated(run.info.run_id)
    >>> client.get_run(run.info.run_id).data.metrics
    {'loss': 0.3}
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from evalkit.entities.runs import (
    DatasetInput,
    Experiment,
    FileInfo,
    LifecycleStage,
    Metric,
    Param,
    Run,
    RunStatus,
    RunTag,
    ViewType,
    now_ms,
)
from evalkit.errors import TrackingError
from evalkit.tracking import _context, artifacts
from evalkit.tracking.inputs import dataset_input
from evalkit.tracking.prompt_registry import PromptRegistry
from evalkit.tracking.prompts import Prompt, PromptVersion
from evalkit.tracking.store import TrackingStore

if TYPE_CHECKING:
    import pandas as pd

    from evalkit.entities.trace import Trace

__all__ = ["MlflowClient", "PagedList"]

SEARCH_MAX_RESULTS_DEFAULT = 1000
"""MLflow's default page size for ``search_runs`` and ``search_experiments``."""

SEARCH_TRACES_DEFAULT_MAX_RESULTS = 100
"""MLflow's default page size for ``MlflowClient.search_traces``."""

T = TypeVar("T")


class PagedList(list[T]):
    """A list of results, as MLflow's: :attr:`token` is the next page's token, ``None``
    after the last page (runs and experiments come in one page, up to ``max_results``;
    traces come a page at a time)."""

    def __init__(self, items: Iterable[T], token: str | None = None) -> None:
        super().__init__(items)
        self.token = token


def _pairs(items: Iterable[Any] | Mapping[str, Any] | None, what: str) -> dict[str, Any]:
    if items is None:
        return {}
    if isinstance(items, Mapping):
        return dict(items)
    out: dict[str, Any] = {}
    for item in items:
        if isinstance(item, tuple) and len(item) == 2:
            key, value = item
        elif hasattr(item, "key") and hasattr(item, "value"):
            key, value = item.key, item.value
        else:
            raise TrackingError(
                f"log_batch {what}: {item!r:.80} is not a {what[:-1]}; pass "
                f"{'Param' if what == 'params' else 'RunTag'}(key, value) objects"
            )
        out[key] = value
    return out


class MlflowClient:
    """MLflow's ``MlflowClient`` over evalkit's tracking store.

    Args:
        tracking_uri: The store to use (a folder, ``sqlite:///file.db``,
            ``postgresql://...``); default: the current tracking URI
            (:func:`~evalkit.set_tracking_uri`, ``EVALKIT_TRACKING_URI``,
            ``MLFLOW_TRACKING_URI``, ``./evalkit-runs``).
        registry_uri: Accepted for MLflow compatibility; prompts live in the tracking store.
    """

    def __init__(self, tracking_uri: str | None = None, registry_uri: str | None = None) -> None:
        self._tracking_uri = None if tracking_uri is None else os.fspath(tracking_uri)
        del registry_uri  # the prompt registry is part of the tracking store

    @property
    def _store(self) -> TrackingStore:
        return _context.current_store(self._tracking_uri)

    @property
    def tracking_uri(self) -> str:
        """The store's location (for SQL, its database URL)."""
        return self._store.url

    # -- experiments ---------------------------------------------------------------------

    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Mapping[str, Any] | None = None,
    ) -> str:
        """Create an experiment; return its id.

        Raises:
            TrackingError: An experiment with this name exists.
        """
        return self._store.create_experiment(name, artifact_location, tags)

    def get_experiment(self, experiment_id: str) -> Experiment:
        """The experiment with this id.

        Raises:
            TrackingError: No experiment has this id.
        """
        found = self._store.get_experiment(str(experiment_id))
        if found is None:
            raise TrackingError(f"no experiment with id {experiment_id!r}")
        return found

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        """The experiment with this name, or ``None``."""
        return self._store.get_experiment_by_name(name)

    def search_experiments(
        self,
        view_type: ViewType | str = ViewType.ACTIVE_ONLY,
        max_results: int | None = SEARCH_MAX_RESULTS_DEFAULT,
        filter_string: str | None = None,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Experiment]:
        """Find experiments.

        Args:
            view_type: ``ACTIVE_ONLY`` (default), ``DELETED_ONLY`` or ``ALL``.
            max_results: At most this many (default 1000).
            filter_string: e.g. ``"name LIKE 'prod-%' AND tags.team = 'ml'"``; attributes
                ``name``, ``creation_time``, ``last_update_time``, ``experiment_id``.
            order_by: e.g. ``["name ASC"]``; default newest first
                (``creation_time DESC``), then ``experiment_id``.
            page_token: Accepted for compatibility; every match comes in one page.
        """
        del page_token
        return PagedList(
            self._store.search_experiments(
                view_type, filter_string, max_results, order_by or ["creation_time DESC"]
            )
        )

    # -- runs ----------------------------------------------------------------------------

    def create_run(
        self,
        experiment_id: str,
        start_time: int | None = None,
        tags: Mapping[str, Any] | None = None,
        run_name: str | None = None,
    ) -> Run:
        """Create a ``RUNNING`` run (it is not made active; end it with :meth:`set_terminated`).

        Raises:
            TrackingError: The experiment does not exist or is deleted.
        """
        from evalkit.tracking.fluent import current_user

        all_tags = {"mlflow.user": current_user(), **dict(tags or {})}
        return self._store.create_run(
            str(experiment_id), run_name=run_name, tags=all_tags, start_time=start_time
        )

    def get_run(self, run_id: str) -> Run:
        """The run: ``run.info``, ``run.data.metrics/params/tags``, ``run.inputs``.

        Raises:
            TrackingError: No run has this id.
        """
        return self._store.get_run(run_id)

    def update_run(self, run_id: str, status: str | None = None, name: str | None = None) -> None:
        """Change a run's status and/or name."""
        self._store.update_run(run_id, status=status, run_name=name)

    def set_terminated(
        self, run_id: str, status: str | None = None, end_time: int | None = None
    ) -> None:
        """End a run with ``status`` (default ``FINISHED``) at ``end_time`` (default now)."""
        self._store.update_run(
            run_id, status=status or RunStatus.FINISHED, end_time=end_time or now_ms()
        )

    def delete_run(self, run_id: str) -> None:
        """Mark a run deleted (searches leave it out; :meth:`restore_run` undoes it)."""
        self._store.set_lifecycle(run_id, LifecycleStage.DELETED)

    def restore_run(self, run_id: str) -> None:
        """Undo :meth:`delete_run`."""
        self._store.set_lifecycle(run_id, LifecycleStage.ACTIVE)

    def search_runs(
        self,
        experiment_ids: str | Sequence[str],
        filter_string: str = "",
        run_view_type: ViewType | str = ViewType.ACTIVE_ONLY,
        max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Run]:
        """Find runs of the given experiments, as :class:`Run` objects.

        Args:
            experiment_ids: One id or a list of ids.
            filter_string: e.g. ``"metrics.loss < 0.5 AND params.model = 'tree'"``.
            run_view_type: ``ACTIVE_ONLY`` (default), ``DELETED_ONLY`` or ``ALL``.
            max_results: At most this many (default 1000).
            order_by: e.g. ``["metrics.loss ASC"]``; default newest first.
            page_token: Accepted for compatibility; every match comes in one page.
        """
        del page_token
        ids = [experiment_ids] if isinstance(experiment_ids, str | int) else experiment_ids
        return PagedList(
            self._store.search_runs(
                [str(i) for i in ids], filter_string or None, run_view_type, max_results, order_by
            )
        )

    # -- traces --------------------------------------------------------------------------

    def search_traces(
        self,
        experiment_ids: str | Sequence[str],
        filter_string: str | None = None,
        max_results: int = SEARCH_TRACES_DEFAULT_MAX_RESULTS,
        order_by: list[str] | None = None,
        page_token: str | None = None,
        run_id: str | None = None,
        include_spans: bool = True,
        model_id: str | None = None,
    ) -> PagedList[Trace]:
        """One page of stored traces, as MLflow's ``MlflowClient.search_traces``.

        Args:
            experiment_ids: One id or a list of ids.
            filter_string: MLflow's trace filter syntax (see :func:`evalkit.search_traces`).
            max_results: The page size (default 100).
            order_by: e.g. ``["timestamp_ms ASC"]``; default newest first.
            page_token: The previous page's ``.token`` (``None`` for the first page).
            run_id: Only traces logged in this run.
            include_spans: ``False`` leaves the spans out.
            model_id: Only traces whose metadata ``mlflow.modelId`` is this.

        Returns:
            The page; its ``.token`` is the next page's token, ``None`` after the last.

        Example:
            >>> page = client.search_traces(["1"], max_results=500)
            >>> while page.token:
            ...     page = client.search_traces(["1"], max_results=500, page_token=page.token)

        Raises:
            TrackingError: A bad filter or a token this search did not return.
        """
        from evalkit.tracking.traces import (
            _page_offset,
            _page_token,
            _with_model,
            search_traces_page,
        )

        ids = [experiment_ids] if isinstance(experiment_ids, str | int) else experiment_ids
        offset = _page_offset(page_token)
        traces, more = search_traces_page(
            [str(i) for i in ids],
            _with_model(filter_string or None, model_id),
            max_results,
            order_by,
            offset,
            run_id,
            include_spans,
            store=self._store,
        )
        return PagedList(traces, _page_token(offset + max_results) if more else None)

    def get_trace(self, trace_id: str) -> Trace:
        """The stored trace with this id.

        Raises:
            TrackingError: No trace has this id.
        """
        found = self._store.get_trace(trace_id)
        if found is None:
            raise TrackingError(f"no trace with id {trace_id!r}")
        return found

    # -- params, metrics, tags ---------------------------------------------------------

    def log_metric(
        self,
        run_id: str,
        key: str,
        value: float,
        timestamp: int | None = None,
        step: int | None = None,
        synchronous: bool | None = None,
    ) -> None:
        """Log one value of a metric (every value is kept; see :meth:`get_metric_history`)."""
        from evalkit.tracking.fluent import as_metric

        del synchronous
        self._store.log_batch(run_id, metrics=[as_metric(key, value, step, timestamp)])

    def log_param(self, run_id: str, key: str, value: Any, synchronous: bool | None = None) -> Any:
        """Log a parameter (stored as a string; it cannot change later). Returns ``value``."""
        del synchronous
        self._store.log_batch(run_id, params={key: value})
        return value

    def set_tag(self, run_id: str, key: str, value: Any, synchronous: bool | None = None) -> None:
        """Set a run tag (tags may be overwritten)."""
        del synchronous
        self._store.log_batch(run_id, tags={key: value})

    def delete_tag(self, run_id: str, key: str) -> None:
        """Delete a run tag.

        Raises:
            TrackingError: The run has no such tag.
        """
        self._store.delete_tag(run_id, key)

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] | Mapping[str, Any] = (),
        tags: Sequence[RunTag] | Mapping[str, Any] = (),
        synchronous: bool | None = None,
    ) -> None:
        """Log metrics, params and tags in one transaction: all of them or none.

        Args:
            run_id: The run.
            metrics: :class:`Metric` values (``Metric(key, value, timestamp, step)``).
            params: :class:`Param` objects (or a dict).
            tags: :class:`RunTag` objects (or a dict).
            synchronous: Accepted for compatibility; logging is always synchronous.
        """
        from evalkit.tracking.fluent import as_metric

        del synchronous
        batch = [as_metric(m.key, m.value, m.step, m.timestamp) for m in metrics]
        self._store.log_batch(
            run_id,
            metrics=batch,
            params=_pairs(params, "params"),
            tags=_pairs(tags, "tags"),
        )

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Every value logged for metric ``key``, in logging order."""
        return self._store.get_metric_history(run_id, key)

    def log_inputs(
        self,
        run_id: str,
        datasets: Sequence[Any] | None = None,
        models: Sequence[Any] | None = None,
    ) -> None:
        """Record datasets a run used.

        Args:
            run_id: The run.
            datasets: :class:`DatasetInput` values, or MLflow-shaped inputs (``.dataset`` with
                ``name``/``digest``/``source``, ``.tags`` with ``mlflow.data.context``),
                or datasets themselves (EvaluationDataset, DataFrame, list of records).
            models: Not supported (evalkit has no logged models); must be empty.
        """
        if models:
            raise TrackingError("log_inputs(models=...) is not supported: evalkit logs no models")
        inputs: list[DatasetInput] = [dataset_input(d) for d in datasets or []]
        self._store.log_batch(run_id, inputs=inputs)

    # -- artifacts -----------------------------------------------------------------------

    def _artifact_root(self, run_id: str) -> Path:
        return Path(self._store.get_run(run_id).info.artifact_uri)

    def log_artifact(
        self, run_id: str, local_path: str | os.PathLike[str], artifact_path: str | None = None
    ) -> None:
        """Copy a local file (or folder) into the run's artifacts, under ``artifact_path``."""
        root = self._artifact_root(run_id)
        destination = root if artifact_path is None else artifacts.target(str(root), artifact_path)
        artifacts.copy_in(local_path, destination)

    def log_artifacts(
        self, run_id: str, local_dir: str | os.PathLike[str], artifact_path: str | None = None
    ) -> None:
        """Copy every file of a local folder into the run's artifacts."""
        if not Path(local_dir).is_dir():
            where = os.fspath(local_dir)
            raise TrackingError(f"log_artifacts needs a folder; {where!r} is not one")
        self.log_artifact(run_id, local_dir, artifact_path)

    def log_text(self, run_id: str, text: str, artifact_file: str) -> None:
        """Save ``text`` as the artifact ``artifact_file``."""
        root = self._artifact_root(run_id)
        artifacts.write_bytes(artifacts.target(str(root), artifact_file), text.encode())

    def log_dict(self, run_id: str, dictionary: Mapping[str, Any], artifact_file: str) -> None:
        """Save a dict as a JSON artifact (YAML for ``.yaml``/``.yml`` names)."""
        if artifact_file.endswith((".yaml", ".yml")):
            import yaml

            text = yaml.safe_dump(dict(dictionary), sort_keys=False)
        else:
            import json

            text = json.dumps(dictionary, indent=2, default=str)
        self.log_text(run_id, text, artifact_file)

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[FileInfo]:
        """The files and folders directly under ``path`` (default: the run's artifact root).

        Returns:
            :class:`FileInfo` entries (``path`` relative to the artifact root, ``is_dir``,
            ``file_size``), sorted by path; empty when ``path`` does not exist.
        """
        root = self._artifact_root(run_id)
        folder = root if not path else artifacts.target(str(root), path)
        if not folder.is_dir():
            return []
        out = []
        for entry in sorted(folder.iterdir()):
            if entry.name.startswith(".") and entry.name.endswith(".tmp"):
                continue  # a file being written right now
            relative = entry.relative_to(root).as_posix()
            is_dir = entry.is_dir()
            out.append(FileInfo(relative, is_dir, None if is_dir else entry.stat().st_size))
        return out

    def download_artifacts(
        self, run_id: str, path: str, dst_path: str | os.PathLike[str] | None = None
    ) -> str:
        """Copy an artifact (file or folder) to a local folder; return the local path.

        Args:
            run_id: The run.
            path: The artifact's path relative to the run's artifact root (``""`` for all).
            dst_path: The folder to copy into (created if needed; default a new temporary
                folder).

        Raises:
            TrackingError: The run has no such artifact.
        """
        import shutil
        import tempfile

        root = self._artifact_root(run_id)
        source = root if not path else artifacts.target(str(root), path)
        if not source.exists():
            raise TrackingError(
                f"run {run_id} has no artifact {path!r}; see list_artifacts({run_id!r})"
            )
        destination = Path(dst_path) if dst_path is not None else Path(tempfile.mkdtemp())
        destination.mkdir(parents=True, exist_ok=True)
        local = destination / (source.name if path else "artifacts")
        if source.is_dir():
            shutil.copytree(source, local, dirs_exist_ok=True)
        else:
            shutil.copy2(source, local)
        return str(local.resolve())

    def load_table(
        self, run_id: str, artifact_file: str, extra_columns: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Read a table artifact logged with ``log_table`` (or by ``evaluate``)."""
        run = self._store.get_run(run_id)
        frame = artifacts.read_table(artifacts.target(run.info.artifact_uri, artifact_file))
        for column in extra_columns or []:
            frame[column] = getattr(run.info, column)
        return frame

    # -- prompts -------------------------------------------------------------------------

    @property
    def _prompts(self) -> PromptRegistry:
        return PromptRegistry(self._store)

    def register_prompt(
        self,
        name: str,
        template: str | list[dict[str, Any]],
        commit_message: str | None = None,
        tags: Mapping[str, Any] | None = None,
        response_format: Any = None,
        model_config: Mapping[str, Any] | None = None,
    ) -> PromptVersion:
        """Register a prompt or a new version of it (see :func:`evalkit.register_prompt`)."""
        return self._prompts.register_prompt(
            name, template, commit_message, tags, response_format, model_config
        )

    def load_prompt(
        self, name_or_uri: str, version: str | int | None = None, allow_missing: bool = False
    ) -> PromptVersion | None:
        """Load a prompt version (see :func:`evalkit.load_prompt`)."""
        return self._prompts.load_prompt(name_or_uri, version, allow_missing)

    def get_prompt_version(self, name: str, version: str | int) -> PromptVersion | None:
        """One version of a prompt, or ``None``."""
        return self._prompts.load_prompt(name, version, allow_missing=True)

    def search_prompts(
        self, filter_string: str | None = None, max_results: int | None = None
    ) -> PagedList[Prompt]:
        """Find prompts (see :func:`evalkit.search_prompts`)."""
        return PagedList(self._prompts.search_prompts(filter_string, max_results))

    def set_prompt_alias(self, name: str, alias: str, version: int) -> None:
        """Point an alias at a prompt version."""
        self._prompts.set_prompt_alias(name, alias, version)

    def delete_prompt_alias(self, name: str, alias: str) -> None:
        """Remove a prompt alias."""
        self._prompts.delete_prompt_alias(name, alias)

    def set_prompt_tag(self, name: str, key: str, value: Any) -> None:
        """Set a prompt-level tag."""
        self._prompts.set_prompt_tag(name, key, value)

    def delete_prompt_tag(self, name: str, key: str) -> None:
        """Remove a prompt-level tag."""
        self._prompts.delete_prompt_tag(name, key)

    def get_prompt(self, name: str) -> Prompt | None:
        """The prompt (name, prompt-level tags, aliases, latest version), or ``None``."""
        return self._prompts.get_prompt(name)

    def set_prompt_version_tag(self, name: str, version: str | int, key: str, value: Any) -> None:
        """Set a tag on one prompt version."""
        self._prompts.set_prompt_version_tag(name, version, key, value)

    def delete_prompt_version_tag(self, name: str, version: str | int, key: str) -> None:
        """Remove a tag from one prompt version."""
        self._prompts.delete_prompt_version_tag(name, version, key)

    def delete_prompt(self, name: str) -> None:
        """Delete a prompt with all its versions (permanently)."""
        self._prompts.delete_prompt(name)
