"""What a judge sees of a trace (``{{ trace }}``) and of a conversation (``{{ conversation }}``).

A trace can hold thousands of spans and megabytes of payload; a judge prompt must stay
readable and bounded. :func:`trace_view` renders the span tree, one span per line with its
type, duration and status, and its inputs and outputs below it, each cut to
:data:`TRACE_VALUE_CHARS` characters; the whole view stops at :data:`TRACE_VIEW_CHARS`
characters and says how many spans it left out. Children are listed under their parent in
start order; a span whose parent is missing is shown at the top level, and a span is never
shown twice (a cycle of parents cannot loop).

:func:`conversation_view` renders the turns of a conversation as ``User:`` / ``Assistant:``
lines (each message cut to :data:`TURN_CHARS`), with the tools each turn called.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from evalkit.data.traces import spans_of
from evalkit.judges.record_text import request_text, response_text

__all__ = [
    "CONVERSATION_VIEW_CHARS",
    "TRACE_VALUE_CHARS",
    "TRACE_VIEW_CHARS",
    "TURN_CHARS",
    "SpanLine",
    "conversation_view",
    "span_lines",
    "trace_view",
]

TRACE_VALUE_CHARS = 500
"""The most characters of one span's inputs (or outputs) shown in ``{{ trace }}``."""
TRACE_VIEW_CHARS = 20_000
"""The most characters of the whole ``{{ trace }}`` view (spans beyond are counted)."""
TURN_CHARS = 2_000
"""The most characters of one message in ``{{ conversation }}``."""
CONVERSATION_VIEW_CHARS = 40_000
"""The most characters of the whole ``{{ conversation }}`` view (older turns are dropped)."""


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... [{len(text) - limit} more characters]"


def _compact(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(value)


def _duration(span: Any) -> str:
    start = getattr(span, "start_time_ns", None)
    end = getattr(span, "end_time_ns", None)
    if not isinstance(start, int) or not isinstance(end, int) or not start:
        return ""
    seconds = (end - start) / 1e9
    return f", {seconds * 1000:.1f} ms" if seconds < 1 else f", {seconds:.2f} s"


def _status(span: Any) -> str:
    status = getattr(span, "status", None)
    code = getattr(status, "status_code", status)
    code = str(getattr(code, "value", code) or "OK").upper()
    if code in ("OK", "UNSET", "STATUSCODE.OK"):
        return ""
    error = getattr(span, "error", None) or getattr(status, "description", None)
    return f", ERROR: {error}" if error else ", ERROR"


def _span_lines(span: Any, depth: int) -> list[str]:
    pad = "  " * depth
    kind = str(getattr(span, "span_type", None) or "UNKNOWN")
    kind = str(getattr(kind, "value", kind))
    lines = [f"{pad}- {getattr(span, 'name', '?')} [{kind}{_duration(span)}{_status(span)}]"]
    for label in ("inputs", "outputs"):
        value = getattr(span, label, None)
        if value is not None:
            lines.append(f"{pad}  {label}: {_cut(_compact(value), TRACE_VALUE_CHARS)}")
    return lines


def _ordered(spans: list[Any]) -> list[tuple[int, Any]]:
    """``(depth, span)`` in tree order: each span under its parent, siblings by start."""
    ids = {getattr(s, "span_id", None) for s in spans}
    children: dict[Any, list[Any]] = {}
    tops: list[Any] = []
    for s in spans:
        parent = getattr(s, "parent_id", None) or None
        if parent is None or parent not in ids or parent == getattr(s, "span_id", None):
            tops.append(s)
        else:
            children.setdefault(parent, []).append(s)
    out: list[tuple[int, Any]] = []
    seen: set[int] = set()

    def visit(span: Any, depth: int) -> None:
        if id(span) in seen:
            return
        seen.add(id(span))
        out.append((depth, span))
        for child in children.get(getattr(span, "span_id", None), ()):
            visit(child, depth + 1)

    for top in tops:
        visit(top, 0)
    for s in spans:  # spans only reachable through a cycle of parents
        visit(s, 0)
    return out


@dataclass(frozen=True, kw_only=True)
class SpanLine:
    """One span of a trace, flattened for a tree view (the CLI, the UI, the HTML report)."""

    depth: int
    """How deep under the root(s) the span is (0: a top-level span)."""
    span_id: str
    """The span's id."""
    name: str
    """The span's name."""
    span_type: str
    """``LLM``, ``TOOL``, ``RETRIEVER``, ... (``UNKNOWN`` when unset)."""
    duration_ms: float | None
    """How long the span took, in milliseconds (``None`` when not finished)."""
    offset_ms: float | None
    """When the span started, in milliseconds after the trace's first span started."""
    error: str | None
    """``None`` for a span that went well, else its error (or ``"ERROR"``)."""
    inputs: str | None
    """The span's inputs as compact text (JSON for records), in full."""
    outputs: str | None
    """The span's outputs as compact text, in full."""


def _ms(span: Any) -> float | None:
    start = getattr(span, "start_time_ns", None)
    end = getattr(span, "end_time_ns", None)
    if not isinstance(start, int) or not isinstance(end, int) or not start:
        return None
    return (end - start) / 1e6


def span_lines(trace: Any) -> list[SpanLine]:
    """The spans of ``trace`` in tree order (each under its parent, siblings by start).

    Inputs and outputs are given in full; each view cuts them to what it can show.
    """
    spans = spans_of(trace)
    starts = [s.start_time_ns for s in spans if isinstance(getattr(s, "start_time_ns", None), int)]
    first = min((s for s in starts if s), default=None)
    lines = []
    for depth, span in _ordered(spans):
        kind = str(getattr(span, "span_type", None) or "UNKNOWN")
        start = getattr(span, "start_time_ns", None)
        status = _status(span)
        values = {}
        for label in ("inputs", "outputs"):
            value = getattr(span, label, None)
            values[label] = None if value is None else _compact(value)
        lines.append(
            SpanLine(
                depth=depth,
                span_id=str(getattr(span, "span_id", "") or ""),
                name=str(getattr(span, "name", "?")),
                span_type=str(getattr(kind, "value", kind)),
                duration_ms=_ms(span),
                offset_ms=(start - first) / 1e6
                if isinstance(start, int) and start and first
                else None,
                error=status[len(", ") :].removeprefix("ERROR: ") if status else None,
                inputs=values["inputs"],
                outputs=values["outputs"],
            )
        )
    return lines


def trace_view(trace: Any) -> str:
    """A bounded, readable text view of a trace's spans (see the module docstring)."""
    spans = spans_of(trace)
    if not spans:
        return "(a trace with no spans)"
    ordered = _ordered(spans)
    lines = [f"{len(spans)} span{'s' if len(spans) != 1 else ''}:"]
    size = len(lines[0])
    for shown, (depth, span) in enumerate(ordered):
        block = _span_lines(span, depth)
        block_size = sum(len(line) + 1 for line in block)
        if size + block_size > TRACE_VIEW_CHARS:
            left = len(ordered) - shown
            lines.append(f"... {left} more span{'s' if left != 1 else ''} not shown")
            break
        lines.extend(block)
        size += block_size
    return "\n".join(lines)


def _tool_names(trace: Any) -> list[str]:
    return [
        str(getattr(s, "name", "?"))
        for s in spans_of(trace)
        if str(getattr(s, "span_type", "")).upper().endswith("TOOL")
    ]


def conversation_view(turns: Sequence[Mapping[str, Any]]) -> str:
    """The turns of a conversation as ``User:`` / ``Assistant:`` text.

    Each turn is a mapping with ``inputs``, ``outputs`` and optionally ``trace`` (the tools
    it called are listed). When the view would pass :data:`CONVERSATION_VIEW_CHARS`, the
    oldest turns are left out and counted.
    """
    blocks: list[str] = []
    for number, turn in enumerate(turns, 1):
        lines = [f"Turn {number}"]
        inputs, outputs = turn.get("inputs"), turn.get("outputs")
        if inputs is not None:
            lines.append(f"User: {_cut(request_text(inputs), TURN_CHARS)}")
        trace = turn.get("trace")
        tools = _tool_names(trace) if trace is not None else []
        if tools:
            lines.append(f"(tools called: {', '.join(tools)})")
        if outputs is not None:
            lines.append(f"Assistant: {_cut(response_text(outputs), TURN_CHARS)}")
        blocks.append("\n".join(lines))
    kept = blocks
    while len(kept) > 1 and sum(len(b) + 2 for b in kept) > CONVERSATION_VIEW_CHARS:
        kept = kept[1:]
    if len(kept) < len(blocks):
        dropped = len(blocks) - len(kept)
        kept = [f"({dropped} earlier turn{'s' if dropped != 1 else ''} not shown)", *kept]
    return "\n\n".join(kept)
