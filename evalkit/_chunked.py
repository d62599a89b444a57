"""Chunked evaluation: ``evaluate(..., chunk_size=N, executor=...)``, bounded by the chunk.

The driver (this process) reads the data chunk by chunk (:mod:`evalkit.data.chunks`) and
hands each chunk to an executor (:mod:`evalkit.engine.executors`) as one picklable
:class:`ChunkTask`. :func:`run_chunk` runs wherever the executor puts it (here, or on a
Dask worker):

1. validates the chunk's records;
2. reads the chunk's own journal, ``evaluation_journal/chunk-<n>.jsonl`` in the work folder,
   so a resumed run, or a Dask task run again after its worker died, only scores the
   (row, scorer) pairs the journal lacks;
3. runs today's engine on the chunk inside one model-call scope, journaling every outcome;
4. writes the chunk's part of the per-row table (``eval_results_table/part-<n>.parquet``,
   atomically, so a part is whole or absent);
5. returns only the compact score columns (:class:`~evalkit.engine.ScoreColumn`), the
   chunk's usage and a digest of its rows.

The driver merges score columns in row order and aggregates them exactly (median and p90
included), then logs one run. The work folder is the run's artifact folder when the
evaluation is logged (or resumed), else a new temporary folder, removed when the result's
``tables`` are garbage-collected.

Session-level (conversation) scorers: when one is given, the driver cuts the chunks between
conversations (:func:`whole_conversations`): a chunk never ends inside a run of rows that
share a session id, so it may hold more than ``chunk_size`` rows to finish the conversation
its last row belongs to. Each chunk then scores its own conversations (the engine groups a
chunk's rows by session id), journals their outcomes under the conversation's first row,
as an in-memory run does, and writes its part of the conversation table
(``eval_conversations_table/part-<n>.parquet``: the table is in parts like the per-row
table, since a run of millions of rows may hold millions of conversations, each with its
rationales). Session-level metrics aggregate the merged per-conversation score columns, so
they equal an in-memory run's. A conversation's rows must be contiguous in the data: a
session id met again after the chunk that held it was cut is a ``DataError`` (naming the
session, the row and the fix), raised before that chunk is scored, after the chunks in
flight have finished (and been journaled), so the run can be resumed. The driver keeps
the id of every conversation seen (tens of bytes each) to find that. Without a
session-level scorer, chunks are cut by row count alone and there is no conversation
table.

Limits across chunks in flight (several Dask workers): the per-model concurrency limit and
the per-model ``rate_limits`` (requests and tokens per minute) are divided among the chunks
that run at once (``max(1, limit // slots)`` each, ``slots`` being the executor's chunks in
flight), and the cost budget is held by the driver: each chunk is given an equal share of
what is neither spent nor promised to chunks still running, and what a chunk did not spend
goes back to the pool when it returns. So the total in flight, the total rate and the total
spent stay within the evaluation's limits (when each limit is at least the number of chunks
in flight). Each chunk paces its calls from its own first one, so a chunk that starts
where another ended may send one call early. ``deployments`` reach every chunk as given
(the Router's weights are ratios).

Why a share per chunk rather than one limiter on the cluster (a ``distributed.Semaphore``
for concurrency, a leaky bucket in a ``distributed.Variable`` for rates): a share needs no
round trip to the scheduler per model call (a Semaphore lease is one, and a rate bucket
would be a read-modify-write under a ``distributed.Lock``, two or three), works the same on
any executor, and keeps a chunk's calls going if the scheduler is slow; what it costs is
the unused share of a slot that has no chunk, at the end of a run.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import tempfile
import warnings
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalkit.data import EvalRow
from evalkit.data.chunks import iter_record_chunks, normalize_chunk, record_session_id
from evalkit.data.table_parts import (
    TABLE_PARTS_FOLDER,
    LazyTables,
    TableParts,
    part_path,
    write_table_part,
)
from evalkit.data.traces import stored_trace_id
from evalkit.engine import (
    Plan,
    build_conversation_table,
    build_table,
    collect_metrics,
    run_plan,
)
from evalkit.engine.collect import ScoreColumn, merge_scores, metrics_of_scores, score_columns
from evalkit.engine.executors import ChunkExecutor
from evalkit.entities import EvaluationResult, Usage
from evalkit.errors import DataError, UsageError
from evalkit.scorers.base import Scorer

__all__ = [
    "ChunkResult",
    "ChunkTask",
    "first_chunk",
    "run_chunk",
    "run_chunked",
    "share_rate_limits",
    "whole_conversations",
]

JOURNAL_FOLDER = "evaluation_journal"
"""The folder (in the work folder) of the chunks' journals."""
CHUNKS_FILE = "evaluation_chunks.json"
"""Records the chunk size, so a resume cuts the data the same way."""
CONVERSATION_PARTS_FOLDER = "eval_conversations_table"
"""The folder (in the work folder) of the conversation table's parts."""


@dataclass
class ChunkTask:
    """One chunk's work, sent to an executor (picklable)."""

    index: int
    """The chunk's number (0-based)."""
    start: int
    """The position of its first record in the whole data."""
    records: list[dict[str, Any]]
    """Its record dicts, not yet validated."""
    scorers: list[Scorer]
    """The scorers."""
    folder: str
    """The work folder (journals and table parts)."""
    run_label: str
    """How messages name the run."""
    predict_fn: Callable[..., Any] | None = None
    """Produces outputs, when the data has none."""
    max_workers: int = 10
    """The chunk's thread pool."""
    cache: str = "on"
    """The model-call cache mode."""
    max_concurrent_calls: int | None = None
    """This chunk's share of the per-model concurrency limit."""
    max_cost: float | None = None
    """This chunk's share of the cost budget (USD)."""
    rate_limits: dict[str, dict[str, int]] | None = None
    """This chunk's share of the per-model requests/tokens per minute."""
    deployments: dict[str, list[dict[str, Any]]] | None = None
    """Several deployments of a model (``evaluate(..., deployments=...)``), as given."""
    dry_run: bool = False
    """Count model calls instead of sending them."""
    retry_errors: bool = False
    """Run again pairs the journal holds as errors."""
    conversation_start: int = 0
    """The position of its first conversation among the whole data's conversations."""


@dataclass
class ChunkResult:
    """What a chunk sends back to the driver: small, whatever the chunk's size."""

    index: int
    """The chunk's number."""
    n_rows: int
    """How many rows it had."""
    scores: dict[str, ScoreColumn]
    """Its compact score columns, by metric."""
    usage: dict[str, Any] = field(default_factory=dict)
    """What its model calls used."""
    digest: str = ""
    """A digest of its rows (inputs, outputs, expectations)."""


class _JournalAt:
    """Where a chunk's journal lives, as :class:`~evalkit._resume.Journaling` asks for it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def journal_path(self) -> Path:
        return self.path


def run_chunk(task: ChunkTask) -> ChunkResult:
    """Score one chunk (see the module docstring); runs on the executor."""
    from evalkit._resume import Journaling
    from evalkit.llm import call_scope

    predicted = task.predict_fn is not None
    rows = normalize_chunk(task.records, start=task.start, has_predict_fn=predicted)
    folder = Path(task.folder)
    journal = folder / JOURNAL_FOLDER / f"chunk-{task.index:06d}.jsonl"
    journaling = Journaling(
        _JournalAt(journal),  # type: ignore[arg-type]
        rows,
        f"{task.run_label} (chunk {task.index}, rows {task.start}-{task.start + len(rows) - 1})",
        True,  # whatever the chunk's journal holds is not run again (resume, a lost worker)
        task.retry_errors,
    )
    trace_scorers = [s.name for s in task.scorers if "trace" in s.arguments]
    session_trace_scorers = [
        s.name
        for s in task.scorers
        if s.is_session_level_scorer and {"session", "conversation"} & set(s.arguments)
    ]
    known = journaling.known(trace_scorers, session_trace_scorers)
    plan = Plan(
        rows=rows,
        scorers=list(task.scorers),
        predict_fn=task.predict_fn,
        max_workers=task.max_workers,
    )
    with call_scope(
        cache=task.cache,
        max_concurrent_calls=task.max_concurrent_calls,
        max_cost=task.max_cost,
        dry_run=task.dry_run,
        rate_limits=task.rate_limits,
        deployments=task.deployments,
    ) as scope:
        try:
            outcomes = run_plan(plan, known=known, observer=journaling)
        finally:
            journaling.close()
    row_level = [k for k, s in enumerate(plan.scorers) if not s.is_session_level_scorer]
    session_level = [k for k, s in enumerate(plan.scorers) if s.is_session_level_scorer]
    columns = collect_metrics(
        [plan.scorers[k] for k in row_level], [outcomes[k] for k in row_level], len(rows)
    )
    scores = score_columns(columns)
    conversations = plan.conversations if session_level else []
    if conversations:  # as in memory: session-level metrics only where there are sessions
        session_columns = collect_metrics(
            [plan.scorers[k] for k in session_level],
            [outcomes[k] for k in session_level],
            len(conversations),
        )
        scores.update(score_columns(session_columns))
    if not task.dry_run:
        import pandas as pd

        table = build_table(rows, columns, predicted=predicted)
        table.index = pd.RangeIndex(task.start, task.start + len(rows))
        trace_ids = [stored_trace_id(r.trace) for r in rows]
        write_table_part(table, part_path(folder / TABLE_PARTS_FOLDER, task.index), trace_ids)
        if conversations:
            talks = build_conversation_table(conversations, session_columns, columns)
            # positions in the whole data, as in memory
            talks["rows"] = pd.Series(
                [[task.start + i for i in c] for c in talks["rows"]], dtype=object
            )
            talks.index = pd.RangeIndex(
                task.conversation_start, task.conversation_start + len(conversations)
            )
            write_table_part(talks, part_path(folder / CONVERSATION_PARTS_FOLDER, task.index))
    digest = hashlib.blake2b("".join(journaling.digests).encode(), digest_size=8).hexdigest()
    return ChunkResult(
        index=task.index,
        n_rows=len(rows),
        scores=scores,
        usage=scope.meter.as_dict() if scope.meter is not None else {},
        digest=digest,
    )


def first_chunk(
    data: Any, chunk_size: int, has_predict_fn: bool
) -> tuple[list[EvalRow], Iterator[list[dict[str, Any]]]]:
    """The first chunk's validated rows (to check scorers' fields before any work) and an
    iterator over every chunk's records, the first one included.

    Raises:
        DataError: The data is empty or the first chunk has a bad record.
    """
    chunks = iter_record_chunks(data, chunk_size)
    first = next(chunks, None)
    if not first:
        raise DataError("the evaluation data is empty; pass at least one record")
    rows = normalize_chunk(first, has_predict_fn=has_predict_fn)
    held = [first]
    del first

    def again() -> Iterator[list[dict[str, Any]]]:
        yield held.pop()  # not kept here once handed on: memory holds one chunk at a time
        yield from chunks

    return rows, again()


def check_chunk_file(
    folder: Path, chunk_size: int, resume: bool, by_conversation: bool = False
) -> None:
    """Record how the data is cut (the chunk size, and whether chunks end between
    conversations) in the work folder; a resume must cut it the same way."""
    path = folder / CHUNKS_FILE
    if resume and path.exists():
        recorded = json.loads(path.read_text())
        before = recorded["chunk_size"]
        if before != chunk_size:
            raise UsageError(
                f"the run was started with chunk_size={before}; resume it with the same "
                f"chunk_size (got {chunk_size})"
            )
        if bool(recorded.get("by_conversation")) != by_conversation:
            was = "with" if recorded.get("by_conversation") else "without"
            raise UsageError(
                f"the run was started {was} session-level (conversation) scorers, which "
                "decide where its chunks are cut; resume it with the scorers it started with"
            )
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"chunk_size": chunk_size, "by_conversation": by_conversation}))


def whole_conversations(
    chunks: Iterator[list[dict[str, Any]]], chunk_size: int
) -> Iterator[tuple[list[dict[str, Any]], int]]:
    """Re-cut ``chunks`` so that no chunk ends inside a conversation; yield each chunk's
    records and how many conversations it holds.

    A chunk is closed after at least ``chunk_size`` records, at the first record whose
    session id differs from the one before it (or that has none); so a chunk holds more
    than ``chunk_size`` records when its last conversation goes on. Records without a
    session id belong to no conversation and never extend a chunk.

    Raises:
        DataError: A session id appears in a chunk after an earlier chunk that held it was
            closed (the conversation's rows are not contiguous), or a record's session id or
            trace cannot be read. Raised before the chunk is yielded.
    """
    seen: dict[str, int] = {}  # session id -> the row where its conversation started
    current: list[dict[str, Any]] = []
    sessions: dict[str, int] = {}  # the current chunk's session ids -> their first row
    last: str | None = None
    position = 0  # of the next record in the whole data

    def close() -> tuple[list[dict[str, Any]], int]:
        for session, row in sessions.items():
            if session in seen:
                raise DataError(
                    f"row {row}: session_id {session!r} was already met at row "
                    f"{seen[session]}, in an earlier chunk: a chunked run needs each "
                    "conversation's rows together (contiguous). Sort or group the data by "
                    "session_id, or run without chunk_size=/executor="
                )
        seen.update(sessions)
        done = (current.copy(), len(sessions))
        current.clear()
        sessions.clear()
        return done

    for records in chunks:
        for record in records:
            session = record_session_id(position, record)
            if len(current) >= chunk_size and (session is None or session != last):
                yield close()
            current.append(record)
            if session is not None and session not in sessions:
                sessions[session] = position
            last = session
            position += 1
        del records
    if current:
        yield close()


def share_rate_limits(
    rate_limits: dict[str, dict[str, int]] | None, slots: int
) -> dict[str, dict[str, int]] | None:
    """Each chunk's share of ``rate_limits`` when ``slots`` chunks run at once: every
    ``rpm``/``tpm`` divided by ``slots`` (at least 1)."""
    if not rate_limits:
        return None
    return {
        model: {key: max(1, int(value) // slots) for key, value in limit.items() if value}
        for model, limit in rate_limits.items()
    }


def _add_usage(total: dict[str, Any], usage: dict[str, Any]) -> None:
    for key, value in usage.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            total[key] = value
        else:
            total[key] = total.get(key, 0) + value


def _drain_on_data_error(
    cut: Iterator[tuple[list[dict[str, Any]], int]], wait: Callable[[], None]
) -> Iterator[tuple[list[dict[str, Any]], int]]:
    """``cut``'s chunks; when reading the next one fails on the data (a ``DataError``),
    the chunks in flight finish first (and are journaled, so a resume keeps them)."""
    while True:
        try:
            item = next(cut)
        except StopIteration:
            return
        except DataError:
            wait()
            raise
        yield item


def run_chunked(
    chunks: Iterator[list[dict[str, Any]]],
    *,
    scorers: Sequence[Scorer],
    executor: ChunkExecutor,
    folder: Path | None,
    chunk_size: int,
    run_label: str,
    predict_fn: Callable[..., Any] | None,
    max_workers: int,
    cache: str,
    max_concurrent_calls: int | None,
    max_cost: float | None,
    dry_run: bool,
    resume: bool,
    retry_errors: bool,
    tick: Callable[[int], None] | None = None,
    rate_limits: dict[str, dict[str, int]] | None = None,
    deployments: dict[str, list[dict[str, Any]]] | None = None,
) -> tuple[EvaluationResult, int, str]:
    """Run every chunk on ``executor``; return the result (metrics, lazy table, usage), the
    number of rows and a digest of the data."""
    from evalkit.llm.limiter import DEFAULT_MAX_CONCURRENT_CALLS

    temporary = folder is None
    if folder is None:
        folder = Path(tempfile.mkdtemp(prefix="evalkit-evaluation-"))
    by_conversation = any(s.is_session_level_scorer for s in scorers)
    check_chunk_file(folder, chunk_size, resume, by_conversation)
    cut: Iterator[tuple[list[dict[str, Any]], int]] = (
        whole_conversations(chunks, chunk_size)
        if by_conversation
        else ((records, 0) for records in chunks)
    )
    slots = max(1, executor.slots)
    limit = DEFAULT_MAX_CONCURRENT_CALLS if max_concurrent_calls is None else max_concurrent_calls
    per_chunk_calls = max(1, limit // slots)
    per_chunk_rates = share_rate_limits(rate_limits, slots)
    routed = {m: [dict(d) for d in entries] for m, entries in (deployments or {}).items()}

    results: dict[int, ChunkResult] = {}
    in_flight: dict[Any, float] = {}  # future -> its share of the budget
    spent = 0.0
    usage: dict[str, Any] = {}

    def collect(done: list[Any]) -> None:
        nonlocal spent
        for future in done:
            in_flight.pop(future, None)
            result: ChunkResult = future.result()
            results[result.index] = result
            spent += float(result.usage.get("cost") or 0.0)
            _add_usage(usage, result.usage)
            if tick is not None:
                tick(result.n_rows * len(scorers))

    def wait() -> None:
        while in_flight:
            collect(executor.wait_first(list(in_flight)))

    def share() -> float | None:
        if max_cost is None:
            return None
        free = max_cost - spent - sum(in_flight.values())
        return max(0.0, free) / max(1, slots - len(in_flight))

    start = conversation_start = 0
    try:
        for index, (records, n_conversations) in enumerate(_drain_on_data_error(cut, wait)):
            while len(in_flight) >= slots:
                collect(executor.wait_first(list(in_flight)))
            budget = share()
            task = ChunkTask(
                index=index,
                start=start,
                records=records,
                scorers=list(scorers),
                folder=str(folder),
                run_label=run_label,
                predict_fn=predict_fn,
                max_workers=max_workers,
                cache=cache,
                max_concurrent_calls=per_chunk_calls,
                max_cost=budget,
                rate_limits=per_chunk_rates,
                deployments=routed or None,
                dry_run=dry_run,
                retry_errors=retry_errors,
                conversation_start=conversation_start,
            )
            future = executor.submit(run_chunk, task)
            in_flight[future] = budget or 0.0
            start += len(records)
            conversation_start += n_conversations
            del records, task
        wait()
    except BaseException:
        for future in in_flight:
            with contextlib.suppress(Exception):
                future.cancel()
        if temporary:  # not logged: nothing to resume from
            shutil.rmtree(folder, ignore_errors=True)
        raise

    if by_conversation and conversation_start == 0:
        names = ", ".join(repr(s.name) for s in scorers if s.is_session_level_scorer)
        warnings.warn(
            f"evaluate(): no row has a session id, so the session-level scorers ({names}) "
            "scored nothing and have no metrics; add a 'session_id' column (or traces with "
            "session metadata) to group the records into conversations",
            RuntimeWarning,
            stacklevel=3,
        )
    ordered = [results[i] for i in sorted(results)]
    merged = merge_scores([r.scores for r in ordered])
    for r in ordered:
        r.scores = {}
    digest = hashlib.sha256("".join(r.digest for r in ordered).encode()).hexdigest()[:16]
    n_rows = sum(r.n_rows for r in ordered)
    if dry_run:
        if temporary:
            shutil.rmtree(folder, ignore_errors=True)
        return EvaluationResult(metrics={}, tables={}, usage=Usage(usage)), n_rows, digest
    parts = {"eval_results_table": TableParts(folder / TABLE_PARTS_FOLDER)}
    conversations = TableParts(folder / CONVERSATION_PARTS_FOLDER)
    if by_conversation and conversations.paths:
        parts["conversations"] = conversations
    tables = LazyTables(parts)
    if temporary:  # not logged: the parts live as long as the result's tables do
        weakref.finalize(tables, shutil.rmtree, folder, ignore_errors=True)
    result = EvaluationResult(
        metrics=metrics_of_scores(merged, scorers), tables=tables, usage=Usage(usage)
    )
    return result, n_rows, digest
