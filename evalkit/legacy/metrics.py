"""MLflow-named metric factories for the legacy ``evaluate(model_type=..., extra_metrics=...)``.

(Users import them from the facade :mod:`evalkit.metrics`.)

``evalkit.metrics`` mirrors ``mlflow.metrics``: every factory returns an
:class:`EvaluationMetric` whose ``eval_fn(predictions, targets, metrics, **kwargs)`` returns a
:class:`MetricValue`, and whose results are reported under MLflow's keys
(``rougeL/v1/mean``, ``exact_match/v1``, ``precision_at_3/mean``, ``mean_absolute_error``)::

    evalkit.evaluate(data=df, targets="ground_truth", predictions="answer",
                     model_type="question-answering",
                     extra_metrics=[evalkit.metrics.rougeL(), evalkit.metrics.bleu()])

The built-in ones are computed by evalkit's fast batch scorers, with MLflow's values. Build
your own with :func:`make_metric`.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from typing import Any

from evalkit.entities import MetricValue
from evalkit.errors import ScorerError
from evalkit.legacy.builtin_metrics import (
    BuiltinSpec,
    builtin_metric,
    classic_metric,
    standard_aggregations,
)

__all__ = [
    "EvaluationMetric",
    "MetricValue",
    "ari_grade_level",
    "bleu",
    "exact_match",
    "f1_score",
    "flesch_kincaid_grade_level",
    "from_builtin",
    "latency",
    "mae",
    "make_metric",
    "mape",
    "max_error",
    "metric_by_name",
    "mse",
    "ndcg_at_k",
    "precision_at_k",
    "precision_score",
    "r2_score",
    "recall_at_k",
    "recall_score",
    "registered_factory",
    "rmse",
    "rouge1",
    "rouge2",
    "rougeL",
    "rougeLsum",
    "standard_aggregations",
    "token_count",
    "toxicity",
]


@dataclasses.dataclass(eq=False)
class EvaluationMetric:
    """A metric for the legacy ``evaluate`` form (``mlflow.metrics.EvaluationMetric``).

    Args:
        eval_fn: ``eval_fn(predictions, targets=None, metrics=None, **kwargs)`` returning a
            :class:`MetricValue` or a number. ``predictions``/``targets`` are pandas Series;
            ``metrics`` maps the names of metrics computed before to their values; other
            parameters are filled from data columns, ``evaluator_config`` entries or other
            metrics by name.
        name: The metric name.
        greater_is_better: Whether a larger value is better.
        long_name: A longer name, e.g. ``"root_mean_squared_error"`` for ``"rmse"``.
        version: A version such as ``"v1"``; results are keyed ``"<name>/<version>/..."``.
        metric_details: How the metric is computed, in words.
        metric_metadata: Free-form metadata.
        genai_metric_args: The arguments an LLM-judged metric was built with.
    """

    eval_fn: Callable[..., Any]
    name: str
    greater_is_better: bool
    long_name: str | None = None
    version: str | None = None
    metric_details: str | None = None
    metric_metadata: dict[str, Any] | None = None
    genai_metric_args: dict[str, Any] | None = None
    _builtin: BuiltinSpec | None = dataclasses.field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.long_name is None:
            self.long_name = self.name
        # As MLflow: calling the metric takes keyword arguments named as its eval_fn's
        # (``metric(predictions=..., targets=...)``), and ``inspect.signature(metric)`` /
        # ``help(metric)`` show them. A signature belongs to a class, so each metric gets a
        # one-off subclass whose ``__call__`` carries it.
        signature = _call_signature(self)
        if signature is None:
            return

        def _call_method(self: EvaluationMetric, *args: Any, **kwargs: Any) -> Any:
            return self._call_keywords(signature, args, kwargs)

        _call_method.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [
                inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
                *list(signature.parameters.values()),
            ]
        )
        cls = type(
            "EvaluationMetric",
            (type(self),),
            {"__call__": _call_method, "__module__": type(self).__module__},
        )
        cls.__qualname__ = "EvaluationMetric"
        object.__setattr__(self, "__class__", cls)

    def __str__(self) -> str:
        parts = [
            f"name={self.name}",
            f"greater_is_better={self.greater_is_better}",
            f"long_name={self.long_name}",
        ]
        if self.version:
            parts.append(f"version={self.version}")
        if self.metric_details:
            parts.append(f"metric_details={self.metric_details}")
        if self.metric_metadata:
            parts.append(f"metric_metadata={self.metric_metadata}")
        return "EvaluationMetric(" + ", ".join(parts) + ")"

    @property
    def full_name(self) -> str:
        """The name results are keyed by: ``"<name>/<version>"``, or ``name`` without version."""
        return f"{self.name}/{self.version}" if self.version else self.name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run ``eval_fn`` directly, e.g. ``rougeL()(predictions=[...], targets=[...])``.

        Lists and strings are turned into pandas Series first, as ``evaluate`` passes them.
        """
        return self.eval_fn(
            *[_series(a) for a in args], **{k: _series(v) for k, v in kwargs.items()}
        )

    def _call_keywords(
        self, signature: inspect.Signature, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        if args:
            raise TypeError(
                f"metric {self.name!r} takes keyword arguments only: "
                f"{', '.join(signature.parameters)}"
            )
        params = signature.parameters
        unexpected = set(kwargs) - set(params)
        if unexpected:
            raise ScorerError(f"Unexpected arguments: {unexpected}")
        keyword_only = [n for n, p in params.items() if p.default is p.empty and n not in kwargs]
        if keyword_only:
            raise TypeError(
                f"__call__() missing {len(keyword_only)} required keyword-only argument"
                f"{'s' if len(keyword_only) > 1 else ''}: "
                + ", ".join(repr(n) for n in keyword_only)
            )
        required = getattr(self.eval_fn, "required_arguments", ())
        missing = {n for n in required if kwargs.get(n) is None}
        if missing:
            raise ScorerError(f"Missing required arguments: {missing}")
        for name, value in kwargs.items():
            if (
                name != "metrics"
                and value is not None
                and not isinstance(value, str | list | tuple)
                and not hasattr(value, "tolist")
            ):
                raise TypeError(
                    f"Expected {name} to be a string, list, or Pandas Series, got "
                    f"{type(value).__name__}"
                )
        accepted = inspect.signature(self.eval_fn).parameters
        values = {k: _series(v) for k, v in kwargs.items() if k in accepted}
        if "metrics" in accepted and "metrics" not in values:
            values["metrics"] = {}
        return self.eval_fn(**values)

    def as_scorer(self) -> Any:
        """The batch scorer behind a built-in metric, for ``evaluate(scorers=[...])``.

        Raises:
            ScorerError: The metric is a custom one; pass it in ``extra_metrics=`` instead.
        """
        if self._builtin is None:
            raise ScorerError(
                f"metric {self.name!r} is a legacy EvaluationMetric; pass it as "
                "extra_metrics=[...] together with predictions=/targets= (the legacy form), "
                "or write it as an @evalkit.scorer"
            )
        return self._builtin.make_scorer()


def _series(value: Any) -> Any:
    import pandas as pd

    if isinstance(value, str):
        return pd.Series([value])
    if isinstance(value, list | tuple):
        return pd.Series(list(value))
    return value


def _call_signature(metric: EvaluationMetric) -> inspect.Signature | None:
    """The keyword-only signature of ``metric(...)``, as MLflow gives it.

    A built-in metric takes ``predictions`` and ``targets``; a genai metric the
    parameters of its ``eval_fn``; a custom metric has none (``None``: call it as its
    ``eval_fn``).
    """
    kind = inspect.Parameter.KEYWORD_ONLY
    if metric._builtin is not None:
        needs_targets = "expectations" in metric._builtin.make_scorer().arguments
        return inspect.Signature(
            [
                inspect.Parameter("predictions", kind),
                inspect.Parameter(
                    "targets", kind, default=inspect.Parameter.empty if needs_targets else None
                ),
            ]
        )
    declared = getattr(metric.eval_fn, "call_signature", None)
    if isinstance(declared, inspect.Signature):
        return declared
    return None


_SPECIAL = {"predictions", "targets", "metrics", "inputs"}


def _check_name(name: str) -> None:
    """MLflow's checks of a metric name: no ``/``; a warning when the name cannot be a
    parameter of a derived metric."""
    import keyword
    import logging

    if "/" in name:
        raise ScorerError(
            f"Invalid metric name '{name}'. Metric names cannot include forward slashes ('/')."
        )
    log = logging.getLogger("evalkit")
    if not name.isidentifier():
        log.warning(
            f"The metric name '{name}' provided is not a valid Python identifier, which will "
            "prevent its use as a base metric for derived metrics. Please use a valid "
            "identifier to enable creation of derived metrics that use the given metric."
        )
    elif keyword.iskeyword(name):
        log.warning(
            f"The metric name '{name}' is a reserved Python keyword, which will prevent its "
            "use as a base metric for derived metrics. Please use a valid identifier to "
            "enable creation of derived metrics that use the given metric."
        )
    elif name in _SPECIAL:
        log.warning(
            f"The metric name '{name}' is used as a special parameter in evalkit metrics, "
            "which will prevent its use as a base metric for derived metrics. Please use a "
            "different name to enable creation of derived metrics that use the given metric."
        )


def make_metric(
    *,
    eval_fn: Callable[..., Any],
    greater_is_better: bool,
    name: str | None = None,
    long_name: str | None = None,
    version: str | None = None,
    metric_details: str | None = None,
    metric_metadata: dict[str, Any] | None = None,
    genai_metric_args: dict[str, Any] | None = None,
) -> EvaluationMetric:
    """Build a custom :class:`EvaluationMetric` (``mlflow.metrics.make_metric``).

    Args:
        eval_fn: See :class:`EvaluationMetric`.
        greater_is_better: Whether a larger value is better.
        name: The metric name; defaults to ``eval_fn.__name__`` (required for a lambda).
        long_name: A longer name.
        version: A version such as ``"v1"``.
        metric_details: How the metric is computed.
        metric_metadata: Free-form metadata.
        genai_metric_args: The arguments an LLM-judged metric was built with.

    Example:
        >>> def answer_words(predictions, targets, metrics):
        ...     scores = [len(p.split()) for p in predictions]
        ...     mean = sum(scores) / len(scores)
        ...     return MetricValue(scores=scores, aggregate_results={"mean": mean})
        >>> words = make_metric(eval_fn=answer_words, greater_is_better=False)
    """
    if not callable(eval_fn):
        raise ScorerError(f"make_metric: eval_fn must be callable, got {type(eval_fn).__name__}")
    if name is None:
        name = getattr(eval_fn, "__name__", None)
        if name == "<lambda>":
            raise ScorerError(
                "`name` must be specified if `eval_fn` is a lambda function: make_metric(..., "
                "name='my_metric')"
            )
        if not name:
            raise ScorerError(
                "`name` must be specified if `eval_fn` does not have a `__name__` attribute: "
                "make_metric(..., name='my_metric')"
            )
    _check_name(name)
    return EvaluationMetric(
        eval_fn,
        name,
        greater_is_better,
        long_name=long_name,
        version=version,
        metric_details=metric_details,
        metric_metadata=metric_metadata,
        genai_metric_args=genai_metric_args,
    )


def from_builtin(spec: Any, **kwargs: Any) -> EvaluationMetric:
    """An :class:`EvaluationMetric` over a built-in metric spec (MLflow's version and long name)."""
    builtin = spec if isinstance(spec, BuiltinSpec) else None
    if builtin is not None:  # MLflow's version and long name, as registered
        kwargs.setdefault("version", builtin.version)
        kwargs.setdefault("long_name", builtin.long_name)
    return EvaluationMetric(
        spec.eval_fn, spec.name, spec.greater_is_better, _builtin=builtin, **kwargs
    )


def metric_by_name(name: str, **config: Any) -> EvaluationMetric:
    """The built-in heuristic metric registered as ``name`` (``"rougeL"``, ``"precision_at_3"``),
    with MLflow's name, version and aggregates.

    Raises:
        ScorerError: No built-in metric has that name.
    """
    return from_builtin(builtin_metric(name, **config))


def token_count(encoding: str = "cl100k_base") -> EvaluationMetric:
    """Tokens in each prediction (tiktoken ``encoding``); per-row only, no aggregates."""
    return from_builtin(builtin_metric("token_count", encoding=encoding))


def latency() -> EvaluationMetric:
    """Seconds the model took per row; asking for it makes evaluate call the model row by row."""
    return from_builtin(builtin_metric("latency"))


def toxicity() -> EvaluationMetric:
    """Hate-speech probability per prediction (optional extra; local model cache only)."""
    return from_builtin(builtin_metric("toxicity"))


def flesch_kincaid_grade_level() -> EvaluationMetric:
    """Flesch-Kincaid grade level of each prediction (textstat's value)."""
    return from_builtin(builtin_metric("flesch_kincaid_grade_level"))


def ari_grade_level() -> EvaluationMetric:
    """Automated readability index of each prediction (textstat's value)."""
    return from_builtin(builtin_metric("ari_grade_level"))


def exact_match() -> EvaluationMetric:
    """Share of predictions equal to their target (``accuracy_score``); aggregate only."""
    return from_builtin(builtin_metric("exact_match"))


def rouge1() -> EvaluationMetric:
    """ROUGE-1 (unigram) F-measure of each prediction against its target."""
    return from_builtin(builtin_metric("rouge1"))


def rouge2() -> EvaluationMetric:
    """ROUGE-2 (bigram) F-measure of each prediction against its target."""
    return from_builtin(builtin_metric("rouge2"))


def rougeL() -> EvaluationMetric:
    """ROUGE-L (longest common subsequence) F-measure against the target."""
    return from_builtin(builtin_metric("rougeL"))


def rougeLsum() -> EvaluationMetric:
    """ROUGE-Lsum (summary-level LCS over newline-separated sentences) F-measure."""
    return from_builtin(builtin_metric("rougeLsum"))


def bleu() -> EvaluationMetric:
    """BLEU of each prediction against its target (Hugging Face ``bleu``, one reference)."""
    return from_builtin(builtin_metric("bleu"))


def precision_at_k(k: int) -> EvaluationMetric:
    """Precision of the top ``k`` retrieved document IDs, per row."""
    return from_builtin(builtin_metric(f"precision_at_{_positive(k)}"))


def recall_at_k(k: int) -> EvaluationMetric:
    """Recall of the top ``k`` retrieved document IDs, per row."""
    return from_builtin(builtin_metric(f"recall_at_{_positive(k)}"))


def ndcg_at_k(k: int) -> EvaluationMetric:
    """NDCG of the top ``k`` retrieved document IDs (binary relevance), per row."""
    return from_builtin(builtin_metric(f"ndcg_at_{_positive(k)}"))


def _positive(k: Any) -> int:
    if isinstance(k, bool) or not isinstance(k, int) or k <= 0:
        raise ScorerError(f"k must be a positive whole number, got {k!r}")
    return k


def mae() -> EvaluationMetric:
    """Mean absolute error (``mean_absolute_error``), aggregate only."""
    return from_builtin(classic_metric("mean_absolute_error"))


def mse() -> EvaluationMetric:
    """Mean squared error (``mean_squared_error``), aggregate only."""
    return from_builtin(classic_metric("mean_squared_error"))


def rmse() -> EvaluationMetric:
    """Root mean squared error (``root_mean_squared_error``), aggregate only."""
    return from_builtin(classic_metric("root_mean_squared_error"))


def r2_score() -> EvaluationMetric:
    """Coefficient of determination (``r2_score``), aggregate only."""
    return from_builtin(classic_metric("r2_score"))


def max_error() -> EvaluationMetric:
    """Largest absolute residual (``max_error``), aggregate only."""
    return from_builtin(classic_metric("max_error"))


def mape() -> EvaluationMetric:
    """Mean absolute percentage error (``mean_absolute_percentage_error``), aggregate only."""
    return from_builtin(classic_metric("mean_absolute_percentage_error"))


def precision_score() -> EvaluationMetric:
    """Precision of a classifier (``pos_label``/``average`` from ``evaluator_config``)."""
    return from_builtin(classic_metric("precision_score"))


def recall_score() -> EvaluationMetric:
    """Recall of a classifier (``pos_label``/``average`` from ``evaluator_config``)."""
    return from_builtin(classic_metric("recall_score"))


def f1_score() -> EvaluationMetric:
    """F1 score of a classifier (``pos_label``/``average`` from ``evaluator_config``)."""
    return from_builtin(classic_metric("f1_score"))


def registered_factory(name: str) -> Callable[..., EvaluationMetric] | None:
    """``evalkit.metrics.<name>`` for a built-in heuristic metric registered without a
    factory above (as MLflow names it), or ``None`` when no such metric is registered."""
    from evalkit.scorers.registry import lookup

    entry = lookup(name) if not name.startswith("_") else None
    if entry is None or entry.kind != "heuristic" or entry.pattern is not None:
        return None

    def factory(**config: Any) -> EvaluationMetric:
        return from_builtin(builtin_metric(name, **config))

    factory.__name__ = name
    factory.__doc__ = entry.doc
    return factory
