"""What the tracking store keeps and returns: experiments, runs, their data, stored datasets.

Names and meanings follow MLflow (``mlflow.entities.Experiment``, ``Run``, ``RunInfo``,
``RunData``, ``Metric``, ``RunStatus``) so that code written against MLflow reads the same.
(The evaluation values ``Feedback``, ``Assessment``... are :mod:`evalkit.entities`.)
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CONTEXT_TAG",
    "Dataset",
    "DatasetInfo",
    "DatasetInput",
    "Experiment",
    "FileInfo",
    "InputTag",
    "LifecycleStage",
    "Metric",
    "Param",
    "Run",
    "RunData",
    "RunInfo",
    "RunInputs",
    "RunStatus",
    "RunTag",
    "ViewType",
    "now_ms",
    "source_type_of",
]

CONTEXT_TAG = "mlflow.data.context"
"""The input tag that says how a run used a dataset (``"training"``, ``"evaluation"``...)."""


def now_ms() -> int:
    """The current time in milliseconds since the epoch, as the store records times."""
    return int(time.time() * 1000)


class RunStatus(enum.StrEnum):
    """Where a run is in its life. A run whose process died stays ``RUNNING``."""

    RUNNING = "RUNNING"
    SCHEDULED = "SCHEDULED"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    KILLED = "KILLED"


class LifecycleStage(enum.StrEnum):
    """Whether a run or experiment is live or deleted (deleted ones can be restored)."""

    ACTIVE = "active"
    DELETED = "deleted"


class ViewType(enum.StrEnum):
    """Which runs a search sees, by lifecycle stage."""

    ACTIVE_ONLY = "ACTIVE_ONLY"
    DELETED_ONLY = "DELETED_ONLY"
    ALL = "ALL"


@dataclass(frozen=True, kw_only=True, slots=True)
class Experiment:
    """A named group of runs."""

    experiment_id: str
    """The store's id for the experiment, e.g. ``"1"`` (``"0"`` is the ``Default`` one)."""
    name: str
    """The unique name, e.g. ``"Iris Experiment"``."""
    artifact_location: str
    """The folder under which each run of the experiment keeps its artifacts."""
    lifecycle_stage: LifecycleStage = LifecycleStage.ACTIVE
    """``active`` or ``deleted``."""
    tags: dict[str, str] = field(default_factory=dict)
    """Free-form string tags."""
    creation_time: int | None = None
    """When it was created, in milliseconds since the epoch."""
    last_update_time: int | None = None
    """When it last changed, in milliseconds since the epoch."""


@dataclass(frozen=True, slots=True)
class Metric:
    """One logged value of a metric: runs keep every value, with its step and time.

    Positional as MLflow's: ``Metric(key, value, timestamp, step)``.
    """

    key: str
    """The metric's name."""
    value: float
    """The value (may be NaN or infinite)."""
    timestamp: int
    """When it was logged, in milliseconds since the epoch."""
    step: int = 0
    """The training step or iteration it belongs to."""


@dataclass(frozen=True, kw_only=True, slots=True)
class RunInfo:
    """A run's identity and state."""

    run_id: str
    """A 32-character hex id."""
    experiment_id: str
    """The experiment the run belongs to."""
    run_name: str | None
    """A human-readable name; not unique."""
    status: RunStatus
    """``RUNNING`` until the run ends; ``FINISHED``, ``FAILED`` or ``KILLED`` after."""
    start_time: int
    """When the run started, in milliseconds since the epoch."""
    end_time: int | None
    """When the run ended, or ``None`` while it runs."""
    artifact_uri: str
    """The folder that holds the run's artifacts."""
    lifecycle_stage: LifecycleStage = LifecycleStage.ACTIVE
    """``active`` or ``deleted``."""

    @property
    def run_uuid(self) -> str:
        """MLflow's older name for :attr:`run_id`."""
        return self.run_id


@dataclass(frozen=True, kw_only=True, slots=True)
class RunData:
    """What was logged to a run. ``metrics`` holds each metric's latest value."""

    metrics: dict[str, float] = field(default_factory=dict)
    """The latest value of each metric (highest step, then latest timestamp)."""
    params: dict[str, str] = field(default_factory=dict)
    """Parameters, as strings."""
    tags: dict[str, str] = field(default_factory=dict)
    """Tags, including system tags such as ``mlflow.runName`` and ``mlflow.parentRunId``."""


@dataclass(frozen=True, slots=True)
class Param:
    """A run parameter, as ``MlflowClient.log_batch(params=[Param(k, v)])`` takes it."""

    key: str
    """The parameter's name."""
    value: str
    """Its value (stored as a string)."""


@dataclass(frozen=True, slots=True)
class RunTag:
    """A run tag, as ``MlflowClient.log_batch(tags=[RunTag(k, v)])`` takes it."""

    key: str
    """The tag's name."""
    value: str
    """Its value."""


@dataclass(frozen=True, slots=True)
class InputTag:
    """A tag on a run's dataset input; ``mlflow.data.context`` says how the run used it."""

    key: str
    """The tag's name."""
    value: str
    """Its value."""


@dataclass(frozen=True, slots=True)
class FileInfo:
    """One entry of ``MlflowClient.list_artifacts``."""

    path: str
    """The path relative to the run's artifact root, with ``/`` separators."""
    is_dir: bool
    """Whether it is a folder."""
    file_size: int | None = None
    """The size in bytes (``None`` for a folder)."""


def source_type_of(source: str | None, dataset_id: str | None = None) -> str:
    """MLflow's ``source_type`` for a dataset source: ``mlflow_evaluation_dataset`` for a
    stored evaluation dataset, ``http`` for a URL, ``local`` for a path, else ``code``."""
    if dataset_id or (source or "").startswith("evaluation_dataset:"):
        return "mlflow_evaluation_dataset"
    if not source:
        return "code"
    if source.startswith(("http://", "https://")):
        return "http"
    return "local"


@dataclass(frozen=True, kw_only=True, slots=True)
class Dataset:
    """A dataset as MLflow describes a run input (``run.inputs.dataset_inputs[i].dataset``)."""

    name: str
    """The dataset's name."""
    digest: str
    """A content hash: equal data gives an equal digest."""
    source_type: str = "code"
    """Where it came from: ``local``, ``http``, ``mlflow_evaluation_dataset`` or ``code``."""
    source: str | None = None
    """The source itself: a path, a URL or ``evaluation_dataset:<id>``."""
    schema: str | None = None
    """A JSON description of its columns, when known."""
    profile: str | None = None
    """A JSON summary (e.g. ``{"num_records": 3}``), when known."""


@dataclass(frozen=True, kw_only=True, slots=True)
class DatasetInput:
    """A dataset a run used, e.g. the data an evaluation scored.

    Shaped as MLflow's too: :attr:`dataset` (name, digest, source_type, source, profile) and
    :attr:`tags` (the ``mlflow.data.context`` input tag).
    """

    name: str
    """The dataset's name (``"dataset"`` for unnamed in-memory data)."""
    digest: str
    """A content hash: equal data gives an equal digest."""
    source: str | None = None
    """Where the data came from: a file path or ``evaluation_dataset:<id>``."""
    num_records: int | None = None
    """How many records it had."""
    dataset_id: str | None = None
    """The stored evaluation dataset's id, when the data was one."""
    context: str | None = None
    """How the run used it, e.g. ``"evaluation"``."""

    @property
    def dataset(self) -> Dataset:
        """The dataset, as MLflow's ``DatasetInput.dataset``."""
        import json

        count = self.num_records
        profile = None if count is None else json.dumps({"num_records": count})
        return Dataset(
            name=self.name,
            digest=self.digest,
            source_type=source_type_of(self.source, self.dataset_id),
            source=self.source,
            profile=profile,
        )

    @property
    def tags(self) -> list[InputTag]:
        """The input tags, as MLflow's: ``mlflow.data.context`` when the context is known."""
        return [] if self.context is None else [InputTag(CONTEXT_TAG, self.context)]


@dataclass(frozen=True, kw_only=True, slots=True)
class RunInputs:
    """The inputs of a run."""

    dataset_inputs: list[DatasetInput] = field(default_factory=list)
    """Datasets the run used."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Run:
    """A run as stored: its :class:`RunInfo`, :class:`RunData` and :class:`RunInputs`."""

    info: RunInfo
    """Identity and state."""
    data: RunData
    """Logged params, latest metrics and tags."""
    inputs: RunInputs = field(default_factory=RunInputs)
    """Datasets the run used."""

    def to_dict(self) -> dict[str, Any]:
        """A plain-dict view, handy for printing and JSON."""
        return {
            "info": {
                "run_id": self.info.run_id,
                "experiment_id": self.info.experiment_id,
                "run_name": self.info.run_name,
                "status": str(self.info.status),
                "start_time": self.info.start_time,
                "end_time": self.info.end_time,
                "artifact_uri": self.info.artifact_uri,
                "lifecycle_stage": str(self.info.lifecycle_stage),
            },
            "data": {
                "metrics": dict(self.data.metrics),
                "params": dict(self.data.params),
                "tags": dict(self.data.tags),
            },
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class DatasetInfo:
    """A stored evaluation dataset's description (its records are read separately)."""

    dataset_id: str
    """The store's id, ``"d-<hex>"``."""
    name: str
    """The unique name."""
    tags: dict[str, str] = field(default_factory=dict)
    """Free-form string tags."""
    experiment_ids: list[str] = field(default_factory=list)
    """The experiments it belongs to."""
    created_time: int | None = None
    """When it was created, in milliseconds since the epoch."""
    last_update_time: int | None = None
    """When its records or tags last changed, in milliseconds since the epoch."""
    created_by: str | None = None
    """Who created it."""
    last_updated_by: str | None = None
    """Who last changed it."""
