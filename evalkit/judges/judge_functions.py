"""Judge functions with MLflow's names and arguments: ``is_correct``, ``is_safe``, ...

Each asks the judge model one yes/no question and returns a ``Feedback`` whose value is
``"yes"`` or ``"no"`` (aggregated as 1/0), with the model's rationale; a failed call or an
unreadable answer gives ``Feedback.error``. Each asks the prompt of the built-in judge it
mirrors (``evalkit/judges/builtin/<judge>.jinja``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Literal

from evalkit.entities import Feedback
from evalkit.errors import JudgeError
from evalkit.judges.base import CallSettings, assess
from evalkit.judges.builtin._common import YES_NO, context_text, expected
from evalkit.judges.builtin.correctness import PROMPT as CORRECTNESS
from evalkit.judges.builtin.guidelines import PROMPT as GUIDELINES
from evalkit.judges.builtin.retrieval_groundedness import PROMPT as GROUNDEDNESS
from evalkit.judges.builtin.retrieval_relevance import PROMPT as CONTEXT_RELEVANCE
from evalkit.judges.builtin.retrieval_sufficiency import PROMPT as CONTEXT_SUFFICIENCY
from evalkit.judges.builtin.safety import PROMPT as SAFETY
from evalkit.judges.templates import Template, trusted

__all__ = [
    "YES_NO",
    "custom_prompt_judge",
    "is_context_relevant",
    "is_context_sufficient",
    "is_correct",
    "is_grounded",
    "is_safe",
    "meets_guidelines",
]


def _settings(model: str | None) -> CallSettings:
    if model is not None:
        from evalkit.llm.models import parse_model_uri

        parse_model_uri(model)
    return CallSettings(model=model)


def is_correct(
    *,
    request: str,
    response: str,
    expected_facts: list[str] | None = None,
    expected_response: str | None = None,
    name: str | None = None,
    model: str | None = None,
) -> Feedback:
    """Whether ``response`` answers ``request`` correctly, judged against the ground truth.

    Args:
        request: The question or input to the application.
        response: The application's answer.
        expected_facts: Facts a correct answer states (used when given).
        expected_response: The correct answer (used when there are no expected facts).
        name: The feedback's name (default ``"correctness"``).
        model: The judge model URI (default: the default judge model).

    Returns:
        ``Feedback`` with value ``"yes"`` (correct) or ``"no"``, and a rationale.

    Raises:
        JudgeError: Neither expected_facts nor expected_response is given.
    """
    task = CORRECTNESS.render(
        request=request,
        response=response,
        **expected(expected_facts, expected_response, "is_correct"),
    )
    return assess(task, YES_NO, name=name or "correctness", settings=_settings(model))


def is_safe(*, content: str, name: str | None = None, model: str | None = None) -> Feedback:
    """Whether ``content`` is free of harmful, offensive or dangerous material.

    Returns:
        ``Feedback`` with value ``"yes"`` (safe) or ``"no"`` (unsafe), and a rationale.
    """
    task = SAFETY.render(content=content)
    return assess(task, YES_NO, name=name or "safety", settings=_settings(model))


def is_grounded(
    *, request: str, response: str, context: Any, name: str | None = None, model: str | None = None
) -> Feedback:
    """Whether every claim of ``response`` is supported by the retrieved ``context``.

    Args:
        request: The question or input to the application.
        response: The application's answer.
        context: The retrieved documents: a string, a document dict (``content`` or
            ``page_content``) or a list of either.
        name: The feedback's name (default ``"groundedness"``).
        model: The judge model URI.

    Returns:
        ``Feedback`` with value ``"yes"`` (grounded) or ``"no"``, and a rationale.
    """
    task = GROUNDEDNESS.render(request=request, response=response, context=context_text(context))
    return assess(task, YES_NO, name=name or "groundedness", settings=_settings(model))


def is_context_relevant(
    *, request: str, context: Any, name: str | None = None, model: str | None = None
) -> Feedback:
    """Whether the retrieved ``context`` helps to answer ``request``.

    Returns:
        ``Feedback`` with value ``"yes"`` (relevant) or ``"no"``, and a rationale.
    """
    task = CONTEXT_RELEVANCE.render(request=request, context=context_text(context))
    return assess(task, YES_NO, name=name or "relevance_to_context", settings=_settings(model))


def is_context_sufficient(
    *,
    request: str,
    context: Any,
    expected_facts: list[str] | None = None,
    expected_response: str | None = None,
    name: str | None = None,
    model: str | None = None,
) -> Feedback:
    """Whether the retrieved ``context`` holds everything the expected answer needs.

    Returns:
        ``Feedback`` with value ``"yes"`` (sufficient) or ``"no"``, and a rationale.

    Raises:
        JudgeError: Neither expected_facts nor expected_response is given.
    """
    task = CONTEXT_SUFFICIENCY.render(
        request=request,
        context=context_text(context),
        **expected(expected_facts, expected_response, "is_context_sufficient"),
    )
    return assess(task, YES_NO, name=name or "context_sufficiency", settings=_settings(model))


def meets_guidelines(
    *,
    guidelines: str | list[str],
    context: Mapping[str, Any],
    name: str | None = None,
    model: str | None = None,
) -> Feedback:
    """Whether the material in ``context`` meets every guideline.

    Args:
        guidelines: One guideline or a list of them, in plain language.
        context: What to check, by name, e.g. ``{"request": ..., "response": ...}``.
        name: The feedback's name (default ``"guideline_adherence"``).
        model: The judge model URI.

    Returns:
        ``Feedback`` with value ``"yes"`` (all met) or ``"no"``, and a rationale.

    Raises:
        JudgeError: No guideline, or a context that is not a dict.
    """
    listed = [guidelines] if isinstance(guidelines, str) else list(guidelines)
    if not listed or not all(isinstance(g, str) and g.strip() for g in listed):
        raise JudgeError("meets_guidelines needs at least one guideline, each a non-empty string")
    if not isinstance(context, Mapping) or not context:
        raise JudgeError(
            'meets_guidelines needs context as a dict of what to check, e.g. {"response": ...}'
        )
    task = GUIDELINES.render(guidelines=[trusted(g) for g in listed], context=dict(context))
    return assess(task, YES_NO, name=name or "guideline_adherence", settings=_settings(model))


_CHOICE = re.compile(r"\[\[([\w ]+?)\]\]")


def custom_prompt_judge(
    *,
    name: str,
    prompt_template: str,
    numeric_values: dict[str, float] | None = None,
    model: str | None = None,
) -> Callable[..., Feedback]:
    """A judge from a prompt whose answer is one of the ``[[choice]]`` options it lists.

    Args:
        name: The feedback's name.
        prompt_template: The prompt, with ``{{ variable }}`` placeholders (any names) and the
            choices written ``[[choice]]``, e.g. ``"[[formal]]: the response is formal."``.
        numeric_values: Maps each choice to a number to report instead of the choice.
        model: The judge model URI.

    Returns:
        A function taking the template's variables as keyword arguments and returning a
        ``Feedback`` whose value is the chosen option (or its number).

    Raises:
        JudgeError: The template lists no ``[[choice]]``, has a syntax error, or
            ``numeric_values`` does not cover exactly the choices.
    """
    choices = tuple(dict.fromkeys(c.strip() for c in _CHOICE.findall(prompt_template or "")))
    if not choices:
        raise JudgeError(
            f"custom_prompt_judge {name!r}: the prompt lists no choices; write each option as "
            "[[choice]], e.g. '[[yes]]: the response is formal'"
        )
    if numeric_values is not None and set(numeric_values) != set(choices):
        raise JudgeError(
            f"custom_prompt_judge {name!r}: numeric_values must map exactly the choices "
            f"{', '.join(choices)}; got {', '.join(map(str, numeric_values)) or 'none'}"
        )
    template = Template(prompt_template, allowed=None, owner=f"custom_prompt_judge {name!r}")
    value_type = Literal[choices]  # type: ignore[valid-type]
    settings = _settings(model)

    def judge(**values: Any) -> Feedback:
        missing = [v for v in template.variables if v not in values]
        unknown = [k for k in values if k not in template.variables]
        if missing or unknown:
            raise JudgeError(
                f"custom_prompt_judge {name!r} takes the keyword arguments "
                f"{', '.join(template.variables) or '(none)'}"
                + (f"; missing: {', '.join(missing)}" if missing else "")
                + (f"; unknown: {', '.join(unknown)}" if unknown else "")
            )
        feedback = assess(template.render(values), value_type, name=name, settings=settings)
        if numeric_values is None or feedback.error is not None:
            return feedback
        return Feedback(
            name=feedback.name,
            value=numeric_values[feedback.value],
            rationale=feedback.rationale,
            source=feedback.source,
            metadata={**feedback.metadata, "choice": feedback.value},
        )

    judge.__name__ = name
    judge.__doc__ = f"custom prompt judge {name!r}; choices: {', '.join(choices)}"
    return judge
