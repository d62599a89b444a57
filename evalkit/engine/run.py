"""Running a plan: predict -> score -> outcomes, on one bounded thread pool, in input order.

Tasks are flat (one per ``predict_fn`` call, one per batch scorer, one per (row, row scorer)
pair) and are pulled by ``max_workers`` worker loops from a shared counter, so there is no
pool per row, no thread count that multiplies with the number of scorers, and outcomes land
in input order. The engine knows nothing of journals, tracking or model calls: what a resumed
run already has comes in as :class:`Known`, and every finished step goes out to an
:class:`Observer`.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import itertools
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from evalkit.data import EvalRow
from evalkit.engine.conversations import Conversation, group_conversations
from evalkit.engine.outcomes import (
    Outcome,
    PlainColumn,
    Shared,
    error_outcome,
    failure,
    to_feedbacks,
    value_feedback,
)
from evalkit.entities import AssessmentError
from evalkit.errors import ErrorCode, ScorerError, UsageError
from evalkit.scorers.base import BatchScorer, Scorer, _row_callable
from evalkit.tracing import SpanType, collect_trace, start_span

__all__ = [
    "DEFAULT_MAX_WORKERS",
    "Known",
    "Observer",
    "Plan",
    "Prediction",
    "default_workers",
    "resolve_awaitable",
    "run_plan",
    "run_tasks",
]

_PLAIN = frozenset({bool, int, float, str})

DEFAULT_MAX_WORKERS = 10
"""Worker threads when ``max_workers`` is not given (``EVALKIT_MAX_WORKERS`` overrides)."""


def default_workers() -> int:
    """``EVALKIT_MAX_WORKERS``, else :data:`DEFAULT_MAX_WORKERS`."""
    raw = os.environ.get("EVALKIT_MAX_WORKERS")
    if raw is None:
        return DEFAULT_MAX_WORKERS
    try:
        return max(1, int(raw))
    except ValueError:
        raise UsageError(f"EVALKIT_MAX_WORKERS={raw!r} is not a whole number") from None


@dataclass(frozen=True, slots=True)
class Prediction:
    """A ``predict_fn`` result known from before (a resumed run)."""

    outputs: Any
    """What ``predict_fn`` returned."""
    latency: float | None
    """Seconds the call took."""
    error: AssessmentError | None = None
    """Why the call failed, when it did."""


@dataclass
class Known:
    """What a resumed run already has: it is put back instead of being run again."""

    predictions: dict[int, Prediction] = field(default_factory=dict)
    """Predictions by row index."""
    outcomes: dict[tuple[int, str], Outcome] = field(default_factory=dict)
    """Outcomes by (row index, scorer name)."""


class Observer(Protocol):
    """Told of every prediction and outcome as it finishes (e.g. to journal it)."""

    def prediction(self, row: EvalRow) -> None:
        """``row`` got its outputs (or its ``prediction_error``) from ``predict_fn``."""

    def outcome(self, row: int, scorer: str, outcome: Outcome) -> None:
        """``scorer`` finished on row ``row``."""

    # Optional: ``values(scorer, rows, values)``, told instead of ``outcome`` per row when a
    # batch scorer returned plain values only (bool, int, str, a float that is not NaN):
    # row ``rows[i]``'s outcome is one Feedback named ``scorer`` with value ``values[i]``.


@dataclass
class Plan:
    """One evaluation's work: score ``rows`` with ``scorers``, predicting first if asked."""

    rows: list[EvalRow]
    """The validated records, in input order."""
    scorers: list[Scorer]
    """The scorers, resolved and uniquely named."""
    predict_fn: Callable[..., Any] | None = None
    """Produces each row's outputs from its inputs, when the data has none."""
    max_workers: int = DEFAULT_MAX_WORKERS
    """The size of the one thread pool."""

    @property
    def conversations(self) -> list[Conversation]:
        """The rows grouped by session id (what session-level scorers score)."""
        return group_conversations(self.rows)

    @property
    def total(self) -> int:
        """Units of progress: one per prediction, per (row, scorer) pair and per
        (conversation, session-level scorer) pair."""
        n = len(self.rows)
        n_session = sum(s.is_session_level_scorer for s in self.scorers)
        n_row = len(self.scorers) - n_session
        n_conversations = len(self.conversations) if n_session else 0
        return (n if self.predict_fn is not None else 0) + n * n_row + n_conversations * n_session


def resolve_awaitable(value: Any) -> Any:
    """``value``, awaited to its result when it is a coroutine (an ``async def`` app or
    scorer); works in a thread that already runs an event loop (a notebook) too."""
    if not inspect.isawaitable(value):
        return value

    async def wait() -> Any:
        return await value

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(wait())
    # This thread runs a loop that is blocked on us: wait for the result on another thread.
    box: list[Any] = []

    def run() -> None:
        try:
            box.append((True, asyncio.run(wait())))
        except BaseException as exc:  # handed back to the caller below
            box.append((False, exc))

    thread = threading.Thread(target=contextvars.copy_context().run, args=(run,))
    thread.start()
    thread.join()
    ok, result = box[0]
    if not ok:
        raise result
    return result


def run_tasks(
    n_tasks: int,
    task: Callable[[int], int],
    pool: ThreadPoolExecutor | None,
    n_workers: int,
    tick: Callable[[int], None] | None = None,
    here: Sequence[Callable[[], int]] = (),
) -> None:
    """Run ``task(0..n_tasks-1)`` on at most ``n_workers`` threads of ``pool``, and the
    ``here`` tasks one after another in this thread meanwhile.

    Tasks never raise; each returns how many units of progress it completed. Without a
    pool (or with one worker) every task runs in this thread.
    """
    if n_tasks == 0 or pool is None or n_workers <= 1 or (n_tasks == 1 and not here):
        for fn in here:
            done = fn()
            if tick is not None:
                tick(done)
        for i in range(n_tasks):
            done = task(i)
            if tick is not None:
                tick(done)
        return
    counter = itertools.count()  # next() on a C counter is atomic under the GIL
    stop = threading.Event()

    def worker() -> None:
        pending = 0
        last = time.monotonic()
        while not stop.is_set():
            i = next(counter)
            if i >= n_tasks:
                break
            pending += task(i)
            if tick is not None:
                now = time.monotonic()
                if now - last > 0.1:
                    tick(pending)
                    pending, last = 0, now
        if tick is not None and pending:
            tick(pending)

    # each worker runs in a copy of this context: it sees the evaluation's model-call scope
    futures = [
        pool.submit(contextvars.copy_context().run, worker) for _ in range(min(n_workers, n_tasks))
    ]
    try:
        for fn in here:
            done = fn()
            if tick is not None:
                tick(done)
        for f in futures:
            f.result()
    except BaseException:
        stop.set()  # on Ctrl-C the workers finish their current task and return
        raise


def run_plan(
    plan: Plan,
    *,
    known: Known | None = None,
    observer: Observer | None = None,
    tick: Callable[[int], None] | None = None,
) -> list[Sequence[Outcome]]:
    """Run ``plan``: predict where asked, then every scorer on every row.

    Args:
        plan: The rows, scorers, ``predict_fn`` and pool size.
        known: Predictions and outcomes already known (a resumed run); not run again.
        observer: Told of every new prediction and outcome.
        tick: Called with units of progress done.

    Returns:
        ``outcomes[k][i]``: the outcome of ``plan.scorers[k]`` on row ``i``; for a
        session-level scorer, on conversation ``i`` of ``plan.conversations``. A batch
        scorer that gave every row a plain value has a :class:`PlainColumn`. Rows are
        updated in place with their outputs, latency, trace and prediction error.
    """
    known = known or Known()
    workers = max(1, plan.max_workers)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="evalkit") as pool:
        if plan.predict_fn is not None:
            _predict(plan, known, observer, pool, workers, tick)
        return _score(plan, known, observer, pool, workers, tick)


def _predict(
    plan: Plan,
    known: Known,
    observer: Observer | None,
    pool: ThreadPoolExecutor,
    workers: int,
    tick: Callable[[int], None] | None,
) -> None:
    rows, predict_fn = plan.rows, plan.predict_fn
    assert predict_fn is not None
    name = getattr(predict_fn, "__name__", "predict_fn")

    def task(i: int) -> int:
        row = rows[i]
        before = known.predictions.get(row.index)
        if before is not None:
            row.outputs, row.latency, row.prediction_error = (
                before.outputs,
                before.latency,
                before.error,
            )
            return 1
        start = time.perf_counter()
        # One trace per row: the call is its root span; spans the app records nest in it.
        with collect_trace() as trace:
            try:
                with start_span(name, SpanType.CHAIN, inputs=row.inputs) as root:
                    row.outputs = root.outputs = resolve_awaitable(predict_fn(**row.inputs))
            except Exception as exc:
                row.prediction_error = AssessmentError.from_exception(exc)
        row.latency = time.perf_counter() - start
        row.trace = trace
        if observer is not None:
            observer.prediction(row)
        return 1

    run_tasks(len(rows), task, pool, workers, tick)


def _not_scored(row: EvalRow, scorer: Scorer, predicted: bool) -> Outcome | None:
    """Why ``scorer`` must not run on ``row``, as its outcome; ``None`` when it may."""
    err = row.prediction_error
    if err is not None:
        return error_outcome(
            scorer.name,
            ErrorCode.PREDICTION_FAILED,
            f"not scored: predict_fn raised {err.error_code}: {err.error_message}",
        )
    if not predicted and row.outputs is None and "outputs" in scorer.required_arguments:
        return error_outcome(
            scorer.name,
            ErrorCode.MISSING_OUTPUTS,
            f"not scored: row {row.index} has no outputs (missing or NaN) and scorer "
            f"{scorer.name!r} reads them; fill in the outputs or pass a predict_fn",
        )
    return None


def _score(
    plan: Plan,
    known: Known,
    observer: Observer | None,
    pool: ThreadPoolExecutor,
    workers: int,
    tick: Callable[[int], None] | None,
) -> list[Sequence[Outcome]]:
    """Run every scorer on every row it may score; outcomes per scorer, in row order."""
    rows, scorers = plan.rows, plan.scorers
    n = len(rows)
    predicted = plan.predict_fn is not None
    session_level = [k for k, s in enumerate(scorers) if s.is_session_level_scorer]
    conversations = plan.conversations if session_level else []
    outcomes: list[list[Outcome]] = [
        [[]] * (len(conversations) if s.is_session_level_scorer else n) for s in scorers
    ]
    # Pairs that are not run say why in their row (a failed prediction, no outputs).
    scorable: list[list[EvalRow]] = []
    n_skipped = 0
    everything = all(
        r.prediction_error is None and (predicted or r.outputs is not None) for r in rows
    )
    for k, s in enumerate(scorers):
        if s.is_session_level_scorer:
            scorable.append([])
            continue
        if everything:  # the common case: nothing to skip
            scorable.append(rows)
            continue
        column, rows_k = outcomes[k], []
        for r in rows:
            reason = _not_scored(r, s, predicted)
            if reason is None:
                rows_k.append(r)
            else:
                column[r.index] = reason
                n_skipped += 1
        scorable.append(rows_k)
    if n_skipped and tick is not None:
        tick(n_skipped)

    # Batch scorers that only compute run in this thread, one after another, while the pool
    # runs the rest (threads cannot compute side by side; switching between them costs CPU).
    batch_scorers = [(k, s) for k, s in enumerate(scorers) if isinstance(s, BatchScorer)]
    computing = [k for k, s in batch_scorers if s.computes_only]
    batch = [k for k, s in batch_scorers if not s.computes_only]
    per_row = [
        k
        for k, s in enumerate(scorers)
        if not isinstance(s, BatchScorer) and not s.is_session_level_scorer
    ]
    resuming = bool(known.outcomes)
    notify = observer.outcome if observer is not None else None
    notify_values: Callable[[str, list[int], list[Any]], None] | None = getattr(
        observer, "values", None
    )

    in_order = all(r.index == i for i, r in enumerate(rows))
    plain_columns: dict[int, PlainColumn] = {}

    def batch_task(k: int) -> int:
        s = scorers[k]
        assert isinstance(s, BatchScorer)
        column, rows_k = outcomes[k], scorable[k]
        if resuming:
            found = [known.outcomes.get((r.index, s.name)) for r in rows_k]
            if all(o is not None for o in found):
                for r, o in zip(rows_k, found, strict=True):
                    column[r.index] = o  # type: ignore[assignment]
                return len(rows_k)
        name = s.name
        try:
            columns = {a: [getattr(r, a) for r in rows_k] for a in s.arguments}
            values = list(s.score_batch(**columns))
            if len(values) != len(rows_k):
                raise ScorerError(
                    f"batch scorer {name!r} returned {len(values)} values for "
                    f"{len(rows_k)} rows; return exactly one value per row"
                )
            plain = all(type(v) in _PLAIN and v == v for v in values)
            results: Sequence[Outcome]
            if plain and rows_k is rows and in_order:
                # every row, a plain value each (the usual column of a heuristic): kept as
                # the values; its outcomes are made only where read
                results = plain_columns[k] = PlainColumn(name, values)
            else:
                shared = Shared()
                # a float (most heuristics) is one Feedback: to_feedbacks' answer, inline
                results = [
                    [value_feedback(name, v)]
                    if type(v) is float and v == v
                    else to_feedbacks(name, v, shared)
                    for v in values
                ]
                for r, outcome in zip(rows_k, results, strict=True):
                    column[r.index] = outcome
        except Exception as exc:
            results = [failure(name, exc)] * len(rows_k)
            for r, outcome in zip(rows_k, results, strict=True):
                column[r.index] = outcome
            plain = False
        if plain and notify_values is not None:  # plain values: told in one call
            notify_values(name, [r.index for r in rows_k], values)
        elif notify is not None:
            for r, outcome in zip(rows_k, results, strict=True):
                notify(r.index, name, outcome)
        return len(rows_k)

    # The (row, row scorer) pairs still to run, in row-major order: all of them unless
    # resuming or some rows are skipped, else listed.
    n_row_scorers = len(per_row)
    pairs: list[tuple[int, EvalRow]] | None = None
    if per_row and (resuming or not everything):
        pairs = []
        ok = [{r.index for r in scorable[k]} for k in per_row]
        for r in rows:
            for j, k in enumerate(per_row):
                if r.index not in ok[j]:
                    continue
                if resuming:
                    before = known.outcomes.get((r.index, scorers[k].name))
                    if before is not None:
                        outcomes[k][r.index] = before
                        continue
                pairs.append((k, r))
        if resuming and tick is not None:
            tick(sum(len(scorable[k]) for k in per_row) - len(pairs))
    n_pairs = n * n_row_scorers if pairs is None else len(pairs)
    calls = [_row_callable(s) for s in scorers]
    argument_names = [s.arguments for s in scorers]
    names = [s.name for s in scorers]
    shares = [Shared() for _ in scorers]  # per scorer: a dict only its pairs write
    n_batch = len(batch)

    # (session-level scorer, conversation) pairs: journaled under the conversation's first row
    session_pairs: list[tuple[int, int]] = []
    for c, conversation in enumerate(conversations):
        for k in session_level:
            before = known.outcomes.get((conversation.first, scorers[k].name))
            if before is not None:
                outcomes[k][c] = before
            else:
                session_pairs.append((k, c))
    if resuming and tick is not None:
        tick(len(conversations) * len(session_level) - len(session_pairs))
    arguments_of = [c.arguments() for c in conversations] if session_pairs else []

    def session_task(t: int) -> int:
        k, c = session_pairs[t]
        name, conversation = names[k], conversations[c]
        outcome = _turn_failed(name, conversation)
        if outcome is None:
            given = arguments_of[c]
            try:
                raw = calls[k](**{a: given[a] for a in argument_names[k]})
                if type(raw) not in _PLAIN and inspect.isawaitable(raw):
                    raw = resolve_awaitable(raw)
                outcome = to_feedbacks(name, raw)
            except Exception as exc:
                outcome = failure(name, exc)
        outcomes[k][c] = outcome
        if notify is not None:
            notify(conversation.first, name, outcome)
        return 1

    n_row_tasks = n_batch + n_pairs

    def task(t: int) -> int:
        if t >= n_row_tasks:
            return session_task(t - n_row_tasks)
        if t < n_batch:
            return batch_task(batch[t])
        if pairs is None:
            i, j = divmod(t - n_batch, n_row_scorers)
            k, row = per_row[j], rows[i]
        else:
            k, row = pairs[t - n_batch]
        name = names[k]
        try:
            raw = calls[k](**{a: getattr(row, a) for a in argument_names[k]})
            if type(raw) not in _PLAIN and inspect.isawaitable(raw):  # an async def scorer
                raw = resolve_awaitable(raw)
            outcome = to_feedbacks(name, raw, shares[k])
        except Exception as exc:
            outcome = failure(name, exc)
        outcomes[k][row.index] = outcome
        if notify is not None:
            notify(row.index, name, outcome)
        return 1

    here = [functools.partial(batch_task, k) for k in computing]
    run_tasks(n_row_tasks + len(session_pairs), task, pool, workers, tick, here)
    return [plain_columns.get(k, column) for k, column in enumerate(outcomes)]


def _turn_failed(name: str, conversation: Conversation) -> Outcome | None:
    """The outcome of a session-level scorer on a conversation with a failed turn."""
    for turn, r in enumerate(conversation.rows, 1):
        if r.prediction_error is not None:
            err = r.prediction_error
            return error_outcome(
                name,
                ErrorCode.PREDICTION_FAILED,
                f"not scored: turn {turn} (row {r.index}) of conversation "
                f"{conversation.session_id!r} failed: predict_fn raised {err.error_code}: "
                f"{err.error_message}",
            )
    return None
