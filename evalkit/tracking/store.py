"""The tracking store interface, and :func:`open_store` choosing an implementation by URI.

Everything above the store (the fluent API, evaluation logging, datasets, the CLI) talks to
a :class:`TrackingStore`; only the implementation knows how things are kept. Today that is
:class:`evalkit.tracking.sql.SqlStore` (SQLite in a folder, or PostgreSQL). A new backend
implements the protocol and adds its URI scheme to :data:`_SCHEMES`.

The protocol is made of small parts, one per kind of thing stored, so that traces,
assessments and prompts are parts of their own::

    class TrackingStore(
        ExperimentStore, RunStore, DatasetStore, PromptStore, TraceStore, Protocol
    ): ...

Artifacts are files under each run's ``artifact_uri`` (see :mod:`evalkit.tracking.artifacts`);
a store says where that folder is (:attr:`TrackingStore.artifact_root`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from evalkit.entities.assessments import AnyAssessment
from evalkit.entities.runs import (
    DatasetInfo,
    DatasetInput,
    Experiment,
    LifecycleStage,
    Metric,
    Run,
    RunStatus,
    ViewType,
)
from evalkit.entities.trace import Trace
from evalkit.errors import TrackingError
from evalkit.tracking.prompts import Prompt, PromptVersion

__all__ = [
    "DEFAULT_EXPERIMENT_ID",
    "DatasetStore",
    "ExperimentStore",
    "PromptStore",
    "RunStore",
    "StoreBackend",
    "TraceStore",
    "TrackingStore",
    "open_store",
    "resolve_uri",
]

DEFAULT_EXPERIMENT_ID = "0"
"""The ``Default`` experiment that runs go to when no experiment is set."""


@runtime_checkable
class ExperimentStore(Protocol):
    """Experiments: named groups of runs."""

    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Mapping[str, Any] | None = None,
    ) -> str:
        """Create an experiment; return its id. Raises TrackingError if the name is taken."""
        ...

    def get_experiment(self, experiment_id: str) -> Experiment | None:
        """The experiment with this id, or ``None``."""
        ...

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        """The experiment with this name, or ``None``."""
        ...

    def search_experiments(
        self,
        view_type: ViewType | str = ViewType.ALL,
        filter_string: str | None = None,
        max_results: int | None = None,
        order_by: list[str] | None = None,
    ) -> list[Experiment]:
        """The experiments that match (``name``, ``creation_time``, ``last_update_time``,
        ``experiment_id``, ``tags.<key>``), in order (default: oldest first)."""
        ...


@runtime_checkable
class RunStore(Protocol):
    """Runs, with their params, metrics (every value, with steps), tags and inputs."""

    def create_run(
        self,
        experiment_id: str,
        *,
        run_name: str | None = None,
        tags: Mapping[str, Any] | None = None,
        start_time: int | None = None,
    ) -> Run:
        """Create a ``RUNNING`` run in the experiment, with its tags."""
        ...

    def update_run(
        self,
        run_id: str,
        *,
        status: RunStatus | str | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> None:
        """Set a run's status (and end time; ``RUNNING`` clears it) and/or its name (the
        ``run_name`` attribute and the ``mlflow.runName`` tag)."""
        ...

    def set_lifecycle(self, run_id: str, stage: LifecycleStage) -> None:
        """Delete (soft) or restore a run."""
        ...

    def get_run(self, run_id: str) -> Run:
        """The run with its latest metrics, params, tags and inputs. Raises TrackingError."""
        ...

    def log_batch(
        self,
        run_id: str,
        *,
        metrics: Iterable[Metric] = (),
        params: Mapping[str, Any] | None = None,
        tags: Mapping[str, Any] | None = None,
        inputs: Iterable[DatasetInput] = (),
    ) -> None:
        """Log metrics, params, tags and inputs to a run, all or nothing."""
        ...

    def delete_tag(self, run_id: str, key: str) -> None:
        """Delete a run tag. Raises TrackingError if the run has no such tag."""
        ...

    def get_params(self, run_id: str) -> dict[str, str]:
        """The run's params."""
        ...

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Every logged value of one metric, in logging order."""
        ...

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType | str = ViewType.ACTIVE_ONLY,
        max_results: int = 100_000,
        order_by: list[str] | None = None,
    ) -> list[Run]:
        """The runs of the experiments that match the filter, in order (MLflow's syntax,
        see :mod:`evalkit.tracking.filters`)."""
        ...


@runtime_checkable
class DatasetStore(Protocol):
    """Evaluation datasets: named record sets, upserted by their ``inputs``."""

    def create_dataset(
        self,
        name: str,
        experiment_ids: Sequence[str],
        tags: Mapping[str, Any] | None,
        user: str | None,
    ) -> DatasetInfo:
        """Create an empty dataset. Raises TrackingError if the name is taken."""
        ...

    def get_dataset(
        self, *, dataset_id: str | None = None, name: str | None = None
    ) -> DatasetInfo | None:
        """The dataset's info (without records), or ``None``."""
        ...

    def load_dataset_records(self, dataset_id: str) -> list[dict[str, Any]]:
        """The dataset's records, in the order they were first added."""
        ...

    def merge_dataset_records(
        self,
        dataset_id: str,
        records: Sequence[Mapping[str, Any]],
        merge_into: Callable[[dict[str, Any], Mapping[str, Any]], None],
        user: str | None,
    ) -> None:
        """Upsert ``records`` by inputs, all or nothing; ``merge_into(current, new)`` merges."""
        ...

    def delete_dataset(self, dataset_id: str) -> None:
        """Delete a dataset with its records and tags (permanently)."""
        ...

    def set_dataset_tags(self, dataset_id: str, tags: Mapping[str, Any]) -> None:
        """Merge ``tags`` into the dataset's tags; a ``None`` value deletes that tag."""
        ...

    def update_dataset_experiments(
        self, dataset_id: str, *, add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> DatasetInfo:
        """Link the dataset to the ``add`` experiments and unlink it from the ``remove`` ones
        (links already there, or absent, are left as they are); return the updated info.

        Raises:
            TrackingError: The dataset, or an experiment to add, does not exist.
        """
        ...

    def search_datasets(
        self,
        experiment_ids: Sequence[str] | None,
        filter_string: str | None,
        max_results: int | None,
        order_by: list[str] | None,
    ) -> list[DatasetInfo]:
        """Infos of the datasets that match, in order (default newest first)."""
        ...


@runtime_checkable
class PromptStore(Protocol):
    """The prompt registry: prompts with numbered, immutable versions, tags and aliases."""

    def register_prompt_version(
        self,
        name: str,
        template: str | list[dict[str, Any]],
        commit_message: str | None,
        tags: Mapping[str, Any] | None,
        user: str | None,
    ) -> PromptVersion:
        """Add the next version of prompt ``name`` (creating the prompt at version 1)."""
        ...

    def get_prompt_version(
        self, name: str, version: int | None = None, alias: str | None = None
    ) -> PromptVersion | None:
        """A version by number, by alias, or (neither) the latest; ``None`` if absent."""
        ...

    def get_prompt(self, name: str) -> Prompt | None:
        """The prompt's name, tags, aliases and latest version number, or ``None``."""
        ...

    def search_prompts(self, filter_string: str | None, max_results: int | None) -> list[Prompt]:
        """Prompts matching a filter on ``name`` and ``tags.<key>``, by name."""
        ...

    def set_prompt_alias(self, name: str, alias: str, version: int) -> None:
        """Point ``alias`` at a version. Raises PromptError if the version does not exist."""
        ...

    def delete_prompt_alias(self, name: str, alias: str) -> None:
        """Remove an alias. Raises PromptError if it is not set."""
        ...

    def set_prompt_tags(self, name: str, tags: Mapping[str, Any]) -> None:
        """Merge prompt-level tags; a ``None`` value deletes that tag."""
        ...

    def set_prompt_version_tags(self, name: str, version: int, tags: Mapping[str, Any]) -> None:
        """Merge tags of one version; a ``None`` value deletes that tag. Raises PromptError
        if the version does not exist."""
        ...

    def delete_prompt(self, name: str) -> None:
        """Delete a prompt with all its versions, tags and aliases (permanently)."""


class TraceStore(Protocol):
    """Traces (info, spans, tags, metadata) and their assessments (feedback, expectations)."""

    def log_traces(self, traces: Sequence[Trace]) -> None:
        """Store whole traces (each names its experiment), all or nothing; a trace id stored
        before is replaced. Raises DataError for a malformed trace, before writing."""
        ...

    def get_trace(self, trace_id: str) -> Trace | None:
        """The trace with its spans and assessments, or ``None``."""
        ...

    def search_traces(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        max_results: int | None = None,
        order_by: list[str] | None = None,
        run_id: str | None = None,
        *,
        offset: int = 0,
        include_spans: bool = True,
    ) -> list[Trace]:
        """The traces that match (MLflow's trace filter syntax), default newest first, from
        the ``offset``-th match on (a page of ``max_results``); spans only if
        ``include_spans``."""
        ...

    def delete_traces(
        self,
        experiment_id: str,
        max_timestamp_millis: int | None = None,
        max_traces: int | None = None,
        trace_ids: Sequence[str] | None = None,
    ) -> int:
        """Delete traces older than a time, or by id; return how many were deleted."""
        ...

    def set_trace_tag(self, trace_id: str, key: str, value: Any) -> None:
        """Set one tag of a stored trace."""
        ...

    def delete_trace_tag(self, trace_id: str, key: str) -> None:
        """Delete one tag of a stored trace."""
        ...

    def create_assessment(self, trace_id: str, assessment: AnyAssessment) -> AnyAssessment:
        """Attach a feedback or expectation to a trace; return it with its id and times."""
        ...

    def log_assessments(self, assessments: Sequence[AnyAssessment]) -> list[AnyAssessment]:
        """Attach many assessments (each names its ``trace_id``) in one transaction; those
        whose trace is not stored are skipped. Returns the stored ones."""
        ...

    def get_assessment(self, trace_id: str, assessment_id: str) -> AnyAssessment:
        """One assessment of a trace. Raises TrackingError if there is none."""
        ...

    def update_assessment(
        self, trace_id: str, assessment_id: str, changes: Mapping[str, Any]
    ) -> AnyAssessment:
        """Change fields of an assessment; return the new version."""
        ...

    def delete_assessment(self, trace_id: str, assessment_id: str) -> None:
        """Delete one assessment of a trace."""
        ...


@runtime_checkable
class TrackingStore(ExperimentStore, RunStore, DatasetStore, PromptStore, TraceStore, Protocol):
    """Everything evalkit keeps: experiments, runs, datasets, prompts (traces and
    assessments join as parts of their own).

    Attributes:
        url: The store's canonical location (for SQL, the database URL); one store per URL.
        artifact_root: The folder under which experiments keep their runs' artifacts.
    """

    url: str
    artifact_root: str

    def close(self) -> None:
        """Release the store's connections."""
        ...


class StoreBackend(Protocol):
    """What :data:`_SCHEMES` maps a URI scheme to: a store class with a ``locate`` step."""

    @staticmethod
    def locate(uri: str) -> tuple[str, str]:
        """A user's URI -> (the store's canonical URL, the artifact root folder)."""
        ...

    def __call__(self, url: str, artifact_root: str) -> TrackingStore:
        """Open (and migrate) the store at a URL that ``locate`` returned."""
        ...


_SQL = "evalkit.tracking.sql:SqlStore"
_SCHEMES: dict[str, str] = {
    "": _SQL,  # a folder (or a .db file): SQLite inside it
    "file": _SQL,
    "sqlite": _SQL,
    "postgresql": _SQL,
    "postgres": _SQL,
}
"""URI scheme -> the ``module:Class`` implementing it (imported on first use)."""


def _scheme(uri: str) -> str:
    if "://" in uri:
        return uri.split("://", 1)[0].lower().split("+", 1)[0]
    return "file" if uri.startswith("file:") else ""


def _backend(uri: str) -> StoreBackend:
    target = _SCHEMES.get(_scheme(uri))
    if target is None:
        schemes = ", ".join(f"{s}://" for s in _SCHEMES if s)
        raise TrackingError(
            f"tracking URI {uri!r}: unsupported scheme {_scheme(uri)!r}; use a folder, "
            f"sqlite:///path/to/file.db or postgresql://user@host/db (known: {schemes})"
        )
    module, _, name = target.partition(":")
    backend: StoreBackend = getattr(importlib.import_module(module), name)
    return backend


def resolve_uri(uri: str) -> tuple[str, str]:
    """A user's tracking URI -> (the store's canonical URL, its artifact root folder).

    Raises:
        TrackingError: The scheme is unknown or the URI cannot name a shared store.
    """
    return _backend(uri).locate(uri)


def open_store(uri: str) -> TrackingStore:
    """Open the tracking store ``uri`` names, creating and migrating it as needed.

    Args:
        uri: A folder (SQLite ``evalkit.db`` inside it), ``sqlite:///file.db`` or
            ``postgresql://user:password@host:port/db``.

    Raises:
        TrackingError: The URI is unsupported or the store cannot be opened.

    Example:
        >>> store = open_store("evalkit-runs")
        >>> store.get_experiment_by_name("Default")
    """
    backend = _backend(uri)
    url, artifact_root = backend.locate(uri)
    return backend(url, artifact_root)
