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
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from evalkit.data import EvalRow, normalize_data
from evalkit.engine import (
    Known,
    Plan,
    Prediction,
    build_conversation_table,
    build_table,
    collect_metrics,
    default_workers,
    metrics_of,
    resolve_awaitable,
    run_plan,
)
from evalkit.engine.progress import progress_bar
from evalkit.engine.repeats import REPEAT_MODES, combine_repeats
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
    from evalkit.scorers.registry import resolve  # built-in names, as `evalkit eval -s`

    resolved = [resolve(s, where=f"scorers[{position}]") for position, s in enumerate(scorers)]
    seen: dict[str, int] = {}
    for position, s in enumerate(resolved):
        if s.name in seen:
            raise ScorerError(
                f"scorers[{seen[s.name]}] and scorers[{position}] are both named {s.name!r}; "
                "give one a different name (e.g. @scorer(name=...) or Scorer(name=...))"
            )
        seen[s.name] = position
    return resolved


def _with_row_traces(
    scorers: Sequence[Scorer], rows: list[EvalRow], predicted: bool
) -> list[EvalRow]:
    """Rows given a one-span trace of their inputs and outputs when a scorer reads ``trace``
    and the data has none (no traces, no predict_fn), as ``mlflow.genai.evaluate`` does."""
    wants = any("trace" in s.arguments and not s.is_session_level_scorer for s in scorers)
    if predicted or not wants or any(r.trace is not None for r in rows):
        return rows
    from evalkit.entities.trace import Span, SpanType, Trace

    return [
        dataclasses.replace(
            r,
            trace=Trace(
                spans=[
                    Span(
                        name="evaluation_row",
                        span_type=SpanType.CHAIN,
                        inputs=r.inputs,
                        outputs=r.outputs,
                        span_id=f"row-{r.index}",
                    )
                ]
            ),
        )
        for r in rows
    ]


def _check_fields(
    scorers: Sequence[Scorer],
    rows: Sequence[EvalRow],
    predicted: bool,
    sessions_may_follow: bool = False,
) -> None:
    """Reject scorers that need a field no record has, before any work.

    ``sessions_may_follow``: ``rows`` are a chunked run's first chunk, so rows without a
    session id do not mean that none has one (the run warns at its end if none had).
    """
    has_expectations = any(r.expectations is not None for r in rows)
    has_outputs = predicted or any(r.outputs is not None for r in rows)
    has_sessions = any(r.session_id is not None for r in rows)
    has_traces = predicted or any(r.trace is not None for r in rows)
    for s in scorers:
        if s.is_session_level_scorer:
            if not has_sessions and not sessions_may_follow:
                raise DataError(
                    f"scorer {s.name!r} scores conversations, but no row has a session id; "
                    "add a 'session_id' column (or traces with session metadata) to group "
                    "the records into conversations, or drop the scorer"
                )
            if "expectations" in s.required_arguments and not has_expectations:
                raise DataError(
                    f"scorer {s.name!r} needs expectations, but no row has any; add "
                    "expectations to a turn of each conversation or drop the scorer"
                )
            continue
        if "trace" in s.required_arguments and not has_traces:
            raise DataError(
                f"scorer {s.name!r} needs the 'trace' column, but no row has a trace; "
                "evaluate traces (search_traces() or a list of Trace), add a 'trace' "
                "column, or pass a predict_fn whose spans are recorded"
            )
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
    from evalkit.llm.scope import current_sample

    store = open_cache()

    @functools.wraps(predict_fn)
    def cached(**inputs: Any) -> Any:
        key, name = prediction_key(predict_fn, inputs, current_sample())
        found, outputs = store.get_prediction(key)
        if found:
            return outputs
        outputs = resolve_awaitable(predict_fn(**inputs))
        if mode == "on":
            store.put_prediction(key, name, outputs)
        return outputs

    return cached


def _say_where_logged(run_id: str | None) -> None:
    """On a terminal, one line on stderr: where the run went and how to look at it."""
    import sys

    if run_id is None or not sys.stderr.isatty():
        return
    from evalkit.redaction import redact_url
    from evalkit.tracking import get_tracking_uri

    sys.stderr.write(
        f"evalkit: run {run_id} logged to {redact_url(str(get_tracking_uri()))}; look at it "
        f"with `evalkit ui` or `evalkit report {run_id} -o report.html`\n"
    )


def _judge_models(scorers: Sequence[Scorer]) -> list[tuple[str, Any]]:
    """``(model URI, parameters)`` of every scorer that calls a model (judges' ``settings``)."""
    from evalkit.llm.config import get_default_model

    models: list[tuple[str, Any]] = []
    for s in scorers:
        settings = getattr(s, "settings", None)
        if settings is not None and hasattr(settings, "model"):
            models.append((settings.model or get_default_model(), settings.parameters))
        members = getattr(s, "judges", None)  # a judge panel: its judges' models
        if isinstance(members, list | tuple) and members is not scorers:
            models.extend(_judge_models([m for m in members if isinstance(m, Scorer)]))
    return models


@contextlib.contextmanager
def _model_call_scope(
    mode: str,
    max_concurrent_calls: int | None,
    max_cost: float | None,
    dry_run: bool,
    scorers: Sequence[Scorer] = (),
    rate_limits: Mapping[str, Mapping[str, Any]] | None = None,
    deployments: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
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
        rate_limits=rate_limits,
        deployments=deployments,
    ) as scope:
        yield scope.meter


def _run_batch_pass(
    data: Any,
    scorers: Sequence[Scorer],
    predict_fn: Callable[..., Any] | None,
    mode: str,
    dry_run: bool,
    max_cost: float | None,
    workers: int,
    max_concurrent_calls: int | None,
    rate_limits: dict[str, dict[str, int]] | None,
    deployments: dict[str, list[dict[str, Any]]] | None,
) -> None:
    """``judge_mode="batch"``: a first pass records every judge call, the OpenAI Batch API
    answers them into the call cache, and the real pass then scores every row from it."""
    if predict_fn is not None or mode != "on" or dry_run:
        raise UsageError(
            "judge_mode='batch' scores outputs already in the data, with cache='on' (the "
            "batch's answers fill the call cache) and without dry_run"
        )
    if max_cost is not None:
        raise UsageError(
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
            scorers,
            max_workers=workers,
            max_concurrent_calls=max_concurrent_calls,
            rate_limits=rate_limits,
            deployments=deployments,
            cache="on",
            log=False,
            progress=False,
        )
    run_batches(collector, open_cache())


def _check_repeats(
    repeats: Any, repeat: Any, predict_fn: Callable[..., Any] | None, resume: str | None
) -> None:
    """Bad ``repeats`` / ``repeat`` raise :class:`UsageError` before any work."""
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise UsageError(
            f"repeats must be a whole number >= 1 (how many times each row runs), got {repeats!r}"
        )
    if repeat not in REPEAT_MODES:
        raise UsageError(f"repeat={repeat!r} is not one of {', '.join(map(repr, REPEAT_MODES))}")
    if repeats > 1 and repeat == "predict" and predict_fn is None:
        raise UsageError(
            "repeat='predict' repeats predict_fn, but none was given; pass predict_fn= or use "
            "repeat='judges' to repeat only the scorers"
        )
    if repeats > 1 and resume is not None:
        raise UsageError(
            "resume= does not work with repeats > 1 yet; rerun the evaluation instead (the call "
            "cache serves every repeat already done)"
        )


def _copies(rows: Sequence[EvalRow]) -> list[EvalRow]:
    """Copies of rows, for a repeat to fill in (the engine updates rows in place)."""
    return [dataclasses.replace(r) for r in rows]


def _in_sample(predict_fn: Callable[..., Any], sample: int) -> Callable[..., Any]:
    """``predict_fn`` making its model calls (and cached predictions) as repeat ``sample``."""
    from evalkit.llm import sample_scope

    @functools.wraps(predict_fn)
    def in_sample(**inputs: Any) -> Any:
        with sample_scope(sample):
            return resolve_awaitable(predict_fn(**inputs))

    return in_sample


def _run_repeats(
    plan: Plan,
    repeats: int,
    repeat: str,
    known: Any,
    journaling: Any,
    tick: Callable[[int], None] | None,
) -> list[tuple[list[EvalRow], list[Sequence[Any]]]]:
    """Run ``plan`` ``repeats`` times; per repeat, its rows and outcomes. Repeat 0 is the
    plain run (journaled, with the call cache keys of a run without repeats)."""
    from evalkit.llm import sample_scope

    original = _copies(plan.rows) if repeats > 1 else plan.rows
    outcomes = run_plan(plan, known=known, observer=journaling, tick=tick)
    runs = [(plan.rows, outcomes)]
    base_predict = plan.predict_fn
    for sample in range(1, repeats):
        if repeat == "judges" and base_predict is not None:
            # one prediction per row: later repeats reuse repeat 0's (and its trace)
            rows = _copies(plan.rows)
            again = Known(
                predictions={
                    r.index: Prediction(r.outputs, r.latency, r.prediction_error) for r in rows
                }
            )
            repeated = dataclasses.replace(plan, rows=rows)
        else:
            rows = _copies(original)
            again = None
            repeated = dataclasses.replace(plan, rows=rows)
        if repeat == "predict":
            assert base_predict is not None
            repeated.predict_fn = _in_sample(base_predict, sample)
            outcomes = run_plan(repeated, known=again, tick=tick)
        else:
            with sample_scope(sample):
                outcomes = run_plan(repeated, known=again, tick=tick)
        runs.append((rows, outcomes))
    return runs


def _repeated_result(
    scorers: Sequence[Scorer],
    runs: Sequence[tuple[list[EvalRow], list[Sequence[Any]]]],
    predicted: bool,
    repeat: str,
    usage: Usage,
    confidence: float | None = None,
) -> EvaluationResult:
    """The result of an evaluation with repeats (see :mod:`evalkit.engine.repeats`)."""
    import pandas as pd

    rows = runs[0][0]
    n = len(rows)
    folded = combine_repeats([collect_metrics(scorers, o, n) for _, o in runs], n)
    table = build_table(rows, folded.columns, predicted=predicted)
    if predicted and repeat != "judges":
        position = list(table.columns).index("outputs") + 1
        outputs = [[r[i].outputs for r, _ in runs] for i in range(n)]
        table.insert(position, "outputs/repeats", pd.Series(outputs, dtype=object))
    for name in folded.columns:
        position = list(table.columns).index(f"{name}/value") + 1
        for offset, suffix in enumerate(("values", "variance", "agreement")):
            key = f"{name}/{suffix}"
            dtype = object if suffix == "values" else float
            column = folded.extra[key]
            if dtype is float:
                column = [float("nan") if v is None else v for v in column]
            table.insert(position + offset, key, pd.Series(column, dtype=dtype))
    flaky = pd.DataFrame(folded.flaky, columns=["row", "metric", "values", "agreement"])
    metrics = metrics_of(folded.columns, confidence=confidence)
    metrics.update(folded.metrics)
    return EvaluationResult(
        metrics=metrics,
        tables={"eval_results_table": table, "flaky_rows": flaky},
        usage=usage,
    )


def _legacy_positional(first: Any, second: Any) -> bool:
    """Whether ``evaluate(first, second)`` is MLflow's ``evaluate(model, data)``: ``second``
    is data (a DataFrame, an array, a list of dicts or of rows) -- never a scorer list -- and
    ``first`` a model (``None``, or a callable that is not a scorer)."""
    shape = type(second).__name__
    is_data = shape in ("DataFrame", "ndarray") or (
        isinstance(second, list)
        and bool(second)
        and all(isinstance(r, dict | list | tuple) for r in second)
    )
    if not is_data:
        return False
    return first is None or (
        not isinstance(first, Scorer) and (callable(first) or hasattr(first, "predict"))
    )


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
    chunk_size: int | None = None,
    executor: Any = None,
    model: Any = None,
    targets: str | None = None,
    predictions: str | None = None,
    model_type: str | None = None,
    extra_metrics: Sequence[Any] | None = None,
    evaluator_config: dict[str, Any] | None = None,
    repeats: int = 1,
    repeat: str = "both",
    confidence: float | None = None,
    evaluators: str | Sequence[str] | None = None,
    feature_names: Sequence[str] | None = None,
    env_manager: str | None = None,
    model_config: Any = None,
    baseline_model: Any = None,
    inference_params: dict[str, Any] | None = None,
    custom_artifacts: Sequence[Any] | None = None,
    dataset_path: str | None = None,
) -> EvaluationResult:
    """Score every record with every scorer and aggregate the results.

    Args:
        data: The records: a list of dicts, a pandas DataFrame, a dict of columns, a
            ``.jsonl``/``.json``/``.csv``/``.parquet`` path or an ``EvaluationDataset``;
            or traces: a list of ``Trace`` or ``search_traces()``'s DataFrame (each trace
            is a record: inputs and outputs from its root span, expectations from its
            expectation assessments), or ``iter_traces()`` with ``chunk_size`` to read
            many stored traces a page at a time. See :mod:`evalkit.data` for the columns. Records
            sharing a ``session_id`` (a trace's session) form a conversation, which
            session-level scorers score once.
        scorers: The scorers to run: ``@scorer`` functions, ``Scorer`` instances, judges.
        predict_fn: Called as ``predict_fn(**inputs)`` once per record to produce its
            outputs, when the data has none (an ``async def`` is awaited). Its latency and
            any exception are kept per row.
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
            and the aggregates, median and p90 included, are exact. With session-level
            (conversation) scorers, chunks end between conversations (a chunk may hold more
            rows to finish one), each conversation's rows must be contiguous in the data
            (else a ``DataError`` naming the session id and the row), and
            ``tables["conversations"]`` is in parts too. See :mod:`evalkit._chunked`.
        executor: Where chunks run: ``None`` (this process), a ``dask.distributed.Client``
            (each chunk is a task on the cluster; ``max_concurrent_calls``, ``rate_limits``
            and ``max_cost`` stay global: the chunks in flight share them), or any
            :class:`~evalkit.engine.executors.ChunkExecutor`. Implies
            chunks of :data:`~evalkit.data.chunks.DEFAULT_CHUNK_SIZE` rows unless
            ``chunk_size`` is given.

        model, targets, predictions, model_type, extra_metrics, evaluator_config,
        evaluators, feature_names, env_manager, model_config, baseline_model,
        inference_params, custom_artifacts, dataset_path: MLflow's legacy form
            (``mlflow.evaluate``); any of them switches to it. It is also taken positionally
            in MLflow's order, ``evaluate(model, data, ...)``: when the second argument is
            data (a DataFrame, a numpy array, a list of dicts or rows) and the first is a
            model (a callable that is not a scorer, or ``None``). See :mod:`evalkit.legacy`.
        repeats: Run each row ``k`` times (default 1). Repeat ``s`` makes its own model
            calls (the repeat index is part of the call cache key; repeat 0 keeps the key a
            run without repeats has), so a rerun is served from the cache. The table's
            ``<m>/value`` is then the row's mean over its repeats (most common label for
            labels), with ``<m>/values``, ``<m>/variance`` and ``<m>/agreement`` beside it;
            0/1 metrics get ``<m>/pass@<k>`` and ``<m>/pass^<k>``; rows whose repeats
            disagree are in ``result.flaky_rows``. See :mod:`evalkit.engine.repeats`.
        confidence: Add a confidence interval at this level (e.g. ``0.95``) to every mean:
            ``<m>/mean/ci_low`` and ``<m>/mean/ci_high`` in ``result.metrics`` (the exact
            Clopper-Pearson interval for 0/1 values, a seeded BCa bootstrap otherwise;
            clustered by conversation when rows carry a session id). A scorer's own
            ``"ci95"`` aggregation does the same for that scorer. See :mod:`evalkit.stats`.
        repeat: What repeats: ``"both"`` (default: the prediction and the scorers),
            ``"judges"`` (predict once, score ``k`` times) or ``"predict"`` (predict ``k``
            times, score each prediction once).

    Returns:
        An :class:`EvaluationResult`: ``metrics`` keyed ``"<scorer>/<aggregation>"``,
        ``tables["eval_results_table"]`` with one row per record (and
        ``tables["conversations"]`` with one per conversation, when records have session
        ids; session-level metrics aggregate over conversations), ``run_id`` and ``usage``
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
    if _legacy_positional(data, scorers):  # mlflow.evaluate(model, data, ...)
        if model is not None:
            raise UsageError("evaluate(model, data, ...) got model twice (positional and model=)")
        model, data, scorers = data, scorers, None
    ignored = {
        "env_manager": env_manager,
        "model_config": model_config,
        "baseline_model": baseline_model,
        "inference_params": inference_params,
        "custom_artifacts": custom_artifacts,
        "dataset_path": dataset_path,
    }
    legacy = (model, targets, predictions, model_type, extra_metrics, evaluator_config)
    workers = _check_limits(max_workers, max_concurrent_calls, cache)
    from evalkit.llm.scope import check_provider_limits

    check_provider_limits(rate_limits, deployments)  # an rpm of 0 fails here, before work
    if judge_mode not in ("sync", "batch"):
        raise UsageError(f"judge_mode must be 'sync' or 'batch', got {judge_mode!r}")
    _check_repeats(repeats, repeat, predict_fn, resume)
    if confidence is not None:
        from evalkit.stats import check_confidence

        check_confidence(confidence)  # outside (0, 1): a UsageError before any work
    chunked = chunk_size is not None or executor is not None
    if chunk_size is not None:
        from evalkit.data.chunks import check_chunk_size

        check_chunk_size(chunk_size)
    more = (evaluators, feature_names, *ignored.values())
    if any(a is not None for a in (*legacy, *more)):
        if chunked:
            raise UsageError(
                "chunk_size=/executor= work with evaluate(data, scorers=[...]), not with the "
                "legacy form (targets=/predictions=/model_type=...)"
            )
        if repeats != 1:
            raise UsageError(
                "repeats= works with evaluate(data, scorers, predict_fn), not with the legacy "
                "form (model=/targets=/predictions=/model_type=...)"
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
                evaluators=evaluators,
                feature_names=feature_names,
                ignored=ignored,
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
        if repeats > 1 or judge_mode == "batch" or confidence is not None:
            raise UsageError(
                "chunk_size=/executor= do not work with repeats > 1, judge_mode='batch' or "
                "confidence= yet; run those in memory "
                "(for intervals in a chunked run, give the scorer a 'ci95' aggregation)"
            )
        return _evaluate_chunked(
            data,
            resolved,
            predict_fn,
            rate_limits=rate_limits,
            deployments=deployments,
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
    if repeats > 1 and (judge_mode == "batch" or any(s.is_session_level_scorer for s in resolved)):
        raise UsageError(
            "repeats > 1 does not work with judge_mode='batch' or with session-level "
            "(conversation) scorers yet; run those without repeats"
        )
    rows = _with_row_traces(resolved, rows, predict_fn is not None)
    _check_fields(resolved, rows, predict_fn is not None)
    from evalkit.llm.cache import evaluation_mode

    mode = evaluation_mode(cache)
    if judge_mode == "batch":
        _run_batch_pass(data, resolved, predict_fn, mode, dry_run, max_cost, workers,
                        max_concurrent_calls, rate_limits, deployments)  # fmt: skip
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
            known = journaling.known(
                [s.name for s in resolved if "trace" in s.arguments],
                [
                    s.name
                    for s in resolved
                    if s.is_session_level_scorer and {"session", "conversation"} & set(s.arguments)
                ],
            )

    with (
        _model_call_scope(
            mode, max_concurrent_calls, max_cost, dry_run, resolved, rate_limits, deployments
        ) as meter,
        progress_bar(plan.total * repeats, enabled=progress) as tick,
    ):
        try:
            runs = _run_repeats(plan, repeats, repeat, known, journaling, tick)
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
    predicted = predict_fn is not None
    if repeats > 1:
        result = _repeated_result(
            resolved, runs, predicted, repeat, Usage(meter.as_dict()), confidence
        )
    else:
        outcomes = runs[0][1]
        row_level = [k for k, s in enumerate(resolved) if not s.is_session_level_scorer]
        session_level = [k for k, s in enumerate(resolved) if s.is_session_level_scorer]
        columns = collect_metrics(
            [resolved[k] for k in row_level], [outcomes[k] for k in row_level], len(rows)
        )
        tables = {"eval_results_table": build_table(rows, columns, predicted=predicted)}
        sessions = [r.session_id for r in rows]
        clustered = any(s is not None for s in sessions)
        metrics = metrics_of(columns, confidence=confidence, groups=sessions if clustered else None)
        if any(r.session_id is not None for r in rows):
            conversations = plan.conversations
            session_columns = collect_metrics(
                [resolved[k] for k in session_level],
                [outcomes[k] for k in session_level],
                len(conversations),
            )
            metrics.update(metrics_of(session_columns))
            tables["conversations"] = build_conversation_table(
                conversations, session_columns, columns
            )
        result = EvaluationResult(metrics=metrics, tables=tables, usage=Usage(meter.as_dict()))
    if tracking is not None:
        result = tracking.log(result, resolved, data=data, predict_fn=predict_fn)
        _say_where_logged(result.run_id)
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
    rate_limits: dict[str, dict[str, int]] | None = None,
    deployments: dict[str, list[dict[str, Any]]] | None = None,
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
    _check_fields(resolved, first_rows, predict_fn is not None, sessions_may_follow=True)
    del first_rows  # the first chunk is scored like the others, not kept for the whole run
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
        _model_call_scope(
            mode, max_concurrent_calls, max_cost, dry_run, resolved, rate_limits, deployments
        ),
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
                rate_limits=rate_limits,
                deployments=deployments,
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
    repeats: int = 1,
    repeat: str = "both",
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
        repeats, repeat: As for :func:`evalkit.evaluate`: every repeat's calls are counted
            (each repeat has its own cache keys).

    Returns:
        ``judge_calls``, ``cached_calls``, ``input_tokens``, ``output_tokens``, ``cost``
        (USD; calls to models without a known price add nothing), ``unpriced_calls``,
        ``budget_refused`` (0) and ``estimate`` (``True``).

    Example:
        >>> evalkit.estimate(records, [Correctness(model="openai:/gpt-4.1-mini")])["cost"]
        0.0123
    """
    result = evaluate(
        data,
        scorers,
        predict_fn,
        max_workers=max_workers,
        progress=False,
        dry_run=True,
        repeats=repeats,
        repeat=repeat,
    )
    return dict(result.usage)
