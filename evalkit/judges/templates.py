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
* Rendering is bounded: a rendered prompt longer than :data:`MAX_PROMPT_CHARS`, a render
  that takes longer than :data:`MAX_RENDER_SECONDS`, or a template that loops (``range``)
  or repeats text (``*``) beyond :data:`MAX_TEMPLATE_STEPS` fails with a ``JudgeError``
  instead of holding the run or filling memory.
* The built-in judges' prompts are template files next to their modules in
  ``evalkit/judges/builtin/``; the system prompt is in ``evalkit/judges/prompts/``.
"""

from __future__ import annotations

import contextvars
import functools
import json
import re
import time
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any

from evalkit.errors import JudgeError

__all__ = [
    "DATA_CLOSE",
    "DATA_OPEN",
    "JUDGE_VARIABLES",
    "MAX_PROMPT_CHARS",
    "MAX_RENDER_SECONDS",
    "MAX_TEMPLATE_STEPS",
    "Template",
    "Turns",
    "fence",
    "format_value",
    "load_prompt",
    "packaged_template",
    "trusted",
]

JUDGE_VARIABLES: tuple[str, ...] = ("inputs", "outputs", "expectations", "trace", "conversation")
"""The variables a :func:`~evalkit.judges.make_judge` template may use (``conversation``
makes the judge score whole conversations, with ``expectations`` at most besides)."""

MAX_PROMPT_CHARS = 4_000_000
"""The longest prompt a template may render (about a million tokens: beyond any model)."""
MAX_RENDER_SECONDS = 10.0
"""The longest one template render may take."""
MAX_TEMPLATE_STEPS = 1_000_000
"""How many loop iterations (over ``range``) and repeated items (``*``) one render may make."""

DATA_OPEN = "<data>"
"""Opens a block of evaluated text in a rendered prompt."""
DATA_CLOSE = "</data>"
"""Closes a block of evaluated text in a rendered prompt."""

# Any tag a reader could take for a <data> delimiter: `</data>`, `</data >`, `</ data>`,
# `< /DATA foo>`, ... The zero-width space after the name keeps the text readable while
# making it no longer the delimiter.
_TAG = re.compile(r"(<\s*/?\s*)(data)(?![\w-])", re.IGNORECASE)


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


def trusted(value: Any) -> str:
    """Mark ``value`` as text the caller vouches for (a configured guideline, a label): a
    template inserts it undelimited, as ``{{ x | plain }}`` would."""
    return _plain(value)


def fence(value: Any) -> str:
    """``value`` as a delimited block of data: ``<data>...</data>``, with any tag inside it
    that looks like a delimiter neutralised, so the text cannot close the block."""
    text = _TAG.sub(lambda m: f"{m.group(1)}{m.group(2)}\u200b", format_value(value))
    return f"{DATA_OPEN}{text}{DATA_CLOSE}"


def _as_data(value: Any) -> str:
    """``finalize`` hook: every inserted value becomes a delimited block of data."""
    if isinstance(value, _Plain):
        return str(value)
    if value is None:
        return ""  # `{% if %}`-guarded optional parts render nothing
    return fence(value)


class _Budget:
    """What one render may still spend: loop steps and time."""

    __slots__ = ("deadline", "steps")

    def __init__(self) -> None:
        self.steps = MAX_TEMPLATE_STEPS
        self.deadline = time.monotonic() + MAX_RENDER_SECONDS

    def spend(self, steps: int, what: str) -> None:
        self.steps -= max(0, steps)
        if self.steps < 0:
            raise _LimitError(
                f"the template {what} more than {MAX_TEMPLATE_STEPS:,} times in one render"
            )
        self.check_time()

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise _LimitError(f"rendering took longer than {MAX_RENDER_SECONDS:g} s")


class _LimitError(Exception):
    """A render went past one of its bounds."""


_budget: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar(
    "evalkit_template_budget", default=None
)


def _spend(steps: int, what: str) -> None:
    budget = _budget.get()
    if budget is not None:
        budget.spend(steps, what)


def _bounded_range(*args: Any) -> range:
    from jinja2.sandbox import safe_range

    made: range = safe_range(*args)
    _spend(len(made), "loops")
    return made


@functools.cache
def _environment() -> Any:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class BoundedEnvironment(ImmutableSandboxedEnvironment):
        """The sandbox, with repetition (``"x" * n``) and powers counted against the budget."""

        intercepted_binops = frozenset({"*", "**"})

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            if operator == "*":
                for seq, times in ((left, right), (right, left)):
                    if isinstance(seq, str | list | tuple) and isinstance(times, int):
                        _spend(len(seq) * max(times, 0), "repeats text")
            elif operator == "**" and isinstance(right, int) and abs(right) > 64:
                raise _LimitError("the template raises a number to a power above 64")
            return super().call_binop(context, operator, left, right)

    env = BoundedEnvironment(
        undefined=StrictUndefined,
        finalize=_as_data,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["plain"] = _plain
    env.globals["range"] = _bounded_range
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

    def __getstate__(self) -> dict[str, Any]:
        # A compiled Jinja template does not pickle; a judge sent to a Dask worker (or a
        # process pool) carries the checked source and compiles it again there.
        state = dict(self.__dict__)
        del state["_template"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._template = _environment().from_string(self.source)

    def render(self, values: Mapping[str, Any]) -> str:
        """Render with ``values``; every inserted value is delimited as data.

        Raises:
            JudgeError: The template reads a field the values do not have, or its rendering
                failed; the message names the field.
        """
        from jinja2 import UndefinedError
        from jinja2.exceptions import SecurityError

        token = _budget.set(_Budget())
        try:
            return self._render_bounded(values)
        except _LimitError as exc:
            raise JudgeError(f"{self.owner}: {exc}") from None
        except UndefinedError as exc:
            raise JudgeError(f"{self.owner}: {_explain_undefined(exc, values)}") from None
        except SecurityError as exc:
            raise JudgeError(f"{self.owner}: unsafe template operation ({exc})") from None
        except Exception as exc:
            raise JudgeError(
                f"{self.owner}: rendering the template failed: {type(exc).__name__}: {exc}"
            ) from None
        finally:
            _budget.reset(token)

    def _render_bounded(self, values: Mapping[str, Any]) -> str:
        budget = _budget.get()
        assert budget is not None
        parts: list[str] = []
        size = 0
        for part in self._template.generate(**values):
            size += len(part)
            if size > MAX_PROMPT_CHARS:
                raise _LimitError(
                    f"the rendered prompt is longer than {MAX_PROMPT_CHARS:,} characters"
                )
            budget.check_time()
            parts.append(part)
        return "".join(parts)


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
