"""Judge prompt templates: Jinja2, sandboxed, checked when the judge is built.

* Rendering runs in Jinja2's :class:`~jinja2.sandbox.ImmutableSandboxedEnvironment` with
  :class:`~jinja2.StrictUndefined`: a template can read its variables and their fields
  (``{{ inputs.question }}``) but cannot reach Python internals, and a missing field is an
  error, never an empty string.
* Every value a ``{{ ... }}`` inserts is evaluated text, so it goes into the prompt as data:
  wrapped in ``<data>`` ... ``</data>`` (dicts and lists as JSON), with any ``<data>`` tags
  inside it neutralised so the text cannot close the block and pose as instructions. Values
  are inserted once and never rendered again: ``{{`` inside an answer stays literal text.
* ``{{ x | plain }}`` inserts text the template's author vouches for (a guideline, a
  label) without the data delimiters.
* The built-in judges' prompts are template files in ``evalkit/judges/prompts/``.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any

from evalkit.errors import JudgeError

__all__ = [
    "DATA_CLOSE",
    "DATA_OPEN",
    "JUDGE_VARIABLES",
    "Template",
    "Turns",
    "format_value",
    "load_prompt",
    "packaged_template",
]

JUDGE_VARIABLES: tuple[str, ...] = ("inputs", "outputs", "expectations", "trace", "conversation")
"""The variables a :func:`~evalkit.judges.make_judge` template may use (``conversation``
makes the judge score whole conversations, with ``expectations`` at most besides)."""

DATA_OPEN = "<data>"
"""Opens a block of evaluated text in a rendered prompt."""
DATA_CLOSE = "</data>"
"""Closes a block of evaluated text in a rendered prompt."""

_TAG = re.compile(r"<(/?)data>", re.IGNORECASE)


class Turns(list[Any]):
    """A conversation's turns (dicts with ``inputs``/``outputs``/``trace``), inserted into a
    prompt as :func:`evalkit.judges.views.conversation_view` shows them."""

    __slots__ = ()


def format_value(value: Any) -> str:
    """A value as prompt text: strings as they are, a trace as its bounded span tree
    (:func:`~evalkit.judges.views.trace_view`), a conversation as its turns, containers as
    indented JSON."""
    if isinstance(value, str):
        return value
    from evalkit.data.traces import is_trace

    if is_trace(value):
        from evalkit.judges.views import trace_view

        return trace_view(value)
    if isinstance(value, Turns):
        from evalkit.judges.views import conversation_view

        return conversation_view(value)
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return str(value)


class _Plain(str):
    """Text the template author vouches for (``{{ x | plain }}``): inserted undelimited."""

    __slots__ = ()


def _plain(value: Any) -> _Plain:
    return _Plain(format_value(value))


def _as_data(value: Any) -> str:
    """``finalize`` hook: every inserted value becomes a delimited block of data."""
    if isinstance(value, _Plain):
        return str(value)
    if value is None:
        return ""  # `{% if %}`-guarded optional parts render nothing
    text = _TAG.sub(lambda m: f"<{m.group(1)}data\u200b>", format_value(value))
    return f"{DATA_OPEN}{text}{DATA_CLOSE}"


@functools.cache
def _environment() -> Any:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(
        undefined=StrictUndefined,
        finalize=_as_data,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["plain"] = _plain
    return env


class Template:
    """A judge template, parsed and checked once.

    Args:
        source: The Jinja2 template text.
        allowed: The variable names it may use (``None``: any).
        owner: Who the template belongs to, for error messages (e.g. ``judge 'quality'``).
        require_variable: Whether it must use at least one variable.

    Raises:
        JudgeError: A syntax error (with its line), a variable that is not allowed, or no
            variable at all; the message lists the allowed variables.
    """

    def __init__(
        self,
        source: str,
        *,
        allowed: Iterable[str] | None = JUDGE_VARIABLES,
        owner: str = "template",
        require_variable: bool = True,
    ) -> None:
        from jinja2 import TemplateSyntaxError, meta

        self.source = source
        self.owner = owner
        self.allowed = tuple(allowed) if allowed is not None else None
        listed = ", ".join("{{ %s }}" % a for a in self.allowed or ("name",))  # noqa: UP031
        if not isinstance(source, str) or not source.strip():
            raise JudgeError(f"{owner}: the instructions are empty; write a prompt using {listed}")
        env = _environment()
        try:
            parsed = env.parse(source)
        except TemplateSyntaxError as exc:
            raise JudgeError(
                f"{owner}: template syntax error on line {exc.lineno}: {exc.message}. "
                f"Variables are written {listed}."
            ) from None
        used = meta.find_undeclared_variables(parsed)
        unknown = sorted(used - set(self.allowed)) if self.allowed is not None else []
        if unknown:
            raise JudgeError(
                f"{owner}: unknown template variable{'s' if len(unknown) > 1 else ''} "
                f"{', '.join(repr(u) for u in unknown)}; the allowed variables are {listed} "
                "(and their fields, e.g. {{ inputs.question }})"
            )
        if require_variable and not used:
            raise JudgeError(
                f"{owner}: the instructions use no template variable, so the judge would see "
                f"no data; use at least one of {listed}"
            )
        order = self.allowed if self.allowed is not None else sorted(used)
        self.variables: tuple[str, ...] = tuple(a for a in order if a in used)
        """The variables the template uses (in the order of ``allowed`` when given)."""
        self._template = env.from_string(source)

    def render(self, values: Mapping[str, Any]) -> str:
        """Render with ``values``; every inserted value is delimited as data.

        Raises:
            JudgeError: The template reads a field the values do not have, or its rendering
                failed; the message names the field.
        """
        from jinja2 import UndefinedError
        from jinja2.exceptions import SecurityError

        try:
            return str(self._template.render(**values))
        except UndefinedError as exc:
            raise JudgeError(f"{self.owner}: {_explain_undefined(exc, values)}") from None
        except SecurityError as exc:
            raise JudgeError(f"{self.owner}: unsafe template operation ({exc})") from None
        except Exception as exc:
            raise JudgeError(
                f"{self.owner}: rendering the template failed: {type(exc).__name__}: {exc}"
            ) from None


def _explain_undefined(exc: Exception, values: Mapping[str, Any]) -> str:
    fields = [
        f"{name} has {', '.join(map(str, value)) or 'no fields'}"
        for name, value in values.items()
        if isinstance(value, Mapping)
    ]
    have = f" (this record's {'; '.join(fields)})" if fields else ""
    return f"the template reads a value this record does not have: {exc}{have}"


@functools.cache
def packaged_template(package: str, name: str, allowed: tuple[str, ...]) -> Template:
    """The checked template of prompt file ``<name>.jinja`` inside ``package`` (a built-in
    judge's prompt kept beside its module)."""
    text = resources.files(package).joinpath(f"{name}.jinja").read_text("utf-8")
    return Template(text, allowed=allowed, owner=f"built-in prompt {name!r}")


@functools.cache
def load_prompt(name: str) -> str:
    """The text of a built-in prompt file, ``evalkit/judges/prompts/<name>.jinja``."""
    return resources.files("evalkit.judges").joinpath("prompts", f"{name}.jinja").read_text("utf-8")
