"""Logging an ``evaluate()`` call to a run.

What a logged evaluation holds:

* params: ``scorers`` (the names), ``scorer.<name>.<field>`` for each scorer's
  configuration (its judge ``model`` among them), ``dataset.name``, ``dataset.digest``,
  ``dataset.num_records`` and ``predict_fn`` when one was given;
* metrics: every key of ``result.metrics`` (NaN kept), and when judges made model calls
  ``usage/judge_calls``, ``usage/cached_calls``, ``usage/input_tokens``,
  ``usage/output_tokens`` and ``usage/cost`` (a resumed run's add to the run's earlier ones);
* the per-row journal ``evaluation_journal.jsonl`` that ``evaluate(resume=...)`` reads;
* artifacts: ``eval_results_table.json`` (the per-row table, read it back with
  ``evalkit.load_table("eval_results_table.json", run_ids=[result.run_id])``) and
  ``scorers.json`` (the full configurations, which params would truncate);
* the dataset as the run's input (context ``"evaluation"``);
* for rows whose trace came from the store, each score attached to that trace as a
  ``Feedback`` (:func:`attach_trace_feedback`).

It goes to the active run, or to a new run that ends when the evaluation is logged. If the
active run already has params that disagree (a second evaluation in one run), the
evaluation goes to a run nested in it. The store is opened before any scoring, so a bad
tracking URI fails at once; a failure while logging afterwards only warns, and the
result (with ``run_id=None``) is still returned.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import threading
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evalkit.entities import EvaluationResult
from evalkit.entities.runs import DatasetInput, Metric, Run, RunStatus, now_ms
from evalkit.errors import EvalkitError, TrackingError
from evalkit.redaction import redact
from evalkit.tracking import _context, artifacts

if TYPE_CHECKING:
    from evalkit.scorers.base import Scorer
    from evalkit.tracking.store import TrackingStore

__all__ = [
    "CONVERSATIONS_ARTIFACT",
    "TABLE_ARTIFACT",
    "EvaluationLogger",
    "attach_trace_feedback",
    "open_evaluation_log",
]

TABLE_ARTIFACT = "eval_results_table.json"
"""The artifact name of the per-row table."""
CONVERSATIONS_ARTIFACT = "eval_conversations_table.json"
"""The artifact holding ``result.tables["conversations"]``, when the data had sessions."""
_PARAM_LIMIT = 6000


def open_evaluation_log() -> EvaluationLogger:
    """Open the tracking store now (so a bad URI fails before any work) and time the run."""
    return EvaluationLogger(_context.current_store())


def _param(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, sort_keys=True)
    return text if len(text) <= _PARAM_LIMIT else text[: _PARAM_LIMIT - 3] + "..."


def scorer_params(scorers: Sequence[Scorer]) -> tuple[dict[str, str], dict[str, Any]]:
    """(params, full configurations) describing ``scorers``."""
    params: dict[str, str] = {"scorers": _param([s.name for s in scorers])}
    configs: dict[str, Any] = {}
    for s in scorers:
        config = redact(dict(s.config()))  # no api_key / Authorization header in the store
        model = getattr(s, "model", None)
        if model is not None and "model" not in config:
            config["model"] = model
        configs[s.name] = {"type": type(s).__name__, **config}
        for key, value in config.items():
            if value is not None:
                params[f"scorer.{s.name}.{key}"] = _param(value)
    return params, configs


def _data_columns_digest(table: Any) -> str:
    columns = [c for c in ("inputs", "outputs", "expectations") if c in table.columns]
    payload = artifacts.to_json(artifacts.columns_of(table[columns]), sort_keys=True)
    return hashlib.sha256(payload).hexdigest()[:16]


def dataset_input(data: Any, table: Any) -> DatasetInput:
    """How the evaluated data is recorded as the run's input."""
    from evalkit.tracking.datasets import EvaluationDataset

    n = len(table)
    if isinstance(data, EvaluationDataset):
        source = f"evaluation_dataset:{data.dataset_id}" if data.dataset_id else None
        return DatasetInput(
            name=data.name or "dataset",
            digest=data.digest,
            source=source,
            num_records=n,
            dataset_id=data.dataset_id,
            context="evaluation",
        )
    source = None
    name = "dataset"
    if isinstance(data, str | os.PathLike):
        source = str(Path(data).resolve())
        name = Path(data).name
    return DatasetInput(
        name=name,
        digest=_data_columns_digest(table),
        source=source,
        num_records=n,
        context="evaluation",
    )


USAGE_PREFIX = "usage/"
"""Prefix of the run metrics that say what an evaluation's judge calls used."""
USAGE_KEYS = ("judge_calls", "cached_calls", "input_tokens", "output_tokens", "cost")
"""The keys of ``EvaluationResult.usage`` logged as ``usage/<key>`` run metrics."""


class EvaluationLogger:
    """Logs one evaluation to the store it was opened on."""

    def __init__(self, store: TrackingStore) -> None:
        self.store = store
        self.start_time = now_ms()
        self.run: Run | None = None
        self.own_run = True
        self.resumed = False

    def begin(self, scorers: Sequence[Scorer], resume: str | None = None) -> str:
        """Choose the run now (so per-row results can be journaled to it); return its id.

        Args:
            scorers: The evaluation's scorers (their params decide whether the active run
                can take this evaluation or a nested run is needed).
            resume: The id of an earlier run to go on with.

        Raises:
            TrackingError: ``resume`` names no run.
        """
        from evalkit.tracking import fluent

        if resume is not None:
            self.run = self.store.get_run(resume)
            self.own_run = True
            self.resumed = True
            self.store.update_run(resume, status=RunStatus.RUNNING)
            self._check_artifact_folder()
            return resume
        params, _ = scorer_params(scorers)
        active = fluent.active_run()
        own_run = active is None
        if active is not None:
            stored = self.store.get_params(active.info.run_id)
            own_run = any(k in stored and stored[k] != v for k, v in params.items())
        if own_run:
            self.run = self._new_run(active)
        else:
            assert active is not None
            self.run = active
        self.own_run = own_run
        self._check_artifact_folder()
        return self.run.info.run_id

    def _check_artifact_folder(self) -> None:
        """Fail before any work when the run's artifacts (journal, table) cannot be written;
        the run this evaluation started is marked ``FAILED``, not left ``RUNNING``."""
        assert self.run is not None
        folder = Path(self.run.info.artifact_uri)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            probe = folder / f".evalkit-write-check-{os.getpid()}-{threading.get_ident()}"
            probe.touch()
            probe.unlink()
        except OSError as exc:
            if self.own_run:
                with contextlib.suppress(Exception):
                    self.store.update_run(self.run.info.run_id, status=RunStatus.FAILED)
            raise TrackingError(
                f"the artifact folder {folder} is not writable ({exc.strerror or exc}): "
                "evaluate() needs it for the journal and the per-row table. Make it "
                "writable, point EVALKIT_ARTIFACT_ROOT elsewhere, or pass log=False"
            ) from exc

    def _usage_metrics(self, run: Run, result: EvaluationResult) -> dict[str, float]:
        """``usage/<key>`` metrics of the judge calls, when there were any; a resumed run's
        add to what the run had already spent."""
        usage: dict[str, Any] = result.usage or {}
        if not usage.get("judge_calls"):
            return {}
        earlier = run.data.metrics if self.resumed else {}
        return {
            f"{USAGE_PREFIX}{key}": float(usage.get(key) or 0) + earlier.get(USAGE_PREFIX + key, 0)
            for key in USAGE_KEYS
        }

    def interrupted(self, exc: BaseException) -> None:
        """Mark the run this evaluation created ``KILLED`` (Ctrl-C) or ``FAILED`` (another
        exception), so it shows as unfinished; its journal keeps what was scored."""
        if self.run is None or not self.own_run:
            return
        status = RunStatus.KILLED if isinstance(exc, KeyboardInterrupt) else RunStatus.FAILED
        # if the store is gone as well, the run stays RUNNING, and is still resumable
        with contextlib.suppress(Exception):
            self.store.update_run(self.run.info.run_id, status=status)

    def artifact_folder(self) -> Path:
        """The chosen run's artifact folder (a chunked evaluation's journals and table
        parts go there)."""
        assert self.run is not None
        return Path(self.run.info.artifact_uri)

    def log_chunked(
        self,
        result: EvaluationResult,
        scorers: Sequence[Scorer],
        *,
        data: Any,
        predict_fn: Callable[..., Any] | None,
        num_records: int,
        digest: str,
    ) -> EvaluationResult:
        """Log a chunked evaluation: as :meth:`log`, but its per-row table is already in the
        run's artifacts (``eval_results_table/part-*.parquet``) and the dataset's digest is
        one of its rows' digests, computed chunk by chunk."""
        name, source_path = "dataset", None
        if isinstance(data, str | os.PathLike):
            source_path, name = str(Path(data).resolve()), Path(data).name
        source = DatasetInput(
            name=name,
            digest=digest,
            source=source_path,
            num_records=num_records,
            context="evaluation",
        )
        return self.log(result, scorers, data=data, predict_fn=predict_fn, source=source)

    def journal_path(self) -> Path:
        """Where the chosen run's per-row journal lives."""
        from evalkit.tracking.journal import JOURNAL_ARTIFACT

        assert self.run is not None
        return artifacts.target(self.run.info.artifact_uri, JOURNAL_ARTIFACT)

    def _new_run(self, active: Run | None) -> Run:
        from evalkit.tracking import fluent

        parent = active.info.run_id if active is not None else None
        tags = {"mlflow.parentRunId": parent} if parent else {}
        experiment = (
            active.info.experiment_id if active else fluent.current_experiment_id(self.store)
        )
        return self.store.create_run(experiment, tags=tags, start_time=self.start_time)

    def log(
        self,
        result: EvaluationResult,
        scorers: Sequence[Scorer],
        *,
        data: Any,
        predict_fn: Callable[..., Any] | None = None,
        source: DatasetInput | None = None,
    ) -> EvaluationResult:
        """Log ``result``; return it with ``run_id`` set (or unchanged, with a warning).

        ``source`` is the dataset input when the caller already has it (a chunked run, whose
        per-row table is in the run's artifacts already); otherwise it comes from the table.
        """
        try:
            run_id = self._log(result, scorers, data, predict_fn, source=source)
        except (EvalkitError, OSError) as exc:
            warnings.warn(
                f"evaluate(): the results could not be logged to the tracking store "
                f"({exc}); result.run_id is None. Pass log=False to skip logging.",
                RuntimeWarning,
                stacklevel=3,
            )
            return result
        return dataclasses.replace(result, run_id=run_id)

    def _log(
        self,
        result: EvaluationResult,
        scorers: Sequence[Scorer],
        data: Any,
        predict_fn: Callable[..., Any] | None,
        source: DatasetInput | None = None,
    ) -> str:
        from evalkit.tracking import fluent

        table = None
        if source is None:  # a chunked evaluation's table is in parts already
            table = result.tables["eval_results_table"]
            source = dataset_input(data, table)
        params, configs = scorer_params(scorers)
        params["dataset.name"] = source.name
        params["dataset.digest"] = source.digest
        params["dataset.num_records"] = str(source.num_records)
        if predict_fn is not None:
            params["predict_fn"] = getattr(predict_fn, "__qualname__", repr(predict_fn))

        if self.run is not None and self.own_run:
            run, own_run = self.run, True
        else:
            active = fluent.active_run()
            own_run = active is None
            if active is not None:
                stored = self.store.get_params(active.info.run_id)
                if any(k in stored and stored[k] != v for k, v in params.items()):
                    own_run = True
            if own_run:
                run = self._new_run(active)
            else:
                assert active is not None
                run = active
        run_id = run.info.run_id
        try:
            uri = run.info.artifact_uri
            if table is not None:
                artifacts.write_bytes(
                    artifacts.target(uri, TABLE_ARTIFACT), artifacts.table_json(table)
                )
                conversations = result.tables.get("conversations")
                if conversations is not None:
                    artifacts.write_bytes(
                        artifacts.target(uri, CONVERSATIONS_ARTIFACT),
                        artifacts.table_json(conversations),
                    )
            config_text = json.dumps(configs, indent=2, default=str).encode()
            artifacts.write_bytes(artifacts.target(uri, "scorers.json"), config_text)
            stamp = now_ms()
            # a label (the "mode" of string labels) is not a metric value: it stays in
            # result.metrics and is not logged as a metric
            metrics = [
                Metric(key=k, value=float(v), timestamp=stamp, step=0)
                for k, v in {**result.metrics, **self._usage_metrics(run, result)}.items()
                if not isinstance(v, str)
            ]
            self.store.log_batch(
                run_id,
                metrics=metrics,
                params=params,
                tags={"evalkit.evaluation": "true"},
                inputs=[source],
            )
        except BaseException:
            if own_run:
                self.store.update_run(run_id, status=RunStatus.FAILED)
            raise
        if own_run:
            self.store.update_run(run_id, status=RunStatus.FINISHED)
        try:
            if table is not None:
                attach_trace_feedback(self.store, table, scorers, run_id)
            else:
                _attach_part_feedback(self.store, result, scorers, run_id)
        except (EvalkitError, OSError) as exc:
            warnings.warn(
                f"evaluate(): the scores could not be attached to the stored traces ({exc})",
                RuntimeWarning,
                stacklevel=4,
            )
        return run_id


def _plain(value: Any) -> Any:
    item = getattr(value, "item", None)  # numpy scalars -> Python values
    value = item() if callable(item) and not isinstance(value, str | bytes) else value
    if isinstance(value, float) and value != value:  # NaN: no value
        return None
    return value


_SCORE_SUFFIXES = ("/value", "/error_code", "/error_message", "/rationale")


def _attach_part_feedback(
    store: TrackingStore, result: EvaluationResult, scorers: Sequence[Scorer], run_id: str
) -> int:
    """A chunked run's :func:`attach_trace_feedback`, part by part: the trace ids come from
    each part's metadata and only the score columns are read, so memory holds one part's
    scores, never the traces."""
    from evalkit.data.table_parts import part_columns, part_trace_ids, read_table_part

    parts = getattr(result.tables, "parts", None)
    if not callable(parts) or "eval_results_table" not in result.tables:
        return 0
    attached = 0
    for path in parts("eval_results_table").paths:
        trace_ids = part_trace_ids(path)
        if trace_ids is None:
            continue
        wanted = [c for c in part_columns(path) if c.endswith(_SCORE_SUFFIXES)]
        frame = read_table_part(path, wanted)
        attached += attach_trace_feedback(store, frame, scorers, run_id, trace_ids=trace_ids)
    return attached


def attach_trace_feedback(
    store: TrackingStore,
    table: Any,
    scorers: Sequence[Scorer],
    run_id: str,
    *,
    trace_ids: Sequence[str | None] | None = None,
) -> int:
    """Attach each row's scores to its trace, for rows whose trace came from the store.

    A row's trace counts as stored when it has an ``experiment_id`` (traces captured while
    predicting have none); each metric column ``M/value`` becomes a :class:`Feedback` named
    ``M`` with its rationale or error, sourced ``LLM_JUDGE`` / the judge's model for judges
    and ``CODE`` / the scorer's name otherwise, and ``mlflow.sourceRun`` = the run. One
    transaction. ``trace_ids`` gives each row's stored trace id instead of the table's
    ``trace`` column. Returns how many were attached.
    """
    from evalkit.data.traces import stored_trace_id
    from evalkit.entities import (
        AssessmentError,
        AssessmentSource,
        AssessmentSourceType,
        Feedback,
    )

    if trace_ids is None:
        if "trace" not in getattr(table, "columns", ()):
            return 0
        trace_ids = [stored_trace_id(t) for t in table["trace"]]
    stored = [i for i, trace_id in enumerate(trace_ids) if trace_id is not None]
    if not stored:
        return 0
    metrics = [c[: -len("/value")] for c in table.columns if str(c).endswith("/value")]
    by_name = {s.name: s for s in scorers}

    def source(metric: str) -> AssessmentSource:
        scorer = by_name.get(metric) or next(
            (s for s in scorers if metric.startswith(f"{s.name}/")), None
        )
        model = getattr(scorer, "model", None)
        if model:
            return AssessmentSource(
                source_type=AssessmentSourceType.LLM_JUDGE, source_id=str(model)
            )
        name = scorer.name if scorer else metric
        return AssessmentSource(source_type=AssessmentSourceType.CODE, source_id=name)

    sources = {m: source(m) for m in metrics}
    columns = {
        c: list(table[c]) for c in table.columns if str(c).split("/")[0] in by_name or "/" in str(c)
    }
    items = []
    for i in stored:
        trace_id = trace_ids[i]
        for m in metrics:
            value = _plain(columns[f"{m}/value"][i])
            code = _plain(columns.get(f"{m}/error_code", [None] * len(trace_ids))[i])
            rationale = _plain(columns.get(f"{m}/rationale", [None] * len(trace_ids))[i])
            if value is None and code is None:
                continue
            error = None
            if code is not None:
                message = _plain(columns.get(f"{m}/error_message", [None] * len(trace_ids))[i])
                error = AssessmentError(error_code=str(code), error_message=message)
            items.append(
                Feedback(
                    name=m,
                    value=value,
                    rationale=rationale,
                    error=error,
                    source=sources[m],
                    metadata={"mlflow.sourceRun": run_id},
                    trace_id=trace_id,
                )
            )
    return len(store.log_assessments(items)) if items else 0
