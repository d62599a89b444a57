"""Traces: what an app did to produce one answer, as a tree of timed spans.

A ``predict_fn`` records its steps with the :func:`trace` decorator or the
:func:`start_span` context manager; :func:`evalkit.evaluate` collects one :class:`Trace`
per row and hands it to scorers that ask for ``trace`` (the retrieval judges read the
``RETRIEVER`` spans). A ``trace`` column in the data (a :class:`Trace` or its dict/JSON
form, :meth:`Trace.to_dict`) works too.

Example:
    >>> @evalkit.trace(span_type="RETRIEVER")
    ... def retrieve(question: str) -> list[dict]:
    ...     return [{"content": "Paris is the capital of France."}]
    >>> def app(question: str) -> str:
    ...     docs = retrieve(question)
    ...     with evalkit.start_span("generate", span_type="LLM") as span:
    ...         span.inputs = {"docs": docs}
    ...         span.outputs = answer = "Paris"
    ...     return answer
    >>> with collect_trace() as t:
    ...     app("Capital of France?")
    >>> [s.name for s in t.spans]
    ['retrieve', 'generate']

When tracing is on (:func:`enable`, ``EVALKIT_TRACING=1`` or :func:`set_destination`),
spans recorded outside ``evaluate`` form traces that are exported to the tracking store's
active experiment in the background (sampled, bounded, never blocking the app: see
:mod:`evalkit.tracing._export`); :func:`export_stats` counts what was exported and dropped.

Spans are attached through :mod:`contextvars`, so rows scored in parallel threads never mix;
work that ``predict_fn`` hands to threads of its own is recorded when those threads run
with a copy of the caller's context (``contextvars.copy_context().run``).
"""

from __future__ import annotations

from evalkit.entities.trace import (
    Span,
    SpanEvent,
    SpanType,
    Trace,
    TraceData,
    TraceInfo,
    TraceState,
)
from evalkit.tracing._export import (
    ExportStats,
    disable,
    enable,
    export_stats,
    flush,
    is_enabled,
    register_sink,
    set_destination,
)
from evalkit.tracing._recording import collect_trace, current_span, start_span, to_trace, trace

__all__ = [
    "ExportStats",
    "Span",
    "SpanEvent",
    "SpanType",
    "Trace",
    "TraceData",
    "TraceInfo",
    "TraceState",
    "collect_trace",
    "current_span",
    "disable",
    "enable",
    "export_stats",
    "flush",
    "is_enabled",
    "register_sink",
    "set_destination",
    "start_span",
    "to_trace",
    "trace",
]
