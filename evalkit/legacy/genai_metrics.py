"""LLM-judged legacy metrics with ``mlflow.metrics.genai``'s names and arguments.

Every factory returns an ``EvaluationMetric`` for the legacy form
``evalkit.evaluate(data=df, predictions=..., targets=..., extra_metrics=[...])``. Its
``eval_fn`` takes ``predictions``, ``inputs`` (when ``include_input``) and one parameter per
grading context column (``targets``, ``context``, ...), filled by name from the data, and
returns a ``MetricValue``: a 1-5 score and a justification per row (``None`` and the error
for a row whose judge call failed) and the aggregates (default ``mean``, ``variance``,
``p90``). The judge is called through :mod:`evalkit.judges` (retries, limiter, parsing);
the prompt is ``evalkit/judges/prompts/genai_metric.jinja``.

Default judge model: the default judge model (:func:`evalkit.judges.get_default_model`),
where MLflow defaults to ``openai:/gpt-4``.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import inspect
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

from evalkit.engine import run_tasks
from evalkit.entities import AssessmentError, Feedback, MetricValue
from evalkit.errors import JudgeError
from evalkit.judges.base import CallSettings, assess
from evalkit.judges.templates import Template, fence, load_prompt
from evalkit.legacy.genai_definitions import DEFINITIONS
from evalkit.stats import AGGREGATIONS, validate_aggregations

__all__ = [
    "EvaluationExample",
    "RowGrading",
    "answer_correctness",
    "answer_relevance",
    "answer_similarity",
    "faithfulness",
    "make_genai_metric",
    "make_genai_metric_from_prompt",
    "relevance",
]

_SCORE = Literal[1, 2, 3, 4, 5]
_DEFAULT_AGGREGATIONS = ["mean", "variance", "p90"]


@dataclasses.dataclass(frozen=True)
class EvaluationExample:
    """A graded example shown to the judge as a few-shot reference
    (``mlflow.metrics.genai.EvaluationExample``; positional fields in MLflow's order)."""

    output: str
    """The model output that was graded."""
    score: float
    """The score it got."""
    justification: str
    """Why it got that score."""
    input: str | None = None
    """The input the model was given."""
    grading_context: dict[str, str] | str | None = None
    """Grading context by column name (e.g. ``{"targets": ...}``), or one string."""

    @property
    def context(self) -> dict[str, Any]:
        """``grading_context`` as a dict (a lone string is keyed ``"context"``)."""
        if self.grading_context is None:
            return {}
        if isinstance(self.grading_context, str):
            return {"context": self.grading_context}
        return dict(self.grading_context)

    def __str__(self) -> str:
        """The example as MLflow writes it into its prompt."""
        parts = [] if self.input is None else [f"Example Input:\n{self.input}\n"]
        parts.append(f"Example Output:\n{self.output}\n")
        if isinstance(self.grading_context, str):
            parts.append(f"Additional information used by the model:\n{self.grading_context}\n")
        elif self.grading_context:
            pairs = "\n".join(f"key: {k}\nvalue:\n{v}" for k, v in self.grading_context.items())
            parts.append(f"Additional information used by the model:\n{pairs}\n")
        parts.append(f"Example score: {self.score}\nExample justification: {self.justification}")
        return "\n" + "\n".join(parts) + "\n"


@dataclasses.dataclass(eq=False)
class _EvaluationMetric:
    """Stand-in with ``evalkit.metrics.EvaluationMetric``'s fields, used only where that
    class is not available."""

    eval_fn: Callable[..., Any]
    name: str
    greater_is_better: bool
    long_name: str | None = None
    version: str | None = None
    metric_details: str | None = None
    metric_metadata: dict[str, Any] | None = None
    genai_metric_args: dict[str, Any] | None = None


def _metric(**fields: Any) -> Any:
    """An ``evalkit.metrics.EvaluationMetric`` (the legacy adapter's type)."""
    try:
        cls = importlib.import_module("evalkit.legacy.metrics").EvaluationMetric
    except (ImportError, AttributeError):
        cls = _EvaluationMetric
    return cls(**fields)


@functools.cache
def _template() -> Template:
    names = ("name", "definition", "grading_prompt", "examples", "input", "output", "context")
    return Template(load_prompt("genai_metric"), allowed=names, owner="genai metric prompt")


def _column(value: Any) -> list[Any]:
    """A column argument (pandas Series, list, MetricValue of another metric) as a list."""
    if value is None:
        return []
    if isinstance(value, MetricValue):
        return list(value.scores or [])
    if hasattr(value, "tolist"):
        return list(value.tolist())
    if isinstance(value, str):
        return [value]
    return list(value)


@dataclasses.dataclass(frozen=True)
class RowGrading:
    """A genai metric's work on given columns, row by row, for the engine's pool to run.

    ``evalkit.evaluate`` (legacy form) runs ``grade(i)`` for every row as its own task on
    the evaluation's one pool, then ``finish`` -- no pool inside the metric.
    """

    n_rows: int
    """How many rows to grade."""
    grade: Callable[[int], Feedback]
    """Grades row ``i`` (never raises: a failure is a Feedback with an error)."""
    finish: Callable[[list[Feedback]], MetricValue]
    """The MetricValue of every row's Feedback, in row order."""

    def run(self, max_workers: int) -> MetricValue:
        """Grade every row, ``max_workers`` at a time, and finish (a direct ``eval_fn``
        call, outside ``evaluate``)."""
        feedbacks: list[Any] = [None] * self.n_rows

        def task(i: int) -> int:
            feedbacks[i] = self.grade(i)
            return 1

        workers = max(1, min(max_workers, self.n_rows))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="evalkit") as pool:
            run_tasks(self.n_rows, task, pool, workers)
        return self.finish(feedbacks)


def _safe(grade: Callable[[int], Feedback]) -> Callable[[int], Feedback]:
    def run(i: int) -> Feedback:
        try:
            return grade(i)
        except Exception as exc:  # one row's failure never loses the others
            return Feedback(error=AssessmentError.from_exception(exc))

    return run


def _metric_value(feedbacks: list[Feedback], aggregations: Sequence[Any]) -> MetricValue:
    scores: list[Any] = []
    justifications: list[str | None] = []
    for fb in feedbacks:
        if fb.error is not None:
            scores.append(None)
            justifications.append(f"{fb.error.error_code}: {fb.error.error_message}")
        else:
            scores.append(fb.value)
            justifications.append(_sanitize(fb.rationale))
    numbers = [float(s) for s in scores if s is not None]
    aggregates: dict[str, Any] = {}
    for agg in aggregations:
        key = agg if isinstance(agg, str) else getattr(agg, "__name__", "custom")
        fn = AGGREGATIONS[agg] if isinstance(agg, str) else agg
        if numbers:
            aggregates[key] = fn(numbers)
        else:  # as MLflow: NaN, and no p90 at all, when no row was scored
            aggregates[key] = None if key == "p90" else float("nan")
    return MetricValue(scores=scores, justifications=justifications, aggregate_results=aggregates)


_STEP_BY_STEP = re.compile(r"^\s*Let's think step by step\.?\s*", re.IGNORECASE)


def _sanitize(justification: str | None) -> str | None:
    """A justification without the "Let's think step by step" some judges start with (as
    MLflow strips it)."""
    if justification is None:
        return None
    return _STEP_BY_STEP.sub("", justification)


DEFAULT_PARAMETERS: dict[str, Any] = {"temperature": 0.0, "max_tokens": 200, "top_p": 1.0}
"""MLflow's judge parameters for genai metrics when ``parameters`` is not given."""


def _settings(
    model: str | None,
    parameters: dict[str, Any] | None,
    extra_headers: dict[str, str] | None,
    proxy_url: str | None,
) -> CallSettings:
    if model is not None:
        from evalkit.llm.models import parse_model_uri

        parse_model_uri(model)
    return CallSettings(
        model=model,
        parameters=dict(DEFAULT_PARAMETERS) if parameters is None else parameters,
        api_base=proxy_url,
        extra_headers=extra_headers,
    )


def _eval_fn(
    grade_rows: Callable[..., RowGrading],
    signature: inspect.Signature,
    name: str,
    max_workers: int,
    call_signature: inspect.Signature,
    required: Sequence[str],
) -> Callable[..., MetricValue]:
    """The metric's ``eval_fn``: grades every row when called; ``eval_fn.grade_rows`` hands
    the rows to the caller's pool instead (what ``evaluate`` does). ``call_signature`` is
    what calling the metric itself takes (``metric(predictions=..., ...)``)."""

    def eval_fn(*args: Any, **kwargs: Any) -> MetricValue:
        return grade_rows(*args, **kwargs).run(max_workers)

    eval_fn.__signature__ = signature  # type: ignore[attr-defined]
    eval_fn.__name__ = name
    eval_fn.grade_rows = grade_rows  # type: ignore[attr-defined]
    eval_fn.call_signature = call_signature  # type: ignore[attr-defined]
    eval_fn.required_arguments = tuple(required)  # type: ignore[attr-defined]
    return eval_fn


def _signature(names: Sequence[str]) -> inspect.Signature:
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    return inspect.Signature([inspect.Parameter(n, kind) for n in names])


def _keywords(required: Sequence[str], optional: Sequence[str]) -> inspect.Signature:
    kind = inspect.Parameter.KEYWORD_ONLY
    return inspect.Signature(
        [inspect.Parameter(n, kind) for n in required]
        + [inspect.Parameter(n, kind, default=None) for n in optional]
    )


def _version_of(version: str | None, what: str) -> str | None:
    if version not in (None, "v1"):
        raise JudgeError(
            f"Failed to find {what} for version {version}. Please check the correctness of "
            "the version (the versions are v1)"
        )
    return version


def _check_examples(examples: Sequence[EvaluationExample], columns: Sequence[str]) -> None:
    """MLflow's check: every example's grading context has exactly the grading columns."""
    for position, example in enumerate(examples):
        context = example.grading_context
        if context is None:
            continue
        keys = set(columns) if isinstance(context, str) and len(columns) == 1 else None
        if keys is None:
            keys = set(context) if isinstance(context, dict) else {"context"}
        if keys != set(columns):
            raise JudgeError(
                f"Example grading context does not contain required columns: examples[{position}] "
                f"has {sorted(keys)}, the grading_context_columns are {list(columns)}; give "
                "every example a grading_context with exactly those keys"
            )


def make_genai_metric(
    name: str,
    definition: str,
    grading_prompt: str,
    examples: list[EvaluationExample] | None = None,
    version: str | None = "v1",
    model: str | None = None,
    grading_context_columns: str | list[str] | None = None,
    include_input: bool = True,
    parameters: dict[str, Any] | None = None,
    aggregations: list[str] | None = None,
    greater_is_better: bool = True,
    max_workers: int = 10,
    metric_metadata: dict[str, Any] | None = None,
    extra_headers: dict[str, str] | None = None,
    proxy_url: str | None = None,
) -> Any:
    """Create an LLM-judged legacy metric that scores each row from 1 to 5 with a justification.

    Args:
        name: The metric name.
        definition: What the metric measures.
        grading_prompt: The rubric: what each score from 1 to 5 means.
        examples: Graded examples shown to the judge.
        version: The metric version; results are keyed ``"<name>/<version>/<aggregation>"``.
        model: The judge model URI (default: the default judge model).
        grading_context_columns: Columns (or other metrics' names) the judge also sees, e.g.
            ``["targets"]`` or ``["context"]``; each becomes a parameter of ``eval_fn``.
        include_input: Whether the judge sees the model input (the ``inputs`` column).
        parameters: Model parameters (default MLflow's ``{"temperature": 0.0, "max_tokens":
            200, "top_p": 1.0}``).
        aggregations: Aggregations of the scores (default ``mean``, ``variance``, ``p90``).
        greater_is_better: Whether a higher score is better.
        max_workers: Rows graded at once.
        metric_metadata: Free-form metadata.
        extra_headers: HTTP headers added to every judge request.
        proxy_url: The server to call instead of the provider's default.

    Returns:
        An ``evalkit.metrics.EvaluationMetric``; ``metric_details`` holds the grading prompt.

    Raises:
        JudgeError: An empty name, definition or rubric, or a malformed model URI.
        ScorerError: An unknown aggregation.
    """
    version = _version_of(version, "evaluation model")
    columns = (
        [grading_context_columns]
        if isinstance(grading_context_columns, str)
        else list(grading_context_columns or [])
    )
    shots = list(examples or [])
    _check_examples(shots, columns)
    for label, text in (
        ("name", name),
        ("definition", definition),
        ("grading_prompt", grading_prompt),
    ):
        if not isinstance(text, str) or not text.strip():
            raise JudgeError(f"make_genai_metric: {label} must be a non-empty string")
    aggs = validate_aggregations(list(aggregations or _DEFAULT_AGGREGATIONS), name)  # type: ignore[arg-type]
    settings = _settings(model, parameters, extra_headers, proxy_url)
    # MLflow's order: eval_fn(predictions, metrics, inputs, *grading_context_columns);
    # ``inputs`` is taken even when the judge does not see it (include_input=False).
    signature = _signature(["predictions", "metrics", "inputs", *columns])

    def grade_rows(*args: Any, **kwargs: Any) -> RowGrading:
        # as MLflow's eval_fn(predictions, metrics, inputs, *args): extra columns are ignored
        args = args[: len(signature.parameters)]
        bound = signature.bind_partial(*args, **kwargs).arguments
        missing = [p for p in ("predictions", *columns) if p not in bound]
        if missing:
            raise JudgeError(f"metric {name!r}: missing argument(s) {', '.join(missing)}")
        outputs = _column(bound["predictions"])
        inputs = _column(bound.get("inputs")) if include_input else []
        context = {c: _column(bound[c]) for c in columns}
        malformed = {c: bound[c] for c, values in context.items() if len(values) < len(outputs)}
        if malformed:
            raise JudgeError(
                "Values for grading_context_columns are malformed and cannot be formatted "
                f"into a prompt for metric {name!r}.\nProvided values: {malformed}\n"
                f"Each needs one value per prediction ({len(outputs)})."
            )

        def grade(i: int) -> Feedback:
            task = _template().render(
                {
                    "name": name,
                    "definition": definition,
                    "grading_prompt": grading_prompt,
                    "examples": shots,
                    "input": inputs[i] if include_input and i < len(inputs) else None,
                    "output": outputs[i],
                    "context": {c: values[i] for c, values in context.items()},
                }
            )
            return assess(task, _SCORE, name=name, settings=settings)

        return RowGrading(len(outputs), _safe(grade), lambda fbs: _metric_value(fbs, aggs))

    eval_fn = _eval_fn(
        grade_rows,
        signature,
        name,
        max_workers,
        _keywords(["predictions", "inputs"], ["metrics", *columns]),
        columns,
    )
    # what evaluate() may leave unfilled: the metric values, and the input the judge won't see
    eval_fn.optional_arguments = ("metrics",) if include_input else ("metrics", "inputs")  # type: ignore[attr-defined]
    details = _template().render(
        {
            "name": name,
            "definition": definition,
            "grading_prompt": grading_prompt,
            "examples": shots,
            "input": "{inputs}" if include_input else None,
            "output": "{predictions}",
            "context": {c: "{" + c + "}" for c in columns},
        }
    )
    return _metric(
        eval_fn=eval_fn,
        name=name,
        greater_is_better=greater_is_better,
        version=version,
        metric_details=details,
        metric_metadata=metric_metadata,
        genai_metric_args={
            "name": name,
            "definition": definition,
            "grading_prompt": grading_prompt,
            "examples": shots,
            "version": version,
            "model": model or _default_model(),
            "grading_context_columns": columns,
            "include_input": include_input,
            "parameters": parameters,
            "aggregations": aggregations,
            "greater_is_better": greater_is_better,
            "max_workers": max_workers,
            "metric_metadata": metric_metadata,
            "evalkit_version": _version(),
            "fn_name": "make_genai_metric",
        },
    )


def _default_model() -> str:
    from evalkit.llm.config import get_default_model

    return get_default_model()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("evalkit")
    except PackageNotFoundError:  # pragma: no cover - a source checkout without metadata
        return "unknown"


_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{(\w+)\}")


def make_genai_metric_from_prompt(
    name: str,
    judge_prompt: str | None = None,
    model: str | None = None,
    parameters: dict[str, Any] | None = None,
    aggregations: list[str] | None = None,
    greater_is_better: bool = True,
    max_workers: int = 10,
    metric_metadata: dict[str, Any] | None = None,
    extra_headers: dict[str, str] | None = None,
    proxy_url: str | None = None,
) -> Any:
    """Create an LLM-judged legacy metric from a whole judge prompt with ``{variable}`` slots.

    Each ``{variable}`` becomes a parameter of ``eval_fn``, filled by name from the data
    (``{{``/``}}`` are literal braces). The values are inserted as delimited data, never
    formatted again. The judge answers a whole-number score and a justification.

    Args:
        name: The metric name.
        judge_prompt: The prompt, e.g. ``"... input: {input} and output: {output}."``.
        model: The judge model URI (default: the default judge model).
        parameters: Model parameters (default MLflow's ``{"temperature": 0.0, "max_tokens":
            200, "top_p": 1.0}``).
        aggregations: Aggregations of the scores (default ``mean``, ``variance``, ``p90``).
        greater_is_better: Whether a higher score is better.
        max_workers: Rows graded at once.
        metric_metadata: Free-form metadata.
        extra_headers: HTTP headers added to every judge request.
        proxy_url: The server to call instead of the provider's default.

    Raises:
        JudgeError: No prompt, or a prompt without any ``{variable}``.
    """
    if not isinstance(judge_prompt, str) or not judge_prompt.strip():
        raise JudgeError(f"make_genai_metric_from_prompt {name!r}: judge_prompt is empty")
    variables = list(
        dict.fromkeys(m.group(1) for m in _PLACEHOLDER.finditer(judge_prompt) if m.group(1))
    )
    if not variables:
        raise JudgeError(
            f"make_genai_metric_from_prompt {name!r}: the prompt has no {{variable}}, so the "
            "judge would see no data; write e.g. 'input: {input}, output: {output}'"
        )
    aggs = validate_aggregations(list(aggregations or _DEFAULT_AGGREGATIONS), name)  # type: ignore[arg-type]
    settings = _settings(model, parameters, extra_headers, proxy_url)
    signature = _signature(variables)

    def fill(values: dict[str, Any]) -> str:
        def one(match: re.Match[str]) -> str:
            if match.group(1) is None:
                return match.group(0)[0]
            return fence(values[match.group(1)])

        return _PLACEHOLDER.sub(one, judge_prompt)

    def grade_rows(*args: Any, **kwargs: Any) -> RowGrading:
        bound = signature.bind_partial(*args, **kwargs).arguments
        missing = [v for v in variables if v not in bound]
        if missing:
            raise JudgeError(
                f"Missing variable inputs to eval_fn: {', '.join(missing)} (the prompt of "
                f"metric {name!r} uses {', '.join(variables)})"
            )
        columns = {v: _column(bound[v]) for v in variables}
        n = max((len(c) for c in columns.values()), default=0)

        def grade(i: int) -> Feedback:
            task = fill({v: c[i] if i < len(c) else None for v, c in columns.items()})
            return assess(task, int, name=name, settings=settings)

        return RowGrading(n, _safe(grade), lambda fbs: _metric_value(fbs, aggs))

    eval_fn = _eval_fn(
        grade_rows,
        signature,
        name,
        max_workers,
        _keywords(variables, [] if "predictions" in variables else ["predictions"]),
        [],
    )
    return _metric(
        eval_fn=eval_fn,
        name=name,
        greater_is_better=greater_is_better,
        metric_details=judge_prompt,
        metric_metadata=metric_metadata,
        genai_metric_args={
            "name": name,
            "judge_prompt": judge_prompt,
            "model": model or _default_model(),
            "parameters": parameters,
            "aggregations": aggregations,
            "greater_is_better": greater_is_better,
            "max_workers": max_workers,
            "metric_metadata": metric_metadata,
            "evalkit_version": _version(),
            "fn_name": "make_genai_metric_from_prompt",
        },
    )


def _builtin(
    key: str,
    model: str | None,
    metric_version: str | None,
    examples: list[EvaluationExample] | None,
    metric_metadata: dict[str, Any] | None,
    parameters: dict[str, Any] | None,
    extra_headers: dict[str, str] | None,
    proxy_url: str | None,
    max_workers: int,
) -> Any:
    spec = DEFINITIONS[key]
    version = metric_version or "v1"
    if version != "v1":
        raise JudgeError(
            f"Failed to find {key.replace('_', ' ')} metric for version {version}; "
            "the versions are v1"
        )
    return make_genai_metric(
        name=key,
        definition=spec["definition"],
        grading_prompt=spec["grading_prompt"],
        examples=examples,
        version=version,
        model=model,
        grading_context_columns=spec["columns"],
        include_input=spec["include_input"],
        parameters=parameters,
        greater_is_better=True,
        max_workers=max_workers,
        metric_metadata=metric_metadata,
        extra_headers=extra_headers,
        proxy_url=proxy_url,
    )


def answer_similarity(
    model: str | None = None,
    metric_version: str | None = None,
    examples: list[EvaluationExample] | None = None,
    metric_metadata: dict[str, Any] | None = None,
    parameters: dict[str, Any] | None = None,
    extra_headers: dict[str, str] | None = None,
    proxy_url: str | None = None,
    max_workers: int = 10,
) -> Any:
    """How close the output's meaning is to the ``targets`` (1-5). Needs ``targets``."""
    return _builtin(
        "answer_similarity", model, metric_version, examples, metric_metadata, parameters,
        extra_headers, proxy_url, max_workers,
    )  # fmt: skip


def answer_correctness(
    model: str | None = None,
    metric_version: str | None = None,
    examples: list[EvaluationExample] | None = None,
    metric_metadata: dict[str, Any] | None = None,
    parameters: dict[str, Any] | None = None,
    extra_headers: dict[str, str] | None = None,
    proxy_url: str | None = None,
    max_workers: int = 10,
) -> Any:
    """How factually correct the output is, judged against the ``targets`` (1-5)."""
    return _builtin(
        "answer_correctness", model, metric_version, examples, metric_metadata, parameters,
        extra_headers, proxy_url, max_workers,
    )  # fmt: skip


def answer_relevance(
    model: str | None = None,
    metric_version: str | None = "v1",
    examples: list[EvaluationExample] | None = None,
    metric_metadata: dict[str, Any] | None = None,
    parameters: dict[str, Any] | None = None,
    extra_headers: dict[str, str] | None = None,
    proxy_url: str | None = None,
    max_workers: int = 10,
) -> Any:
    """How well the output addresses the input (1-5)."""
    return _builtin(
        "answer_relevance", model, metric_version, examples, metric_metadata, parameters,
        extra_headers, proxy_url, max_workers,
    )  # fmt: skip


def relevance(
    model: str | None = None,
    metric_version: str | None = None,
    examples: list[EvaluationExample] | None = None,
    metric_metadata: dict[str, Any] | None = None,
    parameters: dict[str, Any] | None = None,
    extra_headers: dict[str, str] | None = None,
    proxy_url: str | None = None,
    max_workers: int = 10,
) -> Any:
    """How relevant and significant the output is to the input and ``context`` (1-5)."""
    return _builtin(
        "relevance", model, metric_version, examples, metric_metadata, parameters,
        extra_headers, proxy_url, max_workers,
    )  # fmt: skip


def faithfulness(
    model: str | None = None,
    metric_version: str | None = "v1",
    examples: list[EvaluationExample] | None = None,
    metric_metadata: dict[str, Any] | None = None,
    parameters: dict[str, Any] | None = None,
    extra_headers: dict[str, str] | None = None,
    proxy_url: str | None = None,
    max_workers: int = 10,
) -> Any:
    """How consistent the output's claims are with the ``context`` (1-5), ignoring the input."""
    return _builtin(
        "faithfulness", model, metric_version, examples, metric_metadata, parameters,
        extra_headers, proxy_url, max_workers,
    )  # fmt: skip
