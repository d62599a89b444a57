"""The SQL tracking store: experiments, runs, params, metrics, tags, run inputs, datasets,
prompts.

Every public method is one transaction, so a batch of params/metrics/tags lands entirely or
not at all, and a process killed between two calls leaves the store consistent (its run
simply stays ``RUNNING``).
"""

from __future__ import annotations

import math
import os
import random
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from evalkit.entities.assessments import AnyAssessment
from evalkit.entities.runs import (
    DatasetInfo,
    DatasetInput,
    Experiment,
    LifecycleStage,
    Metric,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunStatus,
    ViewType,
    now_ms,
)
from evalkit.entities.trace import EncodedTrace, Trace
from evalkit.errors import TrackingError
from evalkit.tracking.prompts import Prompt, PromptVersion
from evalkit.tracking.sql import datasets as _datasets
from evalkit.tracking.sql import engine as _engine
from evalkit.tracking.sql import prompts as _prompts
from evalkit.tracking.sql import queries as _queries
from evalkit.tracking.sql import schema as t
from evalkit.tracking.sql import traces as _traces
from evalkit.tracking.store import DEFAULT_EXPERIMENT_ID

__all__ = ["SqlStore"]

DB_FILE = "evalkit.db"
"""The SQLite file inside a tracking folder."""
DEFAULT_ARTIFACT_ROOT = os.path.join("evalkit-runs", "artifacts")
"""Where a PostgreSQL store's artifacts go when ``EVALKIT_ARTIFACT_ROOT`` is unset."""
ENV_ARTIFACT_ROOT = "EVALKIT_ARTIFACT_ROOT"
"""Environment variable with the artifact folder for stores that are not SQLite files."""
MAX_PARAM_VALUE_LENGTH = 6000
MAX_KEY_LENGTH = 250

_ADJECTIVES = [
    "able",
    "bold",
    "brave",
    "calm",
    "clever",
    "eager",
    "gentle",
    "happy",
    "keen",
    "lucky",
    "merry",
    "noble",
    "quick",
]
_NOUNS = [
    "badger",
    "crane",
    "falcon",
    "heron",
    "lynx",
    "otter",
    "panda",
    "raven",
    "robin",
    "seal",
    "tiger",
    "whale",
    "wren",
]


def _run_name() -> str:
    return f"{random.choice(_ADJECTIVES)}-{random.choice(_NOUNS)}-{random.randint(100, 999)}"


def _check_key(key: Any, what: str) -> str:
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH:
        raise TrackingError(
            f"{what} key {key!r:.80} is invalid: use a non-empty string of at most "
            f"{MAX_KEY_LENGTH} characters"
        )
    return key


class SqlStore:
    """A tracking store in a SQL database (SQLite or PostgreSQL) through SQLAlchemy.

    Args:
        url: The SQLAlchemy database URL.
        artifact_root: The folder under which experiments keep their runs' artifacts.
    """

    @staticmethod
    def locate(uri: str) -> tuple[str, str]:
        """A user's tracking URI -> (SQLAlchemy database URL, artifact root folder).

        A folder holds ``evalkit.db`` and ``artifacts/``; a ``.db`` file or a
        ``sqlite:///`` URL keeps artifacts beside the file; PostgreSQL's go under
        ``EVALKIT_ARTIFACT_ROOT`` (default ``./evalkit-runs/artifacts``).
        """
        raw = uri
        if raw.startswith("file:"):
            raw = raw.removeprefix("file://") if raw.startswith("file://") else raw[5:]
        if "://" not in raw:
            path = Path(raw).expanduser().resolve()
            if path.suffix in (".db", ".sqlite", ".sqlite3"):
                return f"sqlite:///{path}", str(path.parent / "artifacts")
            return f"sqlite:///{path / DB_FILE}", str(path / "artifacts")
        scheme = raw.split("://", 1)[0].lower()
        if scheme == "sqlite" or scheme.startswith("sqlite+"):
            file = raw.split("://", 1)[1].lstrip("/") if raw.startswith("sqlite:///") else ""
            if not file or file == ":memory:":
                raise TrackingError(
                    f"tracking URI {raw!r}: an in-memory SQLite store cannot be shared; "
                    "give a file, e.g. sqlite:///evalkit-runs/evalkit.db"
                )
            path = Path("/" + file) if raw.startswith("sqlite:////") else Path(file).resolve()
            return f"sqlite:///{path}", str(path.parent / "artifacts")
        if scheme in ("postgresql", "postgres"):
            raw = "postgresql+psycopg://" + raw.split("://", 1)[1]
        elif not scheme.startswith("postgresql+"):
            raise TrackingError(
                f"tracking URI {raw!r}: unsupported scheme {scheme!r}; use a folder, "
                "sqlite:///path/to/file.db or postgresql://user@host/db"
            )
        root = os.environ.get(ENV_ARTIFACT_ROOT) or DEFAULT_ARTIFACT_ROOT
        return raw, str(Path(root).expanduser().resolve())

    def __init__(self, url: str, artifact_root: str) -> None:
        self.url = url
        self.artifact_root = artifact_root
        self.read_only = _engine.sqlite_is_read_only(url)
        """Whether the store can only be read (a SQLite file or folder without write access)."""
        self.engine = _engine.create_engine(url, read_only=self.read_only)
        if self.read_only:
            _engine.check_revision(self.engine)
            return
        _engine.migrate(self.engine)
        self._ensure_default_experiment()

    def close(self) -> None:
        """Close the store's connections."""
        self.engine.dispose()

    def write(self) -> Any:
        """A write transaction (context manager yielding a connection).

        Raises:
            TrackingError: The store is read-only.
        """
        if self.read_only:
            where = self.url.removeprefix("sqlite:///")
            raise TrackingError(
                f"the tracking store {where} is read-only (this process cannot write the file "
                "or its folder): runs can be listed and read, not logged. Log to a writable "
                "store with set_tracking_uri / EVALKIT_TRACKING_URI"
            )
        return _engine.write(self.engine)

    def read(self) -> Any:
        """A read transaction (context manager yielding a connection)."""
        return _engine.read(self.engine)

    # -- experiments -------------------------------------------------------------------

    def _ensure_default_experiment(self) -> None:
        with self.read() as conn:
            if conn.execute(sa.select(t.experiments.c.experiment_id).limit(1)).first():
                return
        with self.write() as conn:
            stmt: Any = _engine.insert(conn, t.experiments).values(
                experiment_id=int(DEFAULT_EXPERIMENT_ID),
                name="Default",
                artifact_location=os.path.join(self.artifact_root, DEFAULT_EXPERIMENT_ID),
                lifecycle_stage=LifecycleStage.ACTIVE.value,
                creation_time=now_ms(),
                last_update_time=now_ms(),
            )
            conn.execute(stmt.on_conflict_do_nothing())

    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Mapping[str, Any] | None = None,
    ) -> str:
        """Create an experiment; return its id. Raises TrackingError if the name is taken."""
        if not isinstance(name, str) or not name.strip():
            raise TrackingError(f"experiment name {name!r} is invalid: use a non-empty string")
        try:
            with self.write() as conn:
                new_id = conn.execute(
                    t.experiments.insert().values(
                        name=name,
                        artifact_location=artifact_location or "",
                        lifecycle_stage=LifecycleStage.ACTIVE.value,
                        creation_time=now_ms(),
                        last_update_time=now_ms(),
                    )
                ).inserted_primary_key[0]
                if not artifact_location:
                    conn.execute(
                        t.experiments.update()
                        .where(t.experiments.c.experiment_id == new_id)
                        .values(artifact_location=os.path.join(self.artifact_root, str(new_id)))
                    )
                tag_rows = [
                    {"experiment_id": new_id, "key": _check_key(k, "tag"), "value": str(v)}
                    for k, v in (tags or {}).items()
                ]
                if tag_rows:
                    conn.execute(t.experiment_tags.insert(), tag_rows)
        except sa.exc.IntegrityError:
            raise TrackingError(
                f"an experiment named {name!r} already exists; use set_experiment({name!r}) "
                "to make it active or get_experiment_by_name to read it"
            ) from None
        return str(new_id)

    def get_experiment(self, experiment_id: str) -> Experiment | None:
        """The experiment with this id, or ``None``."""
        try:
            key = int(experiment_id)
        except (TypeError, ValueError):
            return None
        return self._experiment_where(t.experiments.c.experiment_id == key)

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        """The experiment with this name, or ``None``."""
        return self._experiment_where(t.experiments.c.name == name)

    def search_experiments(
        self,
        view_type: ViewType | str = ViewType.ALL,
        filter_string: str | None = None,
        max_results: int | None = None,
        order_by: list[str] | None = None,
    ) -> list[Experiment]:
        """The experiments that match, in order (default: oldest first)."""
        query = _queries.search_experiments_query(view_type, filter_string, order_by)
        if max_results is not None:
            query = query.limit(max_results)
        with self.read() as conn:
            rows = conn.execute(query).mappings()
            return [self._experiment(conn, row) for row in rows.all()]

    def _experiment_where(self, condition: Any) -> Experiment | None:
        with self.read() as conn:
            row = conn.execute(sa.select(t.experiments).where(condition)).mappings().first()
            return None if row is None else self._experiment(conn, row)

    @staticmethod
    def _experiment(conn: sa.Connection, row: Any) -> Experiment:
        tag_rows = conn.execute(
            sa.select(t.experiment_tags.c.key, t.experiment_tags.c.value).where(
                t.experiment_tags.c.experiment_id == row["experiment_id"]
            )
        ).all()
        return Experiment(
            experiment_id=str(row["experiment_id"]),
            name=row["name"],
            artifact_location=row["artifact_location"],
            lifecycle_stage=LifecycleStage(row["lifecycle_stage"]),
            tags={k: v for k, v in tag_rows},
            creation_time=row["creation_time"],
            last_update_time=row["last_update_time"],
        )

    # -- runs --------------------------------------------------------------------------

    def create_run(
        self,
        experiment_id: str,
        *,
        run_name: str | None = None,
        tags: Mapping[str, Any] | None = None,
        start_time: int | None = None,
    ) -> Run:
        """Create a ``RUNNING`` run in the experiment, with its tags, in one transaction."""
        experiment = self.get_experiment(experiment_id)
        if experiment is None:
            raise TrackingError(
                f"no experiment with id {experiment_id!r}; create it with create_experiment "
                "or set_experiment(name)"
            )
        if experiment.lifecycle_stage != LifecycleStage.ACTIVE:
            raise TrackingError(f"experiment {experiment.name!r} is deleted; restore it first")
        run_id = uuid.uuid4().hex
        name = run_name or _run_name()
        all_tags = {**{k: str(v) for k, v in (tags or {}).items()}, "mlflow.runName": name}
        with self.write() as conn:
            conn.execute(
                t.runs.insert().values(
                    run_id=run_id,
                    experiment_id=int(experiment_id),
                    run_name=name,
                    status=RunStatus.RUNNING.value,
                    start_time=start_time or now_ms(),
                    end_time=None,
                    lifecycle_stage=LifecycleStage.ACTIVE.value,
                    artifact_uri=os.path.join(experiment.artifact_location, run_id, "artifacts"),
                )
            )
            conn.execute(
                t.tags.insert(),
                [
                    {"run_id": run_id, "key": _check_key(k, "tag"), "value": v}
                    for k, v in all_tags.items()
                ],
            )
        return self.get_run(run_id)

    def update_run(
        self,
        run_id: str,
        *,
        status: RunStatus | str | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> None:
        """Set a run's status (and end time; ``RUNNING`` clears it) and/or its name."""
        values: dict[str, Any] = {}
        if status is not None:
            try:
                status = RunStatus(str(status).upper())
            except ValueError:
                choices = ", ".join(s.value for s in RunStatus)
                raise TrackingError(f"run status {status!r} is not one of {choices}") from None
            ended = None if status == RunStatus.RUNNING else (end_time or now_ms())
            values.update(status=status.value, end_time=ended)
        with self.write() as conn:
            self._require_run(conn, run_id)
            if values:
                conn.execute(t.runs.update().where(t.runs.c.run_id == run_id).values(**values))
            if run_name is not None:
                conn.execute(
                    t.runs.update().where(t.runs.c.run_id == run_id).values(run_name=run_name)
                )
                _engine.upsert(
                    conn,
                    t.tags,
                    [{"run_id": run_id, "key": "mlflow.runName", "value": run_name}],
                    ("run_id", "key"),
                )

    def set_lifecycle(self, run_id: str, stage: LifecycleStage) -> None:
        """Delete (soft) or restore a run."""
        with self.write() as conn:
            self._require_run(conn, run_id)
            conn.execute(
                t.runs.update()
                .where(t.runs.c.run_id == run_id)
                .values(
                    lifecycle_stage=stage.value,
                    deleted_time=now_ms() if stage == LifecycleStage.DELETED else None,
                )
            )

    def _require_run(self, conn: sa.Connection, run_id: str, *, active: bool = False) -> None:
        row = conn.execute(
            sa.select(t.runs.c.lifecycle_stage).where(t.runs.c.run_id == run_id)
        ).first()
        if row is None:
            raise TrackingError(f"no run with id {run_id!r} in {self.url.split('@')[-1]}")
        if active and row[0] != LifecycleStage.ACTIVE.value:
            raise TrackingError(f"run {run_id!r} is deleted; restore_run({run_id!r}) first")

    def get_run(self, run_id: str) -> Run:
        """The run with its latest metrics, params, tags and inputs."""
        with self.read() as conn:
            self._require_run(conn, run_id)
            return self.load_runs(conn, [run_id])[0]

    def load_runs(self, conn: sa.Connection, run_ids: Sequence[str]) -> list[Run]:
        """Full :class:`Run` objects for ``run_ids``, in that order."""
        if not run_ids:
            return []
        ids = list(run_ids)
        infos = {
            r["run_id"]: r
            for r in conn.execute(sa.select(t.runs).where(t.runs.c.run_id.in_(ids))).mappings()
        }
        params: dict[str, dict[str, str]] = {i: {} for i in ids}
        tags: dict[str, dict[str, str]] = {i: {} for i in ids}
        for table, into in ((t.params, params), (t.tags, tags)):
            for run_id, key, value in conn.execute(
                sa.select(table.c.run_id, table.c.key, table.c.value).where(table.c.run_id.in_(ids))
            ):
                into[run_id][key] = value
        metrics: dict[str, dict[str, float]] = {i: {} for i in ids}
        latest = _queries.latest_metrics(t.metrics.c.run_id.in_(ids))
        for run_id, key, value, is_nan in conn.execute(
            sa.select(latest.c.run_id, latest.c.key, latest.c.value, latest.c.is_nan)
        ):
            metrics[run_id][key] = math.nan if is_nan else value
        inputs: dict[str, list[DatasetInput]] = {i: [] for i in ids}
        for r in conn.execute(
            sa.select(t.run_inputs)
            .where(t.run_inputs.c.run_id.in_(ids))
            .order_by(t.run_inputs.c.id)
        ).mappings():
            inputs[r["run_id"]].append(
                DatasetInput(
                    name=r["name"],
                    digest=r["digest"],
                    source=r["source"],
                    num_records=r["num_records"],
                    dataset_id=r["dataset_id"],
                    context=r["context"],
                )
            )
        out = []
        for i in ids:
            r = infos[i]
            info = RunInfo(
                run_id=i,
                experiment_id=str(r["experiment_id"]),
                run_name=r["run_name"],
                status=RunStatus(r["status"]),
                start_time=r["start_time"],
                end_time=r["end_time"],
                artifact_uri=r["artifact_uri"],
                lifecycle_stage=LifecycleStage(r["lifecycle_stage"]),
            )
            data = RunData(metrics=metrics[i], params=params[i], tags=tags[i])
            out.append(Run(info=info, data=data, inputs=RunInputs(dataset_inputs=inputs[i])))
        return out

    # -- logging -----------------------------------------------------------------------

    def log_batch(
        self,
        run_id: str,
        *,
        metrics: Iterable[Metric] = (),
        params: Mapping[str, Any] | None = None,
        tags: Mapping[str, Any] | None = None,
        inputs: Iterable[DatasetInput] = (),
    ) -> None:
        """Log metrics, params, tags and inputs to a run, all in one transaction.

        Raises:
            TrackingError: The run does not exist or is deleted, a key is invalid, or a
                param was already logged with a different value (nothing is written then).
        """
        param_rows = [
            {"run_id": run_id, "key": _check_key(k, "param"), "value": _param_value(k, v)}
            for k, v in (params or {}).items()
        ]
        tag_rows = [
            {"run_id": run_id, "key": _check_key(k, "tag"), "value": str(v)}
            for k, v in (tags or {}).items()
        ]
        metric_rows = [
            {
                "run_id": run_id,
                "key": _check_key(m.key, "metric"),
                "value": 0.0 if math.isnan(m.value) else m.value,
                "is_nan": math.isnan(m.value),
                "timestamp": m.timestamp,
                "step": m.step,
            }
            for m in metrics
        ]
        input_rows = [
            {
                "run_id": run_id,
                "name": i.name,
                "digest": i.digest,
                "source": i.source,
                "num_records": i.num_records,
                "dataset_id": i.dataset_id,
                "context": i.context,
            }
            for i in inputs
        ]
        with self.write() as conn:
            self._require_run(conn, run_id, active=True)
            if param_rows:
                self._log_params(conn, run_id, param_rows)
            _engine.upsert(conn, t.tags, tag_rows, ("run_id", "key"))
            if metric_rows:
                conn.execute(t.metrics.insert(), metric_rows)
            if input_rows:
                conn.execute(t.run_inputs.insert(), input_rows)

    def _log_params(self, conn: sa.Connection, run_id: str, rows: list[dict[str, Any]]) -> None:
        stmt: Any = _engine.insert(conn, t.params)
        conn.execute(stmt.on_conflict_do_nothing(index_elements=["run_id", "key"]), rows)
        wanted = {r["key"]: r["value"] for r in rows}
        stored = conn.execute(
            sa.select(t.params.c.key, t.params.c.value).where(
                t.params.c.run_id == run_id, t.params.c.key.in_(list(wanted))
            )
        ).all()
        for key, value in stored:
            if value != wanted[key]:
                raise TrackingError(
                    f"param {key!r} of run {run_id} is already {value!r:.100}; params cannot "
                    f"change (tried {wanted[key]!r:.100}). Log it under another key, or start "
                    "a new run"
                )

    def delete_tag(self, run_id: str, key: str) -> None:
        """Delete a run tag. Raises TrackingError if the run has no such tag."""
        with self.write() as conn:
            self._require_run(conn, run_id, active=True)
            gone = conn.execute(
                t.tags.delete().where(t.tags.c.run_id == run_id, t.tags.c.key == key)
            ).rowcount
        if not gone:
            raise TrackingError(f"run {run_id} has no tag {key!r}; nothing to delete")

    def get_params(self, run_id: str) -> dict[str, str]:
        """The run's params."""
        with self.read() as conn:
            rows = conn.execute(
                sa.select(t.params.c.key, t.params.c.value).where(t.params.c.run_id == run_id)
            ).all()
        return {k: v for k, v in rows}

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Every logged value of one metric, in logging order."""
        m = t.metrics
        with self.read() as conn:
            self._require_run(conn, run_id)
            rows = conn.execute(
                sa.select(m.c.value, m.c.is_nan, m.c.timestamp, m.c.step)
                .where(m.c.run_id == run_id, m.c.key == key)
                .order_by(m.c.id)
            ).all()
        return [
            Metric(key=key, value=math.nan if nan else value, timestamp=ts, step=step)
            for value, nan, ts, step in rows
        ]

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType | str = ViewType.ACTIVE_ONLY,
        max_results: int = 100_000,
        order_by: list[str] | None = None,
    ) -> list[Run]:
        """The runs of the experiments that match the filter, in order."""
        return _queries.search_runs(
            self, experiment_ids, filter_string, run_view_type, max_results, order_by
        )

    # -- datasets ----------------------------------------------------------------------

    def create_dataset(
        self,
        name: str,
        experiment_ids: Sequence[str],
        tags: Mapping[str, Any] | None,
        user: str | None,
    ) -> DatasetInfo:
        """Create an empty dataset. Raises TrackingError if the name is taken."""
        return _datasets.create(self, name, experiment_ids, tags, user)

    def get_dataset(
        self, *, dataset_id: str | None = None, name: str | None = None
    ) -> DatasetInfo | None:
        """The dataset's info (without records), or ``None``."""
        return _datasets.get(self, dataset_id=dataset_id, name=name)

    def load_dataset_records(self, dataset_id: str) -> list[dict[str, Any]]:
        """The dataset's records, in the order they were first added."""
        return _datasets.load_records(self, dataset_id)

    def merge_dataset_records(
        self,
        dataset_id: str,
        records: Sequence[Mapping[str, Any]],
        merge_into: Callable[[dict[str, Any], Mapping[str, Any]], None],
        user: str | None,
    ) -> None:
        """Upsert ``records`` by inputs in one transaction."""
        _datasets.merge(self, dataset_id, records, merge_into, user)

    def delete_dataset(self, dataset_id: str) -> None:
        """Delete a dataset with its records and tags (permanently)."""
        _datasets.delete(self, dataset_id)

    def set_dataset_tags(self, dataset_id: str, tags: Mapping[str, Any]) -> None:
        """Merge ``tags`` into the dataset's tags; a ``None`` value deletes that tag."""
        _datasets.set_tags(self, dataset_id, tags)

    def update_dataset_experiments(
        self, dataset_id: str, *, add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> DatasetInfo:
        """Link the dataset to ``add`` experiments, unlink it from ``remove`` ones."""
        return _datasets.update_experiments(self, dataset_id, add, remove)

    def search_datasets(
        self,
        experiment_ids: Sequence[str] | None,
        filter_string: str | None,
        max_results: int | None,
        order_by: list[str] | None,
    ) -> list[DatasetInfo]:
        """Infos of the datasets that match, in order (default newest first)."""
        return _datasets.search(self, experiment_ids, filter_string, max_results, order_by)

    # -- prompts -----------------------------------------------------------------------

    def register_prompt_version(
        self,
        name: str,
        template: str | list[dict[str, Any]],
        commit_message: str | None,
        tags: Mapping[str, Any] | None,
        user: str | None,
    ) -> PromptVersion:
        """Add the next version of prompt ``name`` (creating the prompt at version 1)."""
        return _prompts.register(self, name, template, commit_message, tags, user)

    def get_prompt_version(
        self, name: str, version: int | None = None, alias: str | None = None
    ) -> PromptVersion | None:
        """A version by number, by alias, or (neither) the latest; ``None`` if absent."""
        return _prompts.get_version(self, name, version, alias)

    def get_prompt(self, name: str) -> Prompt | None:
        """The prompt's name, tags, aliases and latest version number, or ``None``."""
        return _prompts.get_prompt(self, name)

    def search_prompts(self, filter_string: str | None, max_results: int | None) -> list[Prompt]:
        """Prompts matching a filter on ``name`` and ``tags.<key>``, by name."""
        return _prompts.search(self, filter_string, max_results)

    def set_prompt_alias(self, name: str, alias: str, version: int) -> None:
        """Point ``alias`` at a version. Raises PromptError if the version does not exist."""
        _prompts.set_alias(self, name, alias, version)

    def delete_prompt_alias(self, name: str, alias: str) -> None:
        """Remove an alias. Raises PromptError if it is not set."""
        _prompts.delete_alias(self, name, alias)

    def set_prompt_tags(self, name: str, tags: Mapping[str, Any]) -> None:
        """Merge prompt-level tags; a ``None`` value deletes that tag."""
        _prompts.set_tags(self, name, tags)

    def set_prompt_version_tags(self, name: str, version: int, tags: Mapping[str, Any]) -> None:
        """Merge tags of one version; a ``None`` value deletes that tag."""
        _prompts.set_version_tags(self, name, version, tags)

    def delete_prompt(self, name: str) -> None:
        """Delete a prompt with all its versions, tags and aliases (permanently)."""
        _prompts.delete_prompt(self, name)

    # -- traces and assessments ------------------------------------------------------------

    def log_traces(self, traces: Sequence[Trace]) -> None:
        """Store whole traces in one transaction (see :mod:`evalkit.tracking.sql.traces`)."""
        _traces.log_traces(self, traces)

    def log_encoded_traces(self, traces: Sequence[EncodedTrace]) -> None:
        """Store traces the tracing exporter encoded and checked, in one transaction.

        The export thread's fast path (:func:`evalkit.tracking.sql.traces.log_encoded_traces`):
        the spans' JSON is stored as encoded, not rebuilt into objects and encoded again.
        """
        _traces.log_encoded_traces(self, traces)

    def get_trace(self, trace_id: str) -> Trace | None:
        """The trace with its spans and assessments, or ``None``."""
        with self.read() as conn:
            found = _traces.get_traces(conn, [trace_id])
        return found[0] if found else None

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
        """The traces that match, in order (default newest first), from the ``offset``-th
        match on; without their spans unless ``include_spans``."""
        return _traces.search_traces(
            self,
            experiment_ids,
            filter_string,
            max_results,
            order_by,
            run_id,
            offset=offset,
            include_spans=include_spans,
        )

    def delete_traces(
        self,
        experiment_id: str,
        max_timestamp_millis: int | None = None,
        max_traces: int | None = None,
        trace_ids: Sequence[str] | None = None,
    ) -> int:
        """Delete traces older than a time, or by id; return how many."""
        return _traces.delete_traces(
            self, experiment_id, max_timestamp_millis, max_traces, trace_ids
        )

    def set_trace_tag(self, trace_id: str, key: str, value: Any) -> None:
        """Set one tag of a stored trace."""
        _traces.set_trace_tag(self, trace_id, key, value)

    def delete_trace_tag(self, trace_id: str, key: str) -> None:
        """Delete one tag of a stored trace."""
        _traces.delete_trace_tag(self, trace_id, key)

    def create_assessment(self, trace_id: str, assessment: AnyAssessment) -> AnyAssessment:
        """Attach a feedback or expectation to a trace."""
        return _traces.create_assessment(self, trace_id, assessment)

    def log_assessments(self, assessments: Sequence[AnyAssessment]) -> list[AnyAssessment]:
        """Attach many assessments (each with its ``trace_id``) in one transaction."""
        return _traces.log_assessments(self, assessments)

    def get_assessment(self, trace_id: str, assessment_id: str) -> AnyAssessment:
        """One assessment of a trace."""
        return _traces.get_assessment(self, trace_id, assessment_id)

    def update_assessment(
        self, trace_id: str, assessment_id: str, changes: Mapping[str, Any]
    ) -> AnyAssessment:
        """Change fields of an assessment."""
        return _traces.update_assessment(self, trace_id, assessment_id, changes)

    def delete_assessment(self, trace_id: str, assessment_id: str) -> None:
        """Delete one assessment of a trace."""
        _traces.delete_assessment(self, trace_id, assessment_id)


def _param_value(key: str, value: Any) -> str:
    text = value if isinstance(value, str) else str(value)
    if len(text) > MAX_PARAM_VALUE_LENGTH:
        raise TrackingError(
            f"param {key!r} is {len(text)} characters long; params hold at most "
            f"{MAX_PARAM_VALUE_LENGTH}. Log long values with log_dict or log_text instead"
        )
    return text
