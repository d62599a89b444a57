"""``evaluate()``: validate -> predict -> score -> aggregate -> result.

One bounded thread pool per call does all the work. Tasks are flat (one per
``predict_fn`` call, one per batch scorer, one per (row, row scorer) pair) and are pulled
by ``max_workers`` worker loops from a shared counter, so there is no pool per row, no
thread count that multiplies with the number of scorers, and results land in input order.
"""

from __future__ import annotations

import contextvars
import dataclasses
import functools
import itertools
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from evalkit._progress import progress_bar
from evalkit._resume import Journaling
from evalkit.data import EvalRow, normalize_data
from evalkit.entities import AssessmentError, EvaluationResult
from evalkit.errors import DataError, EvalkitError, ScorerError
from evalkit.results import Failed, build_table, collect_metrics, metrics_of
from evalkit.scorers.base import BatchScorer, Scorer, _row_callable
from evalkit.tracing import SpanType, collect_trace, start_span
from evalkit.tracking.evaluation import open_evaluation_log

__all__ = ["DEFAULT_MAX_WORKERS", "evaluate"]

_log = logging.getLogger("evalkit")

DEFAULT_MAX_WORKERS = 10
"""Worker threads when ``max_workers`` is not given (``EVALKIT_MAX_WORKERS`` overrides)."""


def _default_workers() -> int:
    raw = os.environ.get("EVALKIT_MAX_WORKERS")
    if raw is None:
        return DEFAULT_MAX_WORKERS
    try:
        return max(1, int(raw))
    except ValueError:
        raise ScorerError(f"EVALKIT_MAX_WORKERS={raw!r} is not a whole number") from None


def _resolve_scorers(scorers: Sequence[Any] | None) -> list[Scorer]:
    if scorers is None:
        raise ScorerError("evaluate() needs scorers=[...]: at least one scorer to run")
    if isinstance(scorers, Scorer):
        scorers = [scorers]
    resolved: list[Scorer] = []
    for position, s in enumerate(scorers):
        if isinstance(s, Scorer):
            resolved.append(s)
        elif isinstance(s, str):  # a built-in metric by MLflow name, e.g. "rougeL"
            from evalkit.scorers.registry import builtin_scorer

            resolved.append(builtin_scorer(s))
        elif callable(getattr(s, "as_scorer", None)):  # evalkit.metrics.rougeL() and the like
            resolved.append(s.as_scorer())
        elif callable(s):
            name = getattr(s, "__name__", repr(s))
            raise ScorerError(
                f"scorers[{position}] ({name}) is a plain function; decorate it with "
                "@evalkit.scorer so evalkit knows its name and which fields it needs"
            )
        else:
            raise ScorerError(
                f"scorers[{position}] is a {type(s).__name__} ({s!r:.60}), not a scorer; "
                "pass @scorer functions or Scorer instances"
            )
    if not resolved:
        raise ScorerError("evaluate() got an empty scorers list; pass at least one scorer")
    seen: dict[str, int] = {}
    for position, s in enumerate(resolved):
        if s.name in seen:
            raise ScorerError(
                f"scorers[{seen[s.name]}] and scorers[{position}] are both named {s.name!r}; "
                "give one a different name (e.g. @scorer(name=...) or Scorer(name=...))"
            )
        seen[s.name] = position
    return resolved


def _check_fields(scorers: Sequence[Scorer], rows: Sequence[EvalRow], predicted: bool) -> None:
    """Reject scorers that need a field no record has, before any work."""
    has_expectations = any(r.expectations is not None for r in rows)
    has_outputs = predicted or any(r.outputs is not None for r in rows)
    for s in scorers:
        if "expectations" in s.required_arguments and not has_expectations:
            raise DataError(
                f"scorer {s.name!r} needs the 'expectations' column, but no row has "
                "expectations; add expectations (ground truth) to the data or drop the scorer"
            )
        if "outputs" in s.required_arguments and not has_outputs:
            raise DataError(
                f"scorer {s.name!r} needs the 'outputs' column, but no row has outputs; add "
                "outputs to the data or pass a predict_fn that produces them"
            )


def _run_tasks(
    n_tasks: int,
    task: Callable[[int], int],
    pool: ThreadPoolExecutor,
    n_workers: int,
    tick: Callable[[int], None] | None,
) -> None:
    """Run ``task(0..n_tasks-1)`` on at most ``n_workers`` threads of ``pool``.

    Tasks never raise; each returns how many units of progress it completed.
    """
    if n_tasks == 0:
        return
    if n_workers <= 1 or n_tasks == 1:
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

    # each worker runs in a copy of this context: it sees the evaluation's judge limiters
    futures = [
        pool.submit(contextvars.copy_context().run, worker) for _ in range(min(n_workers, n_tasks))
    ]
    try:
        for f in futures:
            f.result()
    except BaseException:
        stop.set()  # on Ctrl-C the workers finish their current task and return
        raise


def _failure(exc: BaseException) -> Failed:
    error = AssessmentError.from_exception(exc)
    code = getattr(exc, "code", None)  # a ModelCallError's cause, as the judges report it
    if isinstance(code, str) and isinstance(exc, EvalkitError):
        error = dataclasses.replace(error, error_code=code)
    return Failed(error)


def _empty_outputs(**inputs: Any) -> str:
    """What a dry run uses instead of calling the app."""
    return ""


def _cached_predict(predict_fn: Callable[..., Any], mode: str) -> Callable[..., Any]:
    """``predict_fn`` answered from the cache where it has the inputs' outputs."""
    if mode == "off":
        return predict_fn
    from evalkit.judges.cache import open_cache, prediction_key

    store = open_cache()

    @functools.wraps(predict_fn)
    def cached(**inputs: Any) -> Any:
        key, name = prediction_key(predict_fn, inputs)
        found, outputs = store.get_prediction(key)
        if found:
            return outputs
        outputs = predict_fn(**inputs)
        if mode == "on":
            store.put_prediction(key, name, outputs)
        return outputs

    return cached


def evaluate(
    data: Any,
    scorers: Sequence[Any] | None = None,
    predict_fn: Callable[..., Any] | None = None,
    *,
    max_workers: int | None = None,
    max_concurrent_calls: int | None = None,
    rate_limits: dict[str, dict[str, int]] | None = None,
    deployments: dict[str, list[dict[str, Any]]] | None = None,
    judge_mode: str = "sync",
    progress: bool | None = None,
    log: bool = True,
    cache: str | None = None,
    cache_predictions: bool = False,
    max_cost: float | None = None,
    resume: str | None = None,
    retry_errors: bool = False,
    dry_run: bool = False,
    model: Any = None,
    targets: str | None = None,
    predictions: str | None = None,
    model_type: str | None = None,
    extra_metrics: Sequence[Any] | None = None,
    evaluator_config: dict[str, Any] | None = None,
) -> EvaluationResult:
    """Score every record with every scorer and aggregate the results.

    Args:
        data: The records: a list of dicts, a pandas DataFrame, a dict of columns, a
            ``.jsonl``/``.json``/``.csv``/``.parquet`` path or an ``EvaluationDataset``.
            See :mod:`evalkit.data` for the columns.
        scorers: The scorers to run: ``@scorer`` functions, ``Scorer`` instances, judges.
        predict_fn: Called as ``predict_fn(**inputs)`` once per record to produce its
            outputs, when the data has none. Its latency and any exception are kept per row.
        max_workers: The size of the one thread pool that runs predictions and scorers
            (default 10, or ``EVALKIT_MAX_WORKERS``).
        max_concurrent_calls: The most LLM calls in flight at once per judge model, shared
            by every judge of this evaluation that uses that model (default 10). A 429 from
            the provider pauses all calls to that model together and halves the calls let
            in flight (they grow back by one per round of successes).
        rate_limits: Per-minute budgets of judge models, by model URI, as the provider
            states them: ``{"openai:/gpt-4o": {"rpm": 500, "tpm": 200000}}`` (either key
            may be left out). Calls are paced evenly to stay within them; a request counts
            its prompt's estimated tokens plus ``max_tokens`` against ``tpm``.
        deployments: Several deployments (servers, keys) of one judge model, by model URI:
            ``{"openai:/gpt-4o": [{"api_key": KEY_A}, {"api_base": URL_B, "api_key": KEY_B}]}``
            (litellm parameters each). Calls are spread over them through litellm's Router;
            one that answers 429 is left out for a while.
        judge_mode: ``"sync"`` (default) sends each judge call when its row is scored;
            ``"batch"`` sends them all through the OpenAI Batch API (half price, its own
            quota; OpenAI-compatible endpoints only), waits for the batch, fills the call
            cache and then scores every row from it. Needs ``cache="on"`` and outputs in the
            data. A batch interrupted by a crash is polled, not resubmitted, by the next run.
            See :mod:`evalkit.llm.batch`.
        progress: Show a progress bar: ``None`` (default) shows one on a terminal for runs
            that take more than a second; ``True``/``False`` force it on/off.
        log: Log params, metrics, the per-row table and the dataset to the active run (or
            a new one) in the tracking store; see :mod:`evalkit.tracking.evaluation`.
        cache: The model-call cache mode, ``"on"`` (default, or ``EVALKIT_CACHE``),
            ``"read-only"`` or ``"off"``; see :mod:`evalkit.judges.cache`.
        cache_predictions: Also cache ``predict_fn`` results, keyed by the function's
            module and qualified name and the inputs (JSON-serialisable outputs only).
        max_cost: Stop starting model calls once this many USD have been paid; the rows
            left get the error code ``BUDGET_EXCEEDED`` and ``result.usage["budget_refused"]``
            counts them.
        resume: The id of a run that did not finish (killed, interrupted) or had errors: only
            the (row, scorer) pairs its journal lacks are run, and the result equals an
            uninterrupted run's. The data must be the same (each row is checked).
        retry_errors: With ``resume``, also run again the pairs (and predictions) that
            ended in an error.
        dry_run: Send no model call and log nothing: count each judge call's prompt tokens
            and price instead (``predict_fn`` is not called; outputs are empty). The result
            has no metrics; ``result.usage`` is the estimate (see :func:`evalkit.estimate`).

        model, targets, predictions, model_type, extra_metrics, evaluator_config: MLflow's
            legacy form (``mlflow.evaluate``); any of them switches to it. See
            :mod:`evalkit.legacy`.

    Returns:
        An :class:`EvaluationResult`: ``metrics`` keyed ``"<scorer>/<aggregation>"``,
        ``tables["eval_results_table"]`` with one row per record, ``run_id`` and ``usage``
        (model calls, calls served from the cache, tokens and cost).

    Raises:
        DataError: The data cannot be used (the message names the row and column).
        ScorerError: A scorer is misconfigured (e.g. two scorers with one name).

    Example:
        >>> @evalkit.scorer
        ... def exact_match(outputs, expectations) -> bool:
        ...     return outputs == expectations["expected_response"]
        >>> evalkit.evaluate(data=records, scorers=[exact_match]).metrics["exact_match/mean"]
    """
    legacy = (model, targets, predictions, model_type, extra_metrics, evaluator_config)
    if any(a is not None for a in legacy):
        if predict_fn is not None:
            raise ScorerError(
                "the legacy form (targets=/predictions=/model_type=...) takes model=, a function "
                "of the input DataFrame, not predict_fn="
            )
        from evalkit.legacy import evaluate_legacy

        return evaluate_legacy(
            data,
            model=model,
            targets=targets,
            predictions=predictions,
            model_type=model_type,
            extra_metrics=extra_metrics,
            evaluator_config=evaluator_config,
            scorers=scorers,
            max_workers=max_workers,
            max_concurrent_calls=max_concurrent_calls,
            progress=progress,
            log=log,
        )
    resolved = _resolve_scorers(scorers)
    if predict_fn is not None and not callable(predict_fn):
        raise ScorerError(f"predict_fn must be callable, got {type(predict_fn).__name__}")
    rows = normalize_data(data, has_predict_fn=predict_fn is not None)
    _check_fields(resolved, rows, predict_fn is not None)
    workers = _default_workers() if max_workers is None else max_workers
    if workers < 1:
        raise ScorerError(f"max_workers must be at least 1, got {max_workers}")
    if max_concurrent_calls is not None and max_concurrent_calls < 1:
        raise ScorerError(f"max_concurrent_calls must be at least 1, got {max_concurrent_calls}")
    from evalkit.judges.cache import cache_scope, evaluation_mode
    from evalkit.judges.limiter import limiter_scope
    from evalkit.llm.scope import check_provider_limits

    check_provider_limits(rate_limits, deployments)  # an rpm of 0 fails here, before work
    if judge_mode not in ("sync", "batch"):
        raise ScorerError(f"judge_mode must be 'sync' or 'batch', got {judge_mode!r}")
    if judge_mode == "batch":
        if predict_fn is not None or evaluation_mode(cache) != "on" or dry_run:
            raise ScorerError(
                "judge_mode='batch' scores outputs already in the data, with cache='on' (the "
                "batch's answers fill the call cache) and without dry_run"
            )
        if max_cost is not None:
            raise ScorerError(
                "judge_mode='batch' sends every call at once, so max_cost cannot stop it part "
                "way: check the cost first with evalkit.estimate(...) (the batch costs half "
                "of it) and drop max_cost"
            )
        from evalkit.llm.batch import batch_collect, run_batches
        from evalkit.llm.cache import open_cache

        with batch_collect() as collector:  # the first pass records the judge calls
            # calls that take no batch (other providers, Azure) are sent in it, within limits
            evaluate(
                data,
                resolved,
                max_workers=max_workers,
                max_concurrent_calls=max_concurrent_calls,
                rate_limits=rate_limits,
                deployments=deployments,
                cache="on",
                log=False,
            )
        run_batches(collector, open_cache())
    from evalkit.judges.usage import usage_scope

    mode = evaluation_mode(cache)

    tracking = None
    journaling = None
    if dry_run:
        log, resume = False, None
        predict_fn = _empty_outputs if predict_fn is not None else None
    if log or resume is not None:  # a bad tracking URI fails before work
        tracking = open_evaluation_log()
        run_id = tracking.begin(resolved, resume)
        _log.info(
            "evaluate(): run %s; after a crash go on with evaluate(..., resume=%r)", run_id, run_id
        )
        journaling = Journaling(tracking, rows, run_id, resume is not None, retry_errors)

    batch = [s for s in resolved if isinstance(s, BatchScorer)]
    per_row = [s for s in resolved if not isinstance(s, BatchScorer)]
    n = len(rows)
    total = (n if predict_fn else 0) + len(batch) * n + len(per_row) * n
    with (
        limiter_scope(max_concurrent_calls, rate_limits, deployments),
        cache_scope(mode),
        usage_scope(max_cost, dry_run=dry_run) as meter,
        progress_bar(total, enabled=progress) as tick,
        ThreadPoolExecutor(max_workers=workers, thread_name_prefix="evalkit") as pool,
    ):
        try:
            if predict_fn is not None:
                cached_fn = _cached_predict(predict_fn, mode) if cache_predictions else predict_fn
                trace_scorers = [s.name for s in resolved if "trace" in s.arguments]
                _predict(rows, cached_fn, pool, workers, tick, journaling, trace_scorers)
            outcomes = _score(rows, batch, per_row, pool, workers, tick, journaling)
        except BaseException as exc:
            if tracking is not None:
                tracking.interrupted(exc)
                _log.warning(
                    "evaluate(): interrupted; the finished rows are kept in run %s: "
                    "go on with evaluate(..., resume=%r)",
                    run_id,
                    run_id,
                )
            raise
        finally:
            if journaling is not None:
                journaling.close()

    if dry_run:
        return EvaluationResult(metrics={}, tables={}, usage=meter.as_dict())
    ordered = [outcomes[id(s)] for s in resolved]
    columns = collect_metrics(resolved, ordered, n)
    result = EvaluationResult(
        metrics=metrics_of(columns),
        tables={"eval_results_table": build_table(rows, columns, predicted=predict_fn is not None)},
        usage=meter.as_dict(),
    )
    if tracking is not None:
        result = tracking.log(result, resolved, data=data, predict_fn=predict_fn)
    return result


def _predict(
    rows: list[EvalRow],
    predict_fn: Callable[..., Any],
    pool: ThreadPoolExecutor,
    workers: int,
    tick: Callable[[int], None] | None,
    journaling: Journaling | None = None,
    trace_scorers: list[str] | None = None,
) -> None:
    name = getattr(predict_fn, "__name__", "predict_fn")

    def task(i: int) -> int:
        row = rows[i]
        if journaling is not None and journaling.restore_prediction(row, trace_scorers or ()):
            return 1
        start = time.perf_counter()
        # One trace per row: the call is its root span; spans the app records nest in it.
        with collect_trace() as trace:
            try:
                with start_span(name, SpanType.CHAIN, inputs=row.inputs) as root:
                    row.outputs = root.outputs = predict_fn(**row.inputs)
            except Exception as exc:
                row.prediction_error = AssessmentError.from_exception(exc)
        row.latency = time.perf_counter() - start
        row.trace = trace
        if journaling is not None:
            journaling.record_prediction(row)
        return 1

    _run_tasks(len(rows), task, pool, workers, tick)


def _skipped(row: EvalRow) -> Failed:
    err = row.prediction_error
    return Failed(
        AssessmentError(
            error_code="PREDICTION_FAILED",
            error_message=f"not scored: predict_fn raised {err.error_code}: {err.error_message}",
        )
    )


def _score(
    rows: list[EvalRow],
    batch: list[BatchScorer],
    per_row: list[Scorer],
    pool: ThreadPoolExecutor,
    workers: int,
    tick: Callable[[int], None] | None,
    journaling: Journaling | None = None,
) -> dict[int, list[Any]]:
    """Run every scorer on every scorable row; return raw outcomes per scorer, in row order."""
    n = len(rows)
    # Rows whose prediction failed are not scored; every scorer says why in that row.
    scorable = [r for r in rows if r.prediction_error is None]
    skipped = {r.index: _skipped(r) for r in rows if r.prediction_error is not None}
    outcomes: dict[int, list[Any]] = {}
    for s in (*batch, *per_row):
        column: list[Any] = [None] * n
        for i, failed in skipped.items():
            column[i] = failed
        outcomes[id(s)] = column
    if skipped and tick is not None:
        tick(len(skipped) * (len(batch) + len(per_row)))

    def batch_task(s: BatchScorer) -> int:
        column = outcomes[id(s)]
        if journaling is not None and journaling.resuming:
            found = [journaling.restored(r.index, s.name) for r in scorable]
            if all(ok for ok, _ in found):
                for r, (_, v) in zip(scorable, found, strict=True):
                    column[r.index] = v
                return len(scorable)
        try:
            columns = {a: [getattr(r, a) for r in scorable] for a in s.arguments}
            values = list(s.score_batch(**columns))
            if len(values) != len(scorable):
                raise ScorerError(
                    f"batch scorer {s.name!r} returned {len(values)} values for "
                    f"{len(scorable)} rows; return exactly one value per row"
                )
        except Exception as exc:
            values = [_failure(exc)] * len(scorable)  # type: ignore[list-item]
        for r, v in zip(scorable, values, strict=True):
            column[r.index] = v
            if journaling is not None:
                journaling.record(r.index, s.name, v)
        return len(scorable)

    n_batch = len(batch)
    n_row_scorers = len(per_row)
    calls = [_row_callable(s) for s in per_row]
    argument_names = [s.arguments for s in per_row]
    row_columns = [outcomes[id(s)] for s in per_row]
    names = [s.name for s in per_row]
    pairs = len(scorable) * n_row_scorers
    pending: list[int] | None = None  # pair numbers still to run, when resuming
    if journaling is not None and journaling.resuming:
        pending = []
        for p in range(pairs):
            i, j = divmod(p, n_row_scorers)
            found, value = journaling.restored(scorable[i].index, names[j])
            if found:
                row_columns[j][scorable[i].index] = value
            else:
                pending.append(p)
        if tick is not None:
            tick(pairs - len(pending))
    record = journaling.record if journaling is not None else None

    def task(t: int) -> int:
        if t < n_batch:
            return batch_task(batch[t])
        p = t - n_batch if pending is None else pending[t - n_batch]
        i, j = divmod(p, n_row_scorers)
        row = scorable[i]
        value: Any
        try:
            value = calls[j](**{a: getattr(row, a) for a in argument_names[j]})
        except Exception as exc:
            value = _failure(exc)
        row_columns[j][row.index] = value
        if record is not None:
            record(row.index, names[j], value)
        return 1

    n_pairs = pairs if pending is None else len(pending)
    _run_tasks(n_batch + n_pairs, task, pool, workers, tick)
    return outcomes
