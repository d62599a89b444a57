"""The MLflow legacy form of ``evaluate``, as an adapter over the same engine.

``evalkit.evaluate(data=df, targets="ground_truth", predictions="answer",
model_type="question-answering", extra_metrics=[...], evaluator_config={...})`` behaves as
``mlflow.evaluate`` does for these arguments:

* ``model``: ``None`` (the predictions are the ``predictions`` column) or a callable (or an
  object with ``predict``) called with the DataFrame of feature columns; with the
  ``latency`` metric it is called row by row and timed, as MLflow does.
* ``model_type`` picks MLflow's preset metrics; ``extra_metrics`` adds
  :class:`~evalkit.metrics.EvaluationMetric` s (or built-in names such as ``"rougeL"``).
* ``evaluator_config`` (flat, or MLflow's ``{"default": {...}}``): ``col_mapping`` (metric
  parameter -> column; ``"targets"`` names the targets column), ``retriever_k`` (default 3),
  ``metric_prefix`` (put before every metric key and table metric column), and for
  classifiers ``pos_label``, ``average``, ``label_list``, ``sample_weights``; other entries
  are passed to metric functions by parameter name.
* ``evaluators`` (only ``"default"`` exists), ``feature_names`` (the model's input columns;
  the column names of array data); ``env_manager``, ``model_config``, ``baseline_model``,
  ``inference_params``, ``custom_artifacts`` and ``dataset_path`` are accepted and ignored
  with a warning.
* ``data`` may be a numpy array or a list of rows, with ``targets`` an array of labels.
* Metrics that take each other as parameters in a cycle are refused before any work.

Results are keyed as MLflow writes them (``rougeL/v1/mean``, ``exact_match/v1``,
``precision_at_3/mean``, ``mean_absolute_error``) and ``tables["eval_results_table"]`` has
the feature columns, the targets and predictions columns and one column per per-row metric
(``token_count``, ``latency``, ``<metric>/<version>/score``). evalkit adds
``<metric>/error_message`` where a metric failed on some rows, instead of dropping the metric.
"""

from __future__ import annotations

import dataclasses
import numbers
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from evalkit.engine import DEFAULT_MAX_WORKERS, run_tasks
from evalkit.engine.progress import progress_bar
from evalkit.entities import AssessmentError, EvaluationResult, MetricValue
from evalkit.errors import DataError, ScorerError
from evalkit.legacy.arguments import Arg, LegacyContext, aggregate_keys, plan_arguments
from evalkit.scorers.base import BatchScorer

if TYPE_CHECKING:
    import pandas as pd

    from evalkit.legacy.metrics import EvaluationMetric

__all__ = ["MODEL_TYPES", "evaluate_legacy", "preset_metrics"]

MODEL_TYPES: tuple[str, ...] = (
    "question-answering",
    "text-summarization",
    "text",
    "retriever",
    "regressor",
    "classifier",
)
"""The ``model_type`` values understood, as in MLflow."""


def preset_metrics(model_type: str | None, retriever_k: int = 3) -> list[EvaluationMetric]:
    """MLflow's default metrics for a text or retriever ``model_type`` (from the registry)."""
    from evalkit.legacy.metrics import metric_by_name
    from evalkit.scorers.registry import entries

    chosen = sorted(
        (e for e in entries("heuristic") if model_type in e.presets), key=lambda e: e.preset_rank
    )
    return [metric_by_name(e.name.replace("<k>", str(retriever_k))) for e in chosen]


def _as_metric(item: Any, where: str) -> EvaluationMetric:
    from evalkit.legacy.metrics import EvaluationMetric, metric_by_name

    if isinstance(item, EvaluationMetric):
        return item
    if isinstance(item, str):
        return metric_by_name(item)  # a clear error for unknown names
    raise ScorerError(
        f"{where} is a {type(item).__name__} ({item!r:.60}). Please ensure that all extra "
        "metrics are instances of evalkit.metrics.EvaluationMetric (evalkit.metrics.rougeL(), "
        "make_metric(...)) or built-in metric names such as 'rougeL'"
    )


def _is_array_data(data: Any) -> bool:
    """A numpy array or a list of rows (lists/tuples): MLflow's array-shaped ``data``."""
    if type(data).__module__ == "numpy" and hasattr(data, "ndim"):
        return True
    return isinstance(data, list) and bool(data) and isinstance(data[0], list | tuple)


def _frame(data: Any, feature_names: Sequence[str] | None = None) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    from evalkit.data import records_from

    if _is_array_data(data):
        array = np.asarray(data, dtype=object)
        if array.ndim == 1:
            array = array.reshape(-1, 1)
        if array.ndim != 2:
            raise DataError(f"array data must have 2 dimensions (rows, features), got {array.ndim}")
        names = list(feature_names or [f"feature_{i + 1}" for i in range(array.shape[1])])
        if len(names) != array.shape[1]:
            raise DataError(
                f"feature_names has {len(names)} names for {array.shape[1]} feature columns"
            )
        frame = pd.DataFrame(array.tolist(), columns=names)
    elif isinstance(data, pd.DataFrame):
        frame = data.reset_index(drop=True)
    else:
        frame = pd.DataFrame(records_from(data))
    if len(frame) == 0:
        raise DataError("the evaluation data is empty; pass at least one row")
    return frame


def _column(frame: pd.DataFrame, name: Any, argument: str) -> str:
    if not isinstance(name, str) or name not in frame.columns:
        raise DataError(
            f"{argument}={name!r} is not a column of the data; its columns are "
            f"{', '.join(map(repr, frame.columns))}"
        )
    return name


def _call_model(model: Any) -> Callable[[Any], Any]:
    predict = getattr(model, "predict", None)
    if callable(predict):
        return predict
    if callable(model):
        return model
    raise ScorerError(
        "model must be a callable taking a DataFrame (or have .predict), got "
        f"{type(model).__name__}"
    )


def _split_output(
    out: Any, name: str | None, n_rows: int
) -> tuple[list[Any], dict[str, list[Any]], str | None]:
    """A model's output -> (the predictions, other output columns, the predictions' column
    name when the model named it)."""
    import pandas as pd

    if isinstance(out, str | int | float | bool) and n_rows == 1:
        return [out], {}, None
    if isinstance(out, pd.DataFrame):
        out = {str(c): out[c].tolist() for c in out.columns}
    elif isinstance(out, list) and out and all(isinstance(r, dict) for r in out):
        out = {k: [r.get(k) for r in out] for k in out[0]}
    if isinstance(out, dict):
        if name is not None and name in out:
            others = {k: list(v) for k, v in out.items() if k != name}
            return list(out[name]), others, name
        if len(out) == 1:
            only = next(iter(out))
            return list(out[only]), {}, str(only)
        raise ScorerError(
            f"Output column name is not specified for the multi-output model: it returned "
            f"several columns ({', '.join(map(str, out))}); say which one holds the "
            "predictions with predictions='<column>'"
        )
    values = out.tolist() if hasattr(out, "tolist") else list(out)
    if len(values) != n_rows:
        raise ScorerError(f"the model returned {len(values)} predictions for {n_rows} rows")
    return values, {}, None


@dataclasses.dataclass
class _MetricRun:
    """One legacy metric of a wave: its tasks on the engine's pool and what they produced."""

    metric: EvaluationMetric
    """The metric to compute."""
    plan: list[Arg]
    """Where each ``eval_fn`` argument comes from."""
    rows: Any = None
    """The metric's per-row work (``n_rows``, ``grade(i)``, ``finish(feedbacks)``), for
    metrics that grade row by row: the genai metrics' ``eval_fn.grade_rows(...)``."""
    feedbacks: list[Any] = dataclasses.field(default_factory=list)
    """Per-row results of :attr:`rows`."""
    value: MetricValue | None = None
    """The metric's value, once computed."""
    row_errors: list[str | None] | None = None
    """Per-row error messages, where some rows (or the whole metric) failed."""
    error_code: str | None = None
    """The error code when the whole metric failed."""

    @property
    def name(self) -> str:
        return self.metric.full_name

    def n_tasks(self) -> int:
        return 1 if self.rows is None else self.rows.n_rows

    def run_whole(self, ctx: LegacyContext, latencies: list[float] | None) -> None:
        """Compute the metric at once over its columns (a failure is every row's error)."""
        n_rows = len(ctx.predictions)
        try:
            spec = self.metric._builtin
            if spec is not None:
                targets = None if ctx.targets is None else ctx.targets.tolist()
                raw = spec.score(ctx.predictions.tolist(), targets, latencies)
                if len(raw) != n_rows:
                    raise ScorerError(
                        f"metric {self.name!r} returned {len(raw)} values for {n_rows} rows"
                    )
                self.value = spec.metric_value(raw)
                errors = [_row_error(v) for v in raw]
                if any(e is not None for e in errors):
                    self.row_errors = errors
                return
            value = self.metric.eval_fn(*ctx.resolve(self.plan))
            self.value = _metric_value(value, self.metric, n_rows)
        except Exception as exc:
            error = AssessmentError.from_exception(exc)
            self.error_code = error.error_code
            self.row_errors = [error.error_message] * n_rows


def _row_error(value: Any) -> str | None:
    error = getattr(value, "error", None)
    return None if error is None else error.error_message


def _metric_value(value: Any, metric: EvaluationMetric, n_rows: int) -> MetricValue | None:
    """What ``eval_fn`` returned, checked as MLflow checks it (the reasons are MLflow's)."""
    if value is None:
        warnings.warn(f"Did not log metric {metric.name!r} because it returned None.", stacklevel=2)
        return None
    if isinstance(value, bool | int | float) or type(value).__module__ == "numpy":
        return MetricValue(aggregate_results={metric.name: float(value)})
    if not isinstance(value, MetricValue):
        raise ScorerError(
            f"metric {metric.name!r} did not return a MetricValue (eval_fn returned a "
            f"{type(value).__name__}); return a MetricValue or a number"
        )
    reason = _malformed(value)
    if reason is not None:
        raise ScorerError(f"metric {metric.name!r} must return MetricValue with {reason}")
    if value.scores is not None and len(value.scores) != n_rows:
        raise ScorerError(
            f"metric {metric.name!r} returned {len(value.scores)} scores for {n_rows} rows"
        )
    return value


def _malformed(value: MetricValue) -> str | None:
    scores, justifications, aggregates = (
        value.scores,
        value.justifications,
        value.aggregate_results,
    )
    if scores is not None:
        if not isinstance(scores, list):
            return "scores as a list"
        if any(s is not None and not isinstance(s, numbers.Number | str) for s in scores):
            return "numeric or string scores"
    if justifications is not None:
        if not isinstance(justifications, list):
            return "justifications as a list"
        if any(j is not None and not isinstance(j, str) for j in justifications):
            return "string justifications"
    if aggregates is not None:
        if not isinstance(aggregates, dict):
            return "aggregate_results as a dict"
        if any(
            not isinstance(k, str) or (v is not None and not isinstance(v, numbers.Number))
            for k, v in aggregates.items()
        ):
            return "aggregate_results with str keys and numeric values"
    return None


def _needs_targets(metric: EvaluationMetric) -> bool:
    spec = metric._builtin
    return spec is not None and "expectations" in spec.make_scorer().arguments


def _classic_presets(
    model_type: str | None, ctx: LegacyContext, config: dict[str, Any]
) -> dict[str, MetricValue]:
    from evalkit.scorers.classic import classifier_metrics, regressor_metrics

    if model_type not in ("regressor", "classifier"):
        return {}
    if ctx.targets is None:
        raise DataError(f"model_type={model_type!r} needs targets='<label column>'")
    y, y_pred = ctx.targets.tolist(), ctx.predictions.tolist()
    try:
        if model_type == "regressor":
            found = regressor_metrics(y, y_pred, sample_weights=config.get("sample_weights"))
        else:
            found = classifier_metrics(
                y,
                y_pred,
                label_list=config.get("label_list"),
                pos_label=config.get("pos_label"),
                average=config.get("average", "weighted"),
                sample_weights=config.get("sample_weights"),
            )
    except Exception as exc:  # keep the other metrics; say why these are missing
        warnings.warn(f"{model_type} metrics were not computed: {exc!r}", stacklevel=3)
        return {}
    return {k: MetricValue(aggregate_results={k: v}) for k, v in found.items()}


def _run_waves(
    metrics: list[EvaluationMetric],
    ctx: LegacyContext,
    latencies: list[float] | None,
    *,
    max_workers: int,
    progress: bool | None,
) -> dict[str, list[str | None]]:
    """Run every metric on the engine's pool, dependencies first; return per-row errors.

    A wave is the metrics whose dependencies are computed. Each metric of a wave is one
    task over its columns, or one task per row for a metric that grades rows one by one
    (the genai metrics), so a wave of LLM-judged metrics keeps ``max_workers`` calls busy.
    """
    names = {m.name for m in metrics} | {k.split("/")[0] for k in ctx.values}
    plans: dict[str, tuple[list[Arg], set[str]]] = {}
    missing: list[str] = []
    for m in metrics:
        if m._builtin is not None:
            plans[m.full_name] = ([], set())
            continue
        plan, absent, depends = plan_arguments(m.eval_fn, ctx, names - {m.name})
        plans[m.full_name] = (plan, depends)
        if absent:
            missing.append(f"metric {m.name!r} needs {', '.join(map(repr, absent))}")
    if missing:
        raise ScorerError(
            _FAILED
            + "; ".join(missing)
            + ". Pass targets=/predictions=, add the columns to the data, "
            "map them with evaluator_config={'col_mapping': {<parameter>: <column>}} or put "
            f"the values in evaluator_config. Data columns: {', '.join(ctx.inputs.columns)}"
        )

    _check_cycles(metrics, plans)
    errors: dict[str, list[str | None]] = {}
    remaining = list(metrics)
    total = sum(len(ctx.predictions) if _grades_rows(m) else 1 for m in metrics)
    with (
        progress_bar(total, enabled=progress) as tick,
        ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="evalkit") as pool,
    ):
        while remaining:
            pending = {m.name for m in remaining}
            wants_all = {m.name for m in remaining if "*" in plans[m.full_name][1]}

            def ready(
                m: EvaluationMetric, pending: set[str] = pending, wants_all: set[str] = wants_all
            ) -> bool:
                depends = plans[m.full_name][1]
                if "*" in depends and pending - wants_all - {m.name}:
                    return False
                return not (depends - {"*"}) & (pending - {m.name})

            wave = [m for m in remaining if ready(m)] or remaining[:1]
            remaining = [m for m in remaining if m not in wave]
            runs = [_plan_run(m, plans[m.full_name][0], ctx) for m in wave]
            tasks: list[tuple[_MetricRun, int]] = [(r, i) for r in runs for i in range(r.n_tasks())]

            def task(t: int, tasks: list[tuple[_MetricRun, int]] = tasks) -> int:
                run, i = tasks[t]
                if run.rows is None:
                    run.run_whole(ctx, latencies)
                else:
                    run.feedbacks[i] = run.rows.grade(i)
                return 1

            run_tasks(len(tasks), task, pool, max_workers, tick)
            for run in runs:
                if run.rows is not None:
                    run.value = run.rows.finish(run.feedbacks)
                if run.row_errors is not None:
                    errors[run.name] = run.row_errors
                if run.value is not None:
                    ctx.values[run.name] = run.value
                elif (
                    run.row_errors is not None
                    and all(e is not None for e in run.row_errors)
                    and run.error_code != "MissingDependencyError"  # said once, elsewhere
                ):
                    warnings.warn(
                        f"metric {run.name!r} was not computed: {run.row_errors[0]}",
                        stacklevel=3,
                    )
    return errors


_FAILED = "Error: Metric calculation failed for the following metrics:\n"


def _check_cycles(
    metrics: list[EvaluationMetric], plans: dict[str, tuple[list[Arg], set[str]]]
) -> None:
    """Refuse metrics that depend on each other in a cycle, before any work (as MLflow)."""
    depends = {m.name: plans[m.full_name][1] - {"*"} for m in metrics}
    done: set[str] = set()
    left = dict(depends)
    while left:
        ready = [n for n, d in left.items() if not (d & set(left)) or d <= done]
        if not ready:
            cycle = ", ".join(repr(n) for n in sorted(left))
            raise ScorerError(
                f"{_FAILED}metrics {cycle} depend on each other in a cycle (each takes another "
                "as a parameter); break the cycle by removing one of those parameters"
            )
        for n in ready:
            done.add(n)
            del left[n]


def _grades_rows(metric: EvaluationMetric) -> bool:
    return callable(getattr(metric.eval_fn, "grade_rows", None))


def _plan_run(metric: EvaluationMetric, plan: list[Arg], ctx: LegacyContext) -> _MetricRun:
    run = _MetricRun(metric=metric, plan=plan)
    if metric._builtin is None and _grades_rows(metric):
        try:
            run.rows = metric.eval_fn.grade_rows(*ctx.resolve(plan))  # type: ignore[attr-defined]
        except Exception as exc:  # e.g. a column of the wrong shape: the metric fails
            error = AssessmentError.from_exception(exc)
            run.error_code = error.error_code
            run.row_errors = [error.error_message] * len(ctx.predictions)
            return run
        run.feedbacks = [None] * run.rows.n_rows
    return run


_EVALUATORS = ("default",)
_IGNORED = (
    "model_config",
    "baseline_model",
    "inference_params",
    "custom_artifacts",
    "dataset_path",
)


def _evaluator_config(evaluators: Any, evaluator_config: Any) -> dict[str, Any]:
    """``evaluator_config`` for the one (default) evaluator: flat, or MLflow's per-evaluator
    form ``{"default": {...}}``. Other evaluators are not provided: a warning says so."""
    names = [evaluators] if isinstance(evaluators, str) else list(evaluators or [])
    if any(not isinstance(n, str) for n in names):
        raise ScorerError(
            f"evaluators must be evaluator names such as 'default', got {evaluators!r}"
        )
    others = [n for n in names if n not in _EVALUATORS]
    if others:
        warnings.warn(
            f"evaluators {others} are not provided by evalkit and are ignored; the default "
            "evaluator (the metrics of model_type and extra_metrics) runs",
            stacklevel=3,
        )
    if evaluator_config is None:
        return {}
    if not isinstance(evaluator_config, dict):
        raise ScorerError("evaluator_config must be a dict, e.g. {'retriever_k': 5}")
    nested = set(names) | set(_EVALUATORS)
    if (
        evaluator_config
        and set(evaluator_config) <= nested
        and all(isinstance(v, dict) for v in evaluator_config.values())
    ):
        return dict(evaluator_config.get("default", {}))
    return dict(evaluator_config)


def _warn_ignored(ignored: dict[str, Any]) -> None:
    for name, value in ignored.items():
        if name == "env_manager" and value in (None, "local"):
            continue
        if value is None:
            continue
        reason = (
            "evalkit calls the model in this process"
            if name == "env_manager"
            else "evalkit does not use it"
        )
        warnings.warn(f"evaluate(): {name}= is ignored ({reason})", stacklevel=3)


def evaluate_legacy(
    data: Any,
    *,
    model: Any = None,
    targets: Any = None,
    predictions: str | None = None,
    model_type: str | None = None,
    extra_metrics: Sequence[Any] | None = None,
    evaluator_config: dict[str, Any] | None = None,
    evaluators: str | Sequence[str] | None = None,
    feature_names: Sequence[str] | None = None,
    ignored: dict[str, Any] | None = None,
    scorers: Sequence[Any] | None = None,
    max_workers: int = DEFAULT_MAX_WORKERS,
    progress: bool | None = None,
    log: bool = True,
) -> EvaluationResult:
    """``mlflow.evaluate`` for a DataFrame of rows; see the module docstring.

    ``data`` may also be a numpy array or a list of rows, with ``targets`` then an array
    of labels (columns ``feature_1``... or ``feature_names``, and ``target``). ``ignored``
    holds the arguments of ``mlflow.evaluate`` evalkit accepts but does not use
    (``env_manager``, ``model_config``, ``baseline_model``, ...): each set one is warned
    about.

    Raises:
        DataError: A named column is missing, or there are neither predictions nor a model.
        ScorerError: An unknown ``model_type``, neither ``model_type`` nor
            ``extra_metrics``, a bad metric, metrics depending on each other in a cycle, or
            a metric parameter that nothing fills.
    """
    import pandas as pd

    if model_type is not None and model_type not in MODEL_TYPES:
        raise ScorerError(f"unknown model_type {model_type!r}; use one of {', '.join(MODEL_TYPES)}")
    if model_type is None and not extra_metrics and not scorers:
        raise ScorerError(
            "The extra_metrics argument must be specified model_type is None. Pass "
            f"model_type= (one of {', '.join(MODEL_TYPES)}) or extra_metrics=[...]"
        )
    _warn_ignored(dict(ignored or {}))
    config = _evaluator_config(evaluators, evaluator_config)
    col_mapping = dict(config.pop("col_mapping", None) or {})
    retriever_k = config.pop("retriever_k", 3)
    prefix = config.pop("metric_prefix", None) or ""
    array_data = _is_array_data(data)
    if array_data and model is None and predictions is not None:
        raise DataError(
            "If predictions is specified, data must be one of the following types: a pandas "
            "DataFrame, a list of dicts, a dict of columns or a file; an array has no column "
            "to hold the predictions"
        )
    frame = _frame(data, feature_names)
    if targets is not None and not isinstance(targets, str):  # labels given as an array
        labels = list(targets.tolist() if hasattr(targets, "tolist") else targets)
        if len(labels) != len(frame):
            raise DataError(f"targets has {len(labels)} labels for {len(frame)} rows")
        frame["target"] = labels
        targets = "target"
    if targets is None and isinstance(col_mapping.get("targets"), str):
        targets = col_mapping["targets"]  # MLflow's col_mapping={"targets": "<column>"}
    elif isinstance(targets, str) and targets not in frame.columns:
        mapped = col_mapping.get(targets)
        if isinstance(mapped, str) and mapped in frame.columns:
            targets = mapped
    targets_name = _column(frame, targets, "targets") if targets is not None else None
    predictions_name: str | None = None
    if model is None:
        if predictions is None:
            raise DataError(
                "Either a model or set of predictions must be specified in order to use the "
                "default evaluator: pass predictions='<column holding the outputs>' or "
                "model=<a function of the input DataFrame>"
            )
        predictions_name = _column(frame, predictions, "predictions")
    if feature_names is not None and not array_data:
        features = [_column(frame, f, "feature_names") for f in feature_names]
    else:
        features = [c for c in frame.columns if c not in (targets_name, predictions_name)]

    chosen: dict[str, EvaluationMetric] = {}
    extras = [*(extra_metrics or []), *(scorers or [])]
    for m in preset_metrics(model_type, retriever_k):
        chosen[m.full_name] = m
    for position, item in enumerate(extras):
        m = _as_metric(item, f"extra_metrics[{position}]")
        chosen.pop(m.full_name, None)
        chosen[m.full_name] = m
    latency_wanted = any(m.name == "latency" for m in chosen.values())
    ordered = [m for m in chosen.values() if m.name != "latency"]

    from evalkit.tracking.evaluation import open_evaluation_log

    tracking = open_evaluation_log() if log else None  # a bad tracking URI fails before work
    n_rows = len(frame)
    inputs = frame[features]
    prediction_errors: list[str | None] = [None] * n_rows
    latencies: list[float] | None = None
    others: dict[str, list[Any]] = {}
    model_column: str | None = None
    if model is None:
        y_pred = frame[predictions_name].tolist()
        if latency_wanted:
            warnings.warn("latency is 0 for every row: no model was given to time", stacklevel=2)
            latencies = [0.0] * n_rows
    else:
        call = _call_model(model)
        if latency_wanted:
            y_pred, latencies = [None] * n_rows, [0.0] * n_rows
            for i in range(n_rows):
                start = time.perf_counter()
                try:
                    out = call(inputs.iloc[[i]])
                except Exception as exc:  # this row fails; the others are still predicted
                    prediction_errors[i] = f"{type(exc).__name__}: {exc}"
                    continue
                finally:
                    latencies[i] = time.perf_counter() - start
                row_values, other, named = _split_output(out, predictions, 1)
                model_column = model_column or named
                y_pred[i] = row_values[0]
                for key, column in other.items():
                    others.setdefault(key, [None] * n_rows)[i] = column[0]
        else:
            y_pred, others, model_column = _split_output(call(inputs), predictions, n_rows)

    # MLflow's name of the predictions column in the table: with targets, the column that
    # held them (the data's, or the one the model returned); else "outputs"
    output_name = (
        (predictions_name or predictions or model_column or "outputs")
        if targets_name
        else "outputs"
    )
    ctx = LegacyContext(
        predictions=pd.Series(y_pred, name=output_name),
        targets=frame[targets_name].reset_index(drop=True) if targets_name else None,
        inputs=inputs,
        other_outputs=others,
        config=config,
        col_mapping=col_mapping,
        predictions_name=predictions_name or predictions,
        targets_name=targets_name,
    )
    if latencies is not None:
        ctx.values["latency"] = MetricValue(scores=latencies)
    ctx.values.update(_classic_presets(model_type, ctx, config))
    computed_first = list(ctx.values)  # latency and the regressor/classifier metrics
    runnable = []
    for m in ordered:
        if ctx.targets is None and _needs_targets(m):
            warnings.warn(f"metric {m.full_name!r} skipped: it needs targets=", stacklevel=2)
        else:
            runnable.append(m)
    errors = _run_waves(runnable, ctx, latencies, max_workers=max_workers, progress=progress)

    order = computed_first + [m.full_name for m in runnable if m.full_name not in computed_first]
    values = {k: ctx.values[k] for k in order if k in ctx.values}
    table = inputs.copy()
    if targets_name:
        table[targets_name] = ctx.targets
    table[output_name] = y_pred
    if any(prediction_errors):
        table["prediction_error"] = prediction_errors
    for full in order:
        mv = values.get(full)
        if mv is not None and mv.scores:
            bare = full in ("token_count", "latency")
            table[f"{prefix}{full}" if bare else f"{prefix}{full}/score"] = list(mv.scores)
        if mv is not None and mv.justifications:
            table[f"{prefix}{full}/justification"] = list(mv.justifications)
        if full in errors:
            table[f"{prefix}{full}/error_message"] = errors[full]
    metrics = {f"{prefix}{k}": v for k, v in aggregate_keys(values).items()}
    result = EvaluationResult(metrics=metrics, tables={"eval_results_table": table})
    if tracking is not None:
        logged = _logged_scorers(runnable, prefix)
        result = tracking.log(result, logged, data=frame if array_data else data, predict_fn=None)
    return result


class _LegacyScorer(BatchScorer):
    """What the tracking run records of a legacy metric (its name and version)."""

    def score_batch(self, **columns: Any) -> list[Any]:  # pragma: no cover - never run
        raise NotImplementedError


def _logged_scorers(metrics: Sequence[EvaluationMetric], prefix: str = "") -> list[BatchScorer]:
    return [_LegacyScorer(name=f"{prefix}{m.full_name}", aggregations=[]) for m in metrics]
