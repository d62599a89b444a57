"""The judge machinery: ask the model, read the verdict, retry once, return a ``Feedback``.

Every judge (``make_judge`` judges, the built-in judges and judge functions) sends two
messages: a system message that frames the task and asks for
``{"rationale": ..., "result": ...}`` (``prompts/system.jinja``), and a user message with the
rendered task, where the evaluated text sits between ``<data>`` tags. The answer is read
tolerantly (:mod:`evalkit.judges.parsing`); when it does not fit the declared type the model
is asked once more, shown its answer and what was wrong with it. A verdict that still does
not fit, or a model call that fails for good, becomes ``Feedback.error`` (never a NaN).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from typing import Any

from evalkit.entities import AssessmentError, AssessmentSource, AssessmentSourceType, Feedback
from evalkit.errors import ErrorCode, JudgeError
from evalkit.judges.parsing import (
    JudgeOutputError,
    describe_value_type,
    parse_answer,
    response_format,
)
from evalkit.judges.templates import Template, load_prompt
from evalkit.llm import ModelCallError, ModelResponse, complete, forget
from evalkit.llm.config import get_default_model
from evalkit.scorers.base import Scorer

__all__ = ["CallSettings", "Judge", "JudgeField", "assess", "system_prompt"]

INVALID_OUTPUT = ErrorCode.INVALID_JUDGE_OUTPUT
"""``Feedback.error.error_code`` when the judge's answer could not be read, even on retry."""


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class CallSettings:
    """How a judge reaches its model."""

    model: str | None = None
    """The model URI; ``None``: :func:`~evalkit.judges.get_default_model` at call time."""
    parameters: Mapping[str, Any] | None = None
    """Sent with every request, over ``temperature=0`` and the default ``max_tokens``."""
    api_base: str | None = None
    """The server to call instead of the provider's default (MLflow's ``proxy_url``)."""
    extra_headers: Mapping[str, str] | None = None
    """HTTP headers added to every request."""
    call_options: Mapping[str, Any] | None = None
    """More keyword arguments of :func:`evalkit.llm.complete` (``timeout``,
    ``max_retries``, ``initial_backoff``, ``max_backoff``)."""


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class JudgeField:
    """A record field a judge reads (MLflow's ``JudgeField``): its name and meaning."""

    name: str
    """``"inputs"``, ``"outputs"``, ``"expectations"`` or ``"trace"``."""
    description: str
    """What the judge expects in it."""


_FIELD_DESCRIPTIONS = {
    "inputs": "The inputs of the application (a dict of its arguments).",
    "outputs": "What the application answered.",
    "expectations": "The expected answer or facts (a dict), the ground truth.",
    "trace": "The trace of the application's run.",
}


@functools.cache
def _system_template() -> Template:
    return Template(
        load_prompt("system"),
        allowed=("result_description",),
        owner="system prompt",
        require_variable=True,
    )


def system_prompt(value_type: Any) -> str:
    """The system message every judge sends for a verdict of ``value_type``."""
    return _system_prompt_for(describe_value_type(value_type))


@functools.lru_cache(maxsize=256)
def _system_prompt_for(result_description: str) -> str:
    # the same few texts for every call of a run: rendering each time was about a tenth of
    # a judge call's CPU
    return _system_template().render({"result_description": result_description})


def _retry_message(error: JudgeOutputError, value_type: Any) -> str:
    return (
        f"Your answer could not be used: {error}. Reply again with only one JSON object, "
        '{"rationale": "<your reasoning>", "result": <verdict>}, where "result" is '
        f"{describe_value_type(value_type)}."
    )


def _usage(responses: list[ModelResponse], model: str) -> dict[str, Any]:
    def total(values: list[Any]) -> Any:
        return None if any(v is None for v in values) else sum(values)

    return {
        "model": model,
        "input_tokens": total([r.input_tokens for r in responses]),
        "output_tokens": total([r.output_tokens for r in responses]),
        "cost": total([r.cost for r in responses]),
        "latency": sum(r.latency for r in responses),
        "model_calls": len(responses),
        "attempts": sum(r.attempts for r in responses),
    }


def assess(
    task: str,
    value_type: Any,
    *,
    name: str,
    settings: CallSettings,
) -> Feedback:
    """Ask the model for a verdict of ``value_type`` on a rendered ``task``.

    Args:
        task: The user message: the rendered task, evaluated text inside ``<data>`` tags.
        value_type: The verdict's type (Literal choices, bool, int, float or str).
        name: The ``Feedback``'s name.
        settings: How to reach the model.

    Returns:
        ``Feedback(value, rationale, source=LLM_JUDGE/<model>)`` with token usage and cost in
        ``metadata``; or ``Feedback(error=...)`` with the model error's code (``TIMEOUT``,
        ``RATE_LIMITED``, ...) or ``INVALID_JUDGE_OUTPUT``.
    """
    model = settings.model or get_default_model()
    source = AssessmentSource(source_type=AssessmentSourceType.LLM_JUDGE, source_id=model)
    messages = [
        {"role": "system", "content": system_prompt(value_type)},
        {"role": "user", "content": task},
    ]
    fmt = response_format(name, value_type)
    responses: list[ModelResponse] = []

    def call() -> ModelResponse:
        response = complete(
            model,
            messages,
            response_format=fmt,
            parameters=dict(settings.parameters) if settings.parameters else None,
            api_base=settings.api_base,
            extra_headers=dict(settings.extra_headers) if settings.extra_headers else None,
            **dict(settings.call_options or {}),
        )
        responses.append(response)
        return response

    try:
        first = call()
        try:
            answer = parse_answer(first.text, value_type)
        except JudgeOutputError as problem:
            messages.append({"role": "assistant", "content": first.text})
            messages.append({"role": "user", "content": _retry_message(problem, value_type)})
            second = call()
            try:
                answer = parse_answer(second.text, value_type)
            except JudgeOutputError as again:
                forget(responses)  # a retried evaluation asks the model, not the cache
                return Feedback(
                    name=name,
                    source=source,
                    error=AssessmentError(
                        error_code=INVALID_OUTPUT,
                        error_message=(
                            f"the judge's answer could not be read as "
                            f"{describe_value_type(value_type)}, even when asked again: {again}"
                        ),
                    ),
                    metadata={**_usage(responses, model), "raw_answer": second.text[:2000]},
                )
    except ModelCallError as exc:
        forget(responses)
        return Feedback(
            name=name,
            source=source,
            error=AssessmentError(error_code=exc.code, error_message=str(exc)),
            metadata=_usage(responses, model) if responses else {"model": model},
        )
    return Feedback(
        name=name,
        value=answer.value,
        rationale=answer.rationale,
        source=source,
        metadata=_usage(responses, model),
    )


class Judge(Scorer):
    """Base class of LLM judges: a scorer that asks a model for its verdict.

    A judge implements :meth:`~evalkit.scorers.Scorer.score` with the record fields it
    needs as typed keyword parameters, renders its task and returns ``self._assess(task,
    value_type)``; calling the judge runs ``score``. The built-in judges in
    :mod:`evalkit.judges.builtin` are written this way.

    Args:
        name: The metric name.
        aggregations: Aggregations over rows (default ``["mean"]``; ``"yes"``/``"no"`` count
            as 1/0).
        model: The judge model URI, e.g. ``"openai:/gpt-4.1-mini"`` or
            ``"anthropic:/claude-sonnet-4-0"``; default: :func:`evalkit.judges.get_default_model`.
        parameters: Sent with every request (e.g. ``{"temperature": 0.2}``).
        api_base: The server to call (MLflow's ``proxy_url``).
        extra_headers: HTTP headers added to every request.
        call_options: More options of :func:`evalkit.llm.complete`: ``timeout``,
            ``max_retries``, ``initial_backoff``, ``max_backoff``.
    """

    model: str | None = None
    """The judge model URI; ``None`` means the default judge model."""
    parameters: dict[str, Any] | None = None
    """Model parameters sent with every request."""
    api_base: str | None = None
    """The server to call instead of the provider's default."""
    extra_headers: dict[str, str] | None = None
    """HTTP headers added to every request."""
    call_options: dict[str, Any] | None = None
    """Timeout and retry options of the model client."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.model is not None:
            from evalkit.llm.models import parse_model_uri

            parse_model_uri(self.model)  # a malformed URI fails when the judge is built

    @property
    def settings(self) -> CallSettings:
        """How this judge reaches its model."""
        return CallSettings(
            model=self.model,
            parameters=self.parameters,
            api_base=self.api_base,
            extra_headers=self.extra_headers,
            call_options=self.call_options,
        )

    def align(self, labeled: Any, **options: Any) -> Judge:
        """Improve this judge from human labels (MLflow's ``judge.align``).

        Implemented by :func:`~evalkit.judges.make_judge` judges (see
        :func:`evalkit.judges.alignment.align`); :func:`evalkit.judges.agreement` measures
        any judge.

        Raises:
            UsageError: This judge cannot be aligned.
        """
        from evalkit.errors import UsageError

        raise UsageError(
            f"judge {self.name!r} ({type(self).__name__}) cannot be aligned; align a "
            "make_judge(...) judge, or measure this one with evalkit.judges.agreement()"
        )

    def get_input_fields(self) -> list[JudgeField]:
        """The record fields this judge reads (MLflow's ``get_input_fields``)."""
        return [
            JudgeField(name=a, description=_FIELD_DESCRIPTIONS.get(a, a)) for a in self.arguments
        ]

    @property
    def required_columns(self) -> set[str]:
        """The record fields this judge cannot do without (MLflow's ``required_columns``)."""
        return set(self.required_arguments)

    def validate_columns(self, columns: set[str]) -> None:
        """Check that data with ``columns`` has every field this judge needs.

        Raises:
            JudgeError: A required field is missing; the message names it.
        """
        missing = sorted(self.required_columns - set(columns))
        if missing:
            raise JudgeError(
                f"judge {self.name!r} needs the column(s) {', '.join(missing)}, which the data "
                f"lacks (it has {', '.join(sorted(columns)) or 'none'})"
            )

    def _assess(self, task: str, value_type: Any, name: str | None = None) -> Feedback:
        return assess(task, value_type, name=name or self.name, settings=self.settings)
