"""The public :func:`evaluate`: check the arguments, plan, open the model-call scope, run.

Everything around the engine lives here: the MLflow legacy form is handed to
:mod:`evalkit.legacy`; scorers are resolved and the data validated before any work; the
model-call policy (cache mode, per-model limits, cost budget, dry run) is opened once
around the run; and the journal (resume) and the tracking run observe it. The engine
(:mod:`evalkit.engine`) only runs the plan.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from evalkit.data import EvalRow, normalize_data
from evalkit.engine import (
    Plan,
    build_table,
    collect_metrics,
    default_workers,
    metrics_of,
    resolve_awaitable,
    run_plan,
)
from evalkit.engine.progress import progress_bar
from evalkit.entities import EvaluationResult, Usage
from evalkit.errors import DataError, ScorerError, UsageError
from evalkit.scorers.base import Scorer

__all__ = ["estimate", "evaluate"]

_log = logging.getLogger("evalkit")

_CACHE_MODES = ("on", "read-only", "off")
_LEGACY_ARGUMENTS = (
    "model",
    "targets",
    "predictions",
    "model_type",
    "extra_metrics",
    "evaluator_config",
)


def _resolve_scorers(scorers: Sequence[Any] | None) -> list[Scorer]:
    if scorers is None:
        raise UsageError("evaluate() needs scorers=[...]: at least one scorer to run")
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
        raise UsageError("evaluate() got an empty scorers list; pass at least one scorer")
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


def _check_limits(
    max_workers: int | None, max_concurrent_calls: int | None, cache: str | None
) -> int:
    """The pool size; bad limits and cache modes raise :class:`UsageError`."""
    workers = default_workers() if max_workers is None else max_workers
    for name, value in (("max_workers", workers), ("max_concurrent_calls", max_concurrent_calls)):
        if value is not None and (not isinstance(value, int) or value < 1):
            shown = max_workers if name == "max_workers" else value
            raise UsageError(f"{name} must be at least 1 (a whole number), got {shown!r}")
    if cache is not None and str(cache).strip().lower() not in _CACHE_MODES:
        raise UsageError(
            f"cache={cache!r} is not a cache mode; use one of {', '.join(_CACHE_MODES)}"
        )
    return workers


def _empty_outputs(**inputs: Any) -> str:
    """What a dry run uses instead of calling the app."""
    return ""


def _cached_predict(predict_fn: Callable[..., Any], mode: str) -> Callable[..., Any]:
    """``predict_fn`` answered from the cache where it has the inputs' outputs."""
    if mode == "off":
        return predict_fn
    from evalkit.llm.cache import open_cache, prediction_key

    store = open_cache()

    @functools.wraps(predict_fn)
    def cached(**inputs: Any) -> Any:
        key, name = prediction_key(predict_fn, inputs)
        found, outputs = store.get_prediction(key)
        if found:
            return outputs
        outputs = resolve_awaitable(predict_fn(**inputs))
        if mode == "on":
            store.put_prediction(key, name, outputs)
        return outputs

    return cached


def _judge_models(scorers: Sequence[Scorer]) -> list[tuple[str, Any]]:
    """``(model URI, parameters)`` of every scorer that calls a model (judges' ``settings``)."""
    from evalkit.llm.config import get_default_model

    models: list[tuple[str, Any]] = []
    for s in scorers:
        settings = getattr(s, "settings", None)
        if settings is not None and hasattr(settings, "model"):
            models.append((settings.model or get_default_model(), settings.parameters))
    return models


@contextlib.contextmanager
def _model_call_scope(
    mode: str,
    max_concurrent_calls: int | None,
    max_cost: float | None,
    dry_run: bool,
    scorers: Sequence[Scorer] = (),
) -> Iterator[Any]:
    """The model-call policy of one evaluation (one :func:`evalkit.llm.call_scope`); yields
    the usage meter. With ``max_cost``, a judge model without a known price is refused here,
    before any work."""
    from evalkit.llm import call_scope

    with call_scope(
        cache=mode,
        max_concurrent_calls=max_concurrent_calls,
        max_cost=max_cost,
        dry_run=dry_run,
        models=_judge_models(scorers),
    ) as scope:
        yield scope.meter


def evaluate(
    data: Any,
    scorers: Sequence[Any] | None = None,
    predict_fn: Callable[..., Any] | None = None,
    *,
    max_workers: int | None = None,
    max_concurrent_calls: int | None = None,
    progress: bool | None = None,
    log: bool = True,
    cache: str | None = None,
    cache_predictions: bool = False,
    max_cost: float | None = None,
    resume: str | None = None,
    retry_errors: bool = False,
    dry_run: bool = False,
    chunk_size: int | None = None,
    executor: Any = None,
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
            outputs, when the data has none (an ``async def`` is awaited). Its latency and
            any exception are kept per row.
        max_workers: The size of the one thread pool that runs predictions and scorers
            (default 10, or ``EVALKIT_MAX_WORKERS``).
        max_concurrent_calls: The most LLM calls in flight at once per judge model, shared
            by every judge of this evaluation that uses that model (default 10). A 429 from
            the provider pauses all calls to that model together.
        progress: Show a progress bar: ``None`` (default) shows one on a terminal for runs
            that take more than a second; ``True``/``False`` force it on/off.
        log: Log params, metrics, the per-row table and the dataset to the active run (or
            a new one) in the tracking store; see :mod:`evalkit.tracking.evaluation`.
        cache: The model-call cache mode, ``"on"`` (default, or ``EVALKIT_CACHE``),
            ``"read-only"`` or ``"off"``; see :mod:`evalkit.llm.cache`.
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

        chunk_size: Evaluate in chunks of this many rows, so memory is bounded by the
            chunk, not the data: big ``.parquet``/``.jsonl``/``.csv`` files and iterators of
            records are read chunk by chunk, each chunk is scored and journaled (resume goes
            on chunk by chunk), the per-row table is written in Parquet parts and loaded
            lazily (``result.tables.parts("eval_results_table")`` reads it part by part),
            and the aggregates, median and p90 included, are exact. See
            :mod:`evalkit._chunked`.
        executor: Where chunks run: ``None`` (this process), a ``dask.distributed.Client``
            (each chunk is a task on the cluster; per-model limits and the cost budget stay
            global), or any :class:`~evalkit.engine.executors.ChunkExecutor`. Implies
            chunks of :data:`~evalkit.data.chunks.DEFAULT_CHUNK_SIZE` rows unless
            ``chunk_size`` is given.

        model, targets, predictions, model_type, extra_metrics, evaluator_config: MLflow's
            legacy form (``mlflow.evaluate``); any of them switches to it. See
            :mod:`evalkit.legacy`.

    Returns:
        An :class:`EvaluationResult`: ``metrics`` keyed ``"<scorer>/<aggregation>"``,
        ``tables["eval_results_table"]`` with one row per record, ``run_id`` and ``usage``
        (model calls, calls served from the cache, tokens and cost). Every (row, scorer)
        pair ends as a value or a coded error (``<metric>/error_code`` in the table).

    Raises:
        UsageError: A bad argument (``max_workers=0``, an unknown ``cache`` mode, no
            ``scorers``, ``predict_fn`` with the legacy form, ``chunk_size=0``, an
            ``executor`` that is not one, a Dask client that is closed, ...).
        DataError: The data cannot be used (the message names the row and column).
        ScorerError: A scorer is misconfigured (e.g. two scorers with one name).

    Example:
        >>> @evalkit.scorer
        ... def exact_match(outputs, expectations) -> bool:
        ...     return outputs == expectations["expected_response"]
        >>> evalkit.evaluate(data=records, scorers=[exact_match]).metrics["exact_match/mean"]
    """
    legacy = (model, targets, predictions, model_type, extra_metrics, evaluator_config)
    workers = _check_limits(max_workers, max_concurrent_calls, cache)
    chunked = chunk_size is not None or executor is not None
    if chunk_size is not None:
        from evalkit.data.chunks import check_chunk_size

        check_chunk_size(chunk_size)
    if any(a is not None for a in legacy):
        if chunked:
            raise UsageError(
                "chunk_size=/executor= work with evaluate(data, scorers=[...]), not with the "
                "legacy form (targets=/predictions=/model_type=...)"
            )
        if predict_fn is not None:
            raise UsageError(
                "the legacy form (targets=/predictions=/model_type=...) takes model=, a function "
                "of the input DataFrame, not predict_fn="
            )
        from evalkit.legacy import evaluate_legacy
        from evalkit.llm.cache import evaluation_mode

        scope = _model_call_scope(evaluation_mode(cache), max_concurrent_calls, max_cost, False)
        with scope as meter:
            result = evaluate_legacy(
                data,
                model=model,
                targets=targets,
                predictions=predictions,
                model_type=model_type,
                extra_metrics=extra_metrics,
                evaluator_config=evaluator_config,
                scorers=scorers,
                max_workers=workers,
                progress=progress,
                log=log,
            )
        return dataclasses.replace(result, usage=Usage(meter.as_dict()))
    resolved = _resolve_scorers(scorers)
    if predict_fn is not None and not callable(predict_fn):
        raise UsageError(f"predict_fn must be callable, got {type(predict_fn).__name__}")
    if chunked:
        return _evaluate_chunked(
            data,
            resolved,
            predict_fn,
            chunk_size=chunk_size,
            executor=executor,
            workers=workers,
            max_concurrent_calls=max_concurrent_calls,
            progress=progress,
            log=log,
            cache=cache,
            cache_predictions=cache_predictions,
            max_cost=max_cost,
            resume=resume,
            retry_errors=retry_errors,
            dry_run=dry_run,
        )
    rows = normalize_data(data, has_predict_fn=predict_fn is not None)
    _check_fields(resolved, rows, predict_fn is not None)
    from evalkit.llm.cache import evaluation_mode

    mode = evaluation_mode(cache)
    if dry_run:
        log, resume = False, None
        predict_fn = _empty_outputs if predict_fn is not None else None
    plan = Plan(rows=rows, scorers=resolved, predict_fn=predict_fn, max_workers=workers)
    if predict_fn is not None and cache_predictions:
        plan.predict_fn = _cached_predict(predict_fn, mode)

    tracking = journaling = known = None
    run_id = None
    if log or resume is not None:  # a bad tracking URI fails before work
        from evalkit._resume import Journaling
        from evalkit.tracking.evaluation import open_evaluation_log

        tracking = open_evaluation_log()
        run_id = tracking.begin(resolved, resume)
        _log.info(
            "evaluate(): run %s; after a crash go on with evaluate(..., resume=%r)", run_id, run_id
        )
        journaling = Journaling(tracking, rows, run_id, resume is not None, retry_errors)
        if resume is not None:
            known = journaling.known([s.name for s in resolved if "trace" in s.arguments])

    with (
        _model_call_scope(mode, max_concurrent_calls, max_cost, dry_run, resolved) as meter,
        progress_bar(plan.total, enabled=progress) as tick,
    ):
        try:
            outcomes = run_plan(plan, known=known, observer=journaling, tick=tick)
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
        return EvaluationResult(metrics={}, tables={}, usage=Usage(meter.as_dict()))
    columns = collect_metrics(resolved, outcomes, len(rows))
    result = EvaluationResult(
        metrics=metrics_of(columns),
        tables={"eval_results_table": build_table(rows, columns, predicted=predict_fn is not None)},
        usage=Usage(meter.as_dict()),
    )
    if tracking is not None:
        result = tracking.log(result, resolved, data=data, predict_fn=predict_fn)
    return result


def _evaluate_chunked(
    data: Any,
    resolved: list[Scorer],
    predict_fn: Callable[..., Any] | None,
    *,
    chunk_size: int | None,
    executor: Any,
    workers: int,
    max_concurrent_calls: int | None,
    progress: bool | None,
    log: bool,
    cache: str | None,
    cache_predictions: bool,
    max_cost: float | None,
    resume: str | None,
    retry_errors: bool,
    dry_run: bool,
) -> EvaluationResult:
    """:func:`evaluate` chunk by chunk (see :mod:`evalkit._chunked`)."""
    from pathlib import Path

    from evalkit._chunked import first_chunk, run_chunked
    from evalkit.data.chunks import DEFAULT_CHUNK_SIZE
    from evalkit.engine.executors import executor_for
    from evalkit.llm.cache import evaluation_mode

    size = DEFAULT_CHUNK_SIZE if chunk_size is None else chunk_size
    runner = executor_for(executor)
    first_rows, chunks = first_chunk(data, size, predict_fn is not None)
    _check_fields(resolved, first_rows, predict_fn is not None)
    mode = evaluation_mode(cache)
    if dry_run:
        log, resume = False, None
        predict_fn = _empty_outputs if predict_fn is not None else None
    if predict_fn is not None and cache_predictions:
        predict_fn = _cached_predict(predict_fn, mode)
    tracking = None
    folder: Path | None = None
    run_label = "evaluation"
    if log or resume is not None:  # a bad tracking URI fails before work
        from evalkit.tracking.evaluation import open_evaluation_log

        tracking = open_evaluation_log()
        run_id = tracking.begin(resolved, resume)
        folder = tracking.artifact_folder()
        run_label = f"run {run_id}"
        _log.info(
            "evaluate(): run %s; after a crash go on with evaluate(..., resume=%r)", run_id, run_id
        )
    # the judge models' prices are checked (with max_cost) before any work
    with (
        _model_call_scope(mode, max_concurrent_calls, max_cost, dry_run, resolved),
        progress_bar(None, enabled=progress) as tick,
    ):
        try:
            result, n_rows, digest = run_chunked(
                chunks,
                scorers=resolved,
                executor=runner,
                folder=folder,
                chunk_size=size,
                run_label=run_label,
                predict_fn=predict_fn,
                max_workers=workers,
                cache=mode,
                max_concurrent_calls=max_concurrent_calls,
                max_cost=max_cost,
                dry_run=dry_run,
                resume=resume is not None,
                retry_errors=retry_errors,
                tick=tick,
            )
        except BaseException as exc:
            if tracking is not None:
                tracking.interrupted(exc)
                _log.warning(
                    "evaluate(): interrupted; the finished chunks are kept in %s: "
                    "go on with evaluate(..., resume=...)",
                    run_label,
                )
            raise
    if tracking is not None:
        result = tracking.log_chunked(
            result,
            resolved,
            data=data,
            predict_fn=predict_fn,
            num_records=n_rows,
            digest=digest,
        )
    return result


def estimate(
    data: Any,
    scorers: Sequence[Any],
    predict_fn: Callable[..., Any] | None = None,
    *,
    max_workers: int | None = None,
) -> dict[str, Any]:
    """Estimate the judge tokens and cost of ``evaluate(data, scorers, predict_fn)``.

    Every scorer runs as in an evaluation, but each model call is counted instead of sent:
    its prompt tokens (tiktoken, offline), :data:`~evalkit.llm.usage.ESTIMATED_OUTPUT_TOKENS`
    output tokens (or ``max_tokens`` if smaller) and their price from litellm's bundled
    price list. Calls the cache already answers are counted as cached and free. Nothing is
    logged and ``predict_fn`` is not called (outputs are empty, so its answers' tokens are
    not counted). A judge that makes a second call only when the first answer is unreadable
    is counted for one call.

    Args:
        data: The records, as for :func:`evalkit.evaluate`.
        scorers: The scorers, as for :func:`evalkit.evaluate`.
        predict_fn: The app, when the data has no outputs (not called).
        max_workers: Threads rendering prompts (default as for ``evaluate``).

    Returns:
        ``judge_calls``, ``cached_calls``, ``input_tokens``, ``output_tokens``, ``cost``
        (USD; calls to models without a known price add nothing), ``unpriced_calls``,
        ``budget_refused`` (0) and ``estimate`` (``True``).

    Example:
        >>> evalkit.estimate(records, [Correctness(model="openai:/gpt-4.1-mini")])["cost"]
        0.0123
    """
    result = evaluate(
        data, scorers, predict_fn, max_workers=max_workers, progress=False, dry_run=True
    )
    return dict(result.usage)
