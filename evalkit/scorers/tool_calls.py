"""Deterministic scorers of an agent's tool calls: the ``TOOL`` spans of its trace.

A tool call is a ``TOOL`` span: its name is the tool, its inputs the arguments, and a span
with status ``ERROR`` is a failed call. Calls are taken in start order.

Expected calls come from ``expectations["expected_tool_calls"]``: a list whose items are a
tool name (``"get_weather"``) or a dict ``{"name": ..., "arguments": {...}}`` (``"args"``
and DeepEval's ``"input_parameters"`` are read as ``arguments``). Arguments of an expected
call match when every expected argument is present with an equal value (extra actual
arguments are allowed).

* :class:`ToolCallsMatch` -- were the expected tools called? ``mode``: ``"exact"`` (the
  same calls in the same order, nothing else), ``"in_order"`` (the expected calls in this
  order, others allowed between), ``"any_order"`` (the same calls in any order), or
  ``"subset"`` (every expected call made, others allowed); with ``check_arguments`` a call
  matches only with matching arguments.
* :class:`ToolArgumentsMatch` -- the fraction of expected calls with arguments that some
  call of that tool made with those arguments.
* :class:`RedundantToolCalls` -- how many calls repeat an earlier call (same tool, same
  arguments).
* :class:`FailedToolCalls` -- how many calls failed.
* :class:`AgentSteps` -- the number of steps: tool, LLM and retriever spans.

Every scorer returns a :class:`~evalkit.Feedback` whose rationale lists what was found.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from evalkit.data.traces import spans_of
from evalkit.entities import Feedback
from evalkit.errors import ScorerError
from evalkit.scorers.base import Scorer

__all__ = [
    "EXPECTED_TOOL_CALLS",
    "AgentSteps",
    "FailedToolCalls",
    "RedundantToolCalls",
    "ToolArgumentsMatch",
    "ToolCall",
    "ToolCallsMatch",
    "expected_tool_calls",
    "tool_calls",
]

EXPECTED_TOOL_CALLS = "expected_tool_calls"
"""The expectations key holding the expected tool calls."""

_MODES = ("exact", "in_order", "any_order", "subset")
_ARGUMENT_KEYS = ("arguments", "args", "input_parameters", "inputs")


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One tool call: the tool, its arguments and whether it failed."""

    name: str
    """The tool's name."""
    arguments: Mapping[str, Any] | None = None
    """The arguments (``None``: not given, for an expected call: any)."""
    failed: bool = False
    """Whether the call raised (an ``ERROR`` span)."""

    def label(self) -> str:
        """``name(arg=value, ...)`` for rationales."""
        if not self.arguments:
            return f"{self.name}()"
        args = ", ".join(f"{k}={json.dumps(v, default=str)}" for k, v in self.arguments.items())
        return f"{self.name}({args})"

    def key(self) -> str:
        """The call as one comparable string (tool and arguments)."""
        return json.dumps([self.name, self.arguments], sort_keys=True, default=str)


def tool_calls(trace: Any) -> list[ToolCall]:
    """The ``TOOL`` spans of a trace as calls, in start order."""
    spans = [s for s in spans_of(trace) if str(getattr(s, "span_type", "")).upper() == "TOOL"]
    spans.sort(key=lambda s: getattr(s, "start_time_ns", 0) or 0)
    calls = []
    for s in spans:
        inputs = getattr(s, "inputs", None)
        status = getattr(s, "status", "OK")
        code = str(getattr(status, "status_code", status)).upper()
        calls.append(
            ToolCall(
                name=str(getattr(s, "name", "")),
                arguments=dict(inputs) if isinstance(inputs, Mapping) else None,
                failed="ERROR" in code,
            )
        )
    return calls


def expected_tool_calls(expectations: Any, scorer: str) -> list[ToolCall]:
    """The expected calls of a record, from ``expectations["expected_tool_calls"]``.

    Raises:
        ScorerError: The record has none, or an item is neither a name nor a dict with one.
    """
    raw = expectations.get(EXPECTED_TOOL_CALLS) if isinstance(expectations, Mapping) else None
    if raw is None:
        raise ScorerError(
            f"{scorer} needs expectations[{EXPECTED_TOOL_CALLS!r}]: a list of tool names or "
            '{"name": ..., "arguments": {...}} dicts; add it to the record'
        )
    if isinstance(raw, str | Mapping):
        raw = [raw]
    calls = []
    for i, item in enumerate(raw):
        if isinstance(item, str):
            calls.append(ToolCall(name=item))
            continue
        if isinstance(item, Mapping) and isinstance(item.get("name"), str):
            arguments = next((item[k] for k in _ARGUMENT_KEYS if k in item), None)
            if arguments is not None and not isinstance(arguments, Mapping):
                raise ScorerError(
                    f"{scorer}: expected_tool_calls[{i}] has arguments that are not a dict"
                )
            calls.append(ToolCall(name=item["name"], arguments=arguments))
            continue
        raise ScorerError(
            f"{scorer}: expected_tool_calls[{i}] is {item!r:.60}; give a tool name or a dict "
            'such as {"name": "get_weather", "arguments": {"city": "Paris"}}'
        )
    return calls


def arguments_match(expected: ToolCall, actual: ToolCall) -> bool:
    """Whether ``actual`` calls ``expected``'s tool with every expected argument."""
    if expected.name != actual.name:
        return False
    if not expected.arguments:
        return True
    given = actual.arguments or {}
    return all(k in given and given[k] == v for k, v in expected.arguments.items())


def _listing(calls: Sequence[ToolCall]) -> str:
    return ", ".join(c.label() for c in calls) or "none"


def _is_subsequence(expected: Sequence[ToolCall], actual: Sequence[ToolCall], same: Any) -> bool:
    position = 0
    for call in actual:
        if position < len(expected) and same(expected[position], call):
            position += 1
    return position == len(expected)


def _contained(expected: Sequence[ToolCall], actual: Sequence[ToolCall], same: Any) -> bool:
    """Each expected call matched by a distinct actual call (greedy on a bipartite match is
    enough: a call matches an expected call, or it does not)."""
    free = list(actual)
    for e in expected:
        found = next((i for i, a in enumerate(free) if same(e, a)), None)
        if found is None:
            return False
        free.pop(found)
    return True


class ToolCallsMatch(Scorer):
    """Whether the agent called the expected tools (see the module docstring for ``mode``).

    Args:
        mode: ``"exact"`` (default), ``"in_order"``, ``"any_order"`` or ``"subset"``.
        check_arguments: Also require the expected arguments.
    """

    mode: Literal["exact", "in_order", "any_order", "subset"] = "exact"
    """How actual calls are compared with the expected ones."""
    check_arguments: bool = False
    """Whether a call matches only with the expected arguments."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.mode not in _MODES:
            raise ScorerError(
                f"{type(self).__name__}: mode={self.mode!r} is not one of {', '.join(_MODES)}"
            )

    def score(self, *, expectations: Any, trace: Any) -> Feedback:
        expected = expected_tool_calls(expectations, self.name)
        actual = tool_calls(trace)

        def same(e: ToolCall, a: ToolCall) -> bool:
            return arguments_match(e, a) if self.check_arguments else e.name == a.name

        if self.mode == "exact":
            ok = len(expected) == len(actual) and all(map(same, expected, actual))
        elif self.mode == "in_order":
            ok = _is_subsequence(expected, actual, same)
        elif self.mode == "any_order":
            ok = len(expected) == len(actual) and _contained(expected, actual, same)
        else:
            ok = _contained(expected, actual, same)
        return Feedback(
            value=ok,
            rationale=f"expected ({self.mode}"
            f"{', with arguments' if self.check_arguments else ''}): {_listing(expected)}; "
            f"called: {_listing(actual)}",
        )


class ToolArgumentsMatch(Scorer):
    """The fraction (0 to 1) of expected calls that give arguments and were made with them."""

    def score(self, *, expectations: Any, trace: Any) -> Feedback:
        expected = [c for c in expected_tool_calls(expectations, self.name) if c.arguments]
        if not expected:
            raise ScorerError(
                f"{self.name}: no expected tool call gives arguments; add 'arguments' to "
                "the expected_tool_calls, or use ToolCallsMatch"
            )
        actual = tool_calls(trace)
        missed = [e for e in expected if not any(arguments_match(e, a) for a in actual)]
        return Feedback(
            value=(len(expected) - len(missed)) / len(expected),
            rationale=f"{len(expected) - len(missed)} of {len(expected)} expected calls made "
            f"with their arguments; missing: {_listing(missed)}",
        )


class RedundantToolCalls(Scorer):
    """How many tool calls repeat an earlier one (the same tool with the same arguments)."""

    def score(self, *, trace: Any) -> Feedback:
        counts = Counter(c.key() for c in tool_calls(trace))
        repeats = sum(n - 1 for n in counts.values())
        names = [json.loads(k)[0] for k, n in counts.items() if n > 1]
        return Feedback(value=repeats, rationale=f"repeated: {', '.join(names) or 'none'}")


class FailedToolCalls(Scorer):
    """How many tool calls failed (their span has status ``ERROR``)."""

    def score(self, *, trace: Any) -> Feedback:
        failed = [c for c in tool_calls(trace) if c.failed]
        return Feedback(value=len(failed), rationale=f"failed: {_listing(failed)}")


class AgentSteps(Scorer):
    """The number of steps the agent took: spans of ``span_types`` (default: tool calls,
    model calls and retrievals).

    Args:
        span_types: The span types that count as a step.
    """

    span_types: tuple[str, ...] = ("TOOL", "LLM", "CHAT_MODEL", "RETRIEVER")
    """The span types that count as a step."""

    def score(self, *, trace: Any) -> Feedback:
        kinds = {t.upper() for t in self.span_types}
        steps = Counter(
            str(getattr(s, "span_type", "")).upper()
            for s in spans_of(trace)
            if str(getattr(s, "span_type", "")).upper() in kinds
        )
        detail = ", ".join(f"{n} {k}" for k, n in sorted(steps.items())) or "none"
        return Feedback(value=sum(steps.values()), rationale=f"steps: {detail}")
