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


@dataclasses.dataclass(frozen=True, kw_only=True)
class EvaluationExample:
    """A graded example shown to the judge as a few-shot reference
    (``mlflow.metrics.genai.EvaluationExample``)."""

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
        lines = [] if self.input is None else [f"Input: {self.input}"]
        lines.append(f"Provided output: {self.output}")
        lines.extend(f"Provided {k}: {v}" for k, v in self.context.items())
        lines += [f"Score: {self.score:g}", f"Justification: {self.justification}"]
        return "\n".join(lines)


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
            justifications.append(fb.rationale)
    numbers = [float(s) for s in scores if s is not None]
    aggregates: dict[str, float] = {}
    for agg in aggregations:
        key = agg if isinstance(agg, str) else getattr(agg, "__name__", "custom")
        fn = AGGREGATIONS[agg] if isinstance(agg, str) else agg
        aggregates[key] = fn(numbers) if numbers else float("nan")
    return MetricValue(scores=scores, justifications=justifications, aggregate_results=aggregates)


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
        model=model, parameters=parameters, api_base=proxy_url, extra_headers=extra_headers
    )


def _eval_fn(
    grade_rows: Callable[..., RowGrading],
    signature: inspect.Signature,
    name: str,
    max_workers: int,
) -> Callable[..., MetricValue]:
    """The metric's ``eval_fn``: grades every row when called; ``eval_fn.grade_rows`` hands
    the rows to the caller's pool instead (what ``evaluate`` does)."""

    def eval_fn(*args: Any, **kwargs: Any) -> MetricValue:
        return grade_rows(*args, **kwargs).run(max_workers)

    eval_fn.__signature__ = signature  # type: ignore[attr-defined]
    eval_fn.__name__ = name
    eval_fn.grade_rows = grade_rows  # type: ignore[attr-defined]
    return eval_fn


def _signature(names: Sequence[str]) -> inspect.Signature:
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    return inspect.Signature([inspect.Parameter(n, kind) for n in names])


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
        parameters: Model parameters (default temperature 0).
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
    for label, text in (
        ("name", name),
        ("definition", definition),
        ("grading_prompt", grading_prompt),
    ):
        if not isinstance(text, str) or not text.strip():
            raise JudgeError(f"make_genai_metric: {label} must be a non-empty string")
    columns = (
        [grading_context_columns]
        if isinstance(grading_context_columns, str)
        else list(grading_context_columns or [])
    )
    aggs = validate_aggregations(list(aggregations or _DEFAULT_AGGREGATIONS), name)  # type: ignore[arg-type]
    settings = _settings(model, parameters, extra_headers, proxy_url)
    shots = list(examples or [])
    params = ["predictions", *(["inputs"] if include_input else []), *columns]
    signature = _signature(params)

    def grade_rows(*args: Any, **kwargs: Any) -> RowGrading:
        bound = signature.bind(*args, **kwargs).arguments
        outputs = _column(bound["predictions"])
        inputs = _column(bound.get("inputs")) if include_input else []
        context = {c: _column(bound[c]) for c in columns}

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

    eval_fn = _eval_fn(grade_rows, signature, name, max_workers)
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
            "model": model,
            "grading_context_columns": columns,
            "include_input": include_input,
            "parameters": parameters,
            "aggregations": aggregations,
            "greater_is_better": greater_is_better,
            "max_workers": max_workers,
        },
    )


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
        parameters: Model parameters (default temperature 0).
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
        bound = signature.bind(*args, **kwargs).arguments
        columns = {v: _column(bound[v]) for v in variables}
        n = max((len(c) for c in columns.values()), default=0)

        def grade(i: int) -> Feedback:
            task = fill({v: c[i] if i < len(c) else None for v, c in columns.items()})
            return assess(task, int, name=name, settings=settings)

        return RowGrading(n, _safe(grade), lambda fbs: _metric_value(fbs, aggs))

    eval_fn = _eval_fn(grade_rows, signature, name, max_workers)
    return _metric(
        eval_fn=eval_fn,
        name=name,
        greater_is_better=greater_is_better,
        metric_details=judge_prompt,
        metric_metadata=metric_metadata,
        genai_metric_args={
            "name": name,
            "judge_prompt": judge_prompt,
            "model": model,
            "parameters": parameters,
            "aggregations": aggregations,
            "greater_is_better": greater_is_better,
            "max_workers": max_workers,
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
        raise JudgeError(f"{key}: metric_version {version!r} does not exist; the versions are v1")
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
