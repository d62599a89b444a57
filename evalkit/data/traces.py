"""Reading a record's trace: its spans, root span, session id and expectation assessments.

Two trace shapes are read the same way: :class:`evalkit.tracing.Trace` (``trace.spans``) and
the MLflow-shaped stored trace (``trace.info`` with metadata, tags and assessments,
``trace.data.spans``) that :func:`evalkit.search_traces` returns. This module only reads
attributes, so it works with either without importing them.

* inputs and outputs of a trace-only record are its root span's (or ``trace.data.request`` /
  ``response``, JSON as MLflow stores them);
* its expectations are the trace's expectation assessments (``{name: value}``);
* its session (conversation) id is the trace metadata ``mlflow.trace.session`` (also read
  from ``session_id`` in the metadata or tags).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "SESSION_KEYS",
    "expectations_of",
    "is_trace",
    "request_response",
    "root_span",
    "session_of",
    "spans_of",
    "stored_trace_id",
]

SESSION_KEYS: tuple[str, ...] = ("mlflow.trace.session", "session_id", "session")
"""Trace metadata (or tag) keys that hold the id of the conversation a trace belongs to."""


def is_trace(value: Any) -> bool:
    """Whether ``value`` is a trace object (either shape), not a dict or JSON form."""
    if isinstance(value, Mapping | str | bytes) or value is None:
        return False
    data = getattr(value, "data", None)
    return isinstance(getattr(value, "spans", None), list) or isinstance(
        getattr(data, "spans", None), list
    )


def spans_of(trace: Any) -> list[Any]:
    """The trace's spans, in the order they were recorded."""
    spans = getattr(trace, "spans", None)
    if not isinstance(spans, list):
        spans = getattr(getattr(trace, "data", None), "spans", None)
    return list(spans) if isinstance(spans, list) else []


def _parent(span: Any) -> Any:
    return getattr(span, "parent_id", None) or None


def root_span(trace: Any) -> Any:
    """The span that ran inside no other (the first, if several), or ``None``.

    A span whose parent is not in the trace (a trace cut short) does not count as the root.
    """
    root = getattr(trace, "root", None)
    if root is not None and not callable(root):
        return root
    for span in spans_of(trace):
        if _parent(span) is None:
            return span
    return None


def _loaded(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def request_response(trace: Any) -> tuple[Any, Any]:
    """The trace's request and response: its root span's inputs and outputs, else
    ``trace.data.request`` / ``response`` (MLflow keeps them as JSON)."""
    root = root_span(trace)
    if root is not None:
        return getattr(root, "inputs", None), getattr(root, "outputs", None)
    data = getattr(trace, "data", None)
    return _loaded(getattr(data, "request", None)), _loaded(getattr(data, "response", None))


def _metadata(trace: Any) -> list[Mapping[str, Any]]:
    info = getattr(trace, "info", None)
    found = []
    for attr in ("trace_metadata", "request_metadata", "metadata", "tags"):
        value = getattr(info, attr, None)
        if isinstance(value, Mapping):
            found.append(value)
    return found


def session_of(trace: Any) -> str | None:
    """The id of the conversation the trace belongs to, if it has one."""
    for mapping in _metadata(trace):
        for key in SESSION_KEYS:
            value = mapping.get(key)
            if value not in (None, ""):
                return str(value)
    return None


def _is_expectation(assessment: Any) -> bool:
    if getattr(assessment, "expectation", None) is not None:
        return True
    kind = type(assessment).__name__
    return kind in ("Expectation", "ExpectationAssessment")


def _expectation_value(assessment: Any) -> Any:
    inner = getattr(assessment, "expectation", None)
    if inner is not None and hasattr(inner, "value"):
        return inner.value
    return getattr(assessment, "value", None)


def expectations_of(trace: Any) -> dict[str, Any] | None:
    """The trace's expectation assessments as ``{name: value}`` (``None`` without any).

    A later assessment of the same name wins; ones marked invalid (``valid=False``, as an
    overridden assessment is) are skipped.
    """
    info = getattr(trace, "info", None)
    assessments = getattr(info, "assessments", None)
    if not isinstance(assessments, Sequence):
        return None
    found: dict[str, Any] = {}
    for a in assessments:
        if not _is_expectation(a) or getattr(a, "valid", True) is False:
            continue
        name = getattr(a, "name", None) or getattr(a, "assessment_name", None)
        if name:
            found[str(name)] = _expectation_value(a)
    return found or None


def stored_trace_id(trace: Any) -> str | None:
    """The id of a trace that came from the tracking store (it names its experiment), else
    ``None`` (a trace captured while predicting, a record without one). Reads a
    :class:`Trace` or its JSON dict (a chunked run's table part holds that)."""
    if isinstance(trace, Mapping):
        info = trace.get("info")
        info = info if isinstance(info, Mapping) else {}
        experiment_id, trace_id = info.get("experiment_id"), info.get("trace_id")
    else:
        info = getattr(trace, "info", None)
        experiment_id = getattr(info, "experiment_id", None)
        trace_id = getattr(info, "trace_id", None)
    return str(trace_id) if experiment_id is not None and trace_id else None
