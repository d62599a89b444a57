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

Spans are attached through :mod:`contextvars`, so rows scored in parallel threads never mix;
work that ``predict_fn`` hands to threads of its own is recorded when those threads run
with a copy of the caller's context (``contextvars.copy_context().run``).
"""

from __future__ import annotations

import contextlib
import contextvars
import enum
import functools
import inspect
import itertools
import json
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, overload

__all__ = ["Span", "SpanType", "Trace", "collect_trace", "start_span", "trace"]

F = TypeVar("F", bound=Callable[..., Any])


class SpanType(enum.StrEnum):
    """What kind of step a span records (MLflow's span types)."""

    LLM = "LLM"
    CHAT_MODEL = "CHAT_MODEL"
    RETRIEVER = "RETRIEVER"
    TOOL = "TOOL"
    CHAIN = "CHAIN"
    AGENT = "AGENT"
    EMBEDDING = "EMBEDDING"
    RERANKER = "RERANKER"
    PARSER = "PARSER"
    UNKNOWN = "UNKNOWN"


_ids = itertools.count(1)


@dataclass(kw_only=True, slots=True)
class Span:
    """One step of a trace: a named, typed, timed call with its inputs and outputs."""

    name: str
    """What the step is, e.g. the decorated function's name."""
    span_type: str = SpanType.UNKNOWN
    """The kind of step: ``"RETRIEVER"``, ``"LLM"``, ``"TOOL"``, ``"CHAIN"``, ..."""
    inputs: Any = None
    """What the step received (for a decorated function: its arguments by name)."""
    outputs: Any = None
    """What the step produced (for a retriever: the documents)."""
    start_time_ns: int = 0
    """Start, in nanoseconds since the epoch."""
    end_time_ns: int | None = None
    """End, in nanoseconds since the epoch (``None`` while the step runs)."""
    attributes: dict[str, Any] = field(default_factory=dict)
    """Free-form details (model name, parameters, ...)."""
    span_id: str = ""
    """This span's id, unique within its trace."""
    parent_id: str | None = None
    """The id of the span this one ran inside, ``None`` for a root span."""
    status: str = "OK"
    """``"OK"``, or ``"ERROR"`` when the step raised."""
    error: str | None = None
    """The exception the step raised, as ``"Type: message"``."""

    def __post_init__(self) -> None:
        self.span_type = str(self.span_type).upper()

    @property
    def duration(self) -> float | None:
        """Seconds the step took (``None`` while it runs)."""
        if self.end_time_ns is None:
            return None
        return (self.end_time_ns - self.start_time_ns) / 1e9

    def set_inputs(self, inputs: Any) -> None:
        """Record what the step received."""
        self.inputs = inputs

    def set_outputs(self, outputs: Any) -> None:
        """Record what the step produced."""
        self.outputs = outputs

    def set_attribute(self, key: str, value: Any) -> None:
        """Record one detail of the step."""
        self.attributes[key] = value

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the span (values that are not JSON become strings)."""
        return {
            "name": self.name,
            "span_type": str(self.span_type),
            "span_id": self.span_id,
            "parent_id": self.parent_id,
            "inputs": _jsonable(self.inputs),
            "outputs": _jsonable(self.outputs),
            "start_time_ns": self.start_time_ns,
            "end_time_ns": self.end_time_ns,
            "attributes": _jsonable(self.attributes),
            "status": self.status,
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Span:
        """Rebuild a span from :meth:`to_dict` output (MLflow's exported spans work too)."""
        attributes = dict(data.get("attributes") or {})
        span_type = data.get("span_type") or _mlflow_attr(attributes, "mlflow.spanType")
        inputs = data.get("inputs", _mlflow_attr(attributes, "mlflow.spanInputs"))
        outputs = data.get("outputs", _mlflow_attr(attributes, "mlflow.spanOutputs"))
        start = data.get("start_time_ns", data.get("start_time_unix_nano", 0))
        end = data.get("end_time_ns", data.get("end_time_unix_nano"))
        return cls(
            name=str(data.get("name", "")),
            span_type=str(span_type or SpanType.UNKNOWN),
            inputs=inputs,
            outputs=outputs,
            start_time_ns=int(start or 0),
            end_time_ns=int(end) if end is not None else None,
            attributes={k: v for k, v in attributes.items() if not k.startswith("mlflow.span")},
            span_id=str(data.get("span_id") or ""),
            parent_id=data.get("parent_id") or data.get("parent_span_id") or None,
            status=str(data.get("status") or "OK"),
            error=data.get("error"),
        )


def _mlflow_attr(attributes: Mapping[str, Any], key: str) -> Any:
    value = attributes.get(key)
    if isinstance(value, str):  # MLflow stores span attributes JSON-encoded
        with contextlib.suppress(ValueError):
            return json.loads(value)
    return value


def _jsonable(value: Any) -> Any:
    try:
        return json.loads(json.dumps(value, default=str))
    except (TypeError, ValueError):
        return str(value)


@dataclass(kw_only=True, slots=True)
class Trace:
    """Every span one ``predict_fn`` call (one row) recorded, in start order."""

    spans: list[Span] = field(default_factory=list)
    """The spans, in the order they started."""

    def search_spans(self, span_type: str | None = None, name: str | None = None) -> list[Span]:
        """The spans of a type and/or name, in start order (MLflow's ``search_spans``)."""
        return [
            s
            for s in self.spans
            if (span_type is None or str(s.span_type) == str(span_type))
            and (name is None or s.name == name)
        ]

    @property
    def root(self) -> Span | None:
        """The first span that ran inside no other, if any."""
        return next((s for s in self.spans if s.parent_id is None), None)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ``{"spans": [...]}``; :meth:`from_dict` reads it back."""
        return {"spans": [s.to_dict() for s in self.spans]}

    def to_json(self) -> str:
        """The :meth:`to_dict` form as a JSON string."""
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Trace:
        """Rebuild a trace from ``{"spans": [...]}`` (or MLflow's ``{"data": {"spans": ...}}``).

        Raises:
            ValueError: ``data`` has no list of spans.
        """
        spans = data.get("spans")
        if spans is None and isinstance(data.get("data"), Mapping):
            spans = data["data"].get("spans")
        if not isinstance(spans, list) or not all(isinstance(s, Mapping) for s in spans):
            raise ValueError('a trace must be a dict with a list of span dicts: {"spans": [...]}')
        return cls(spans=[Span.from_dict(s) for s in spans])

    @classmethod
    def from_json(cls, text: str) -> Trace:
        """Rebuild a trace from :meth:`to_json` output."""
        return cls.from_dict(json.loads(text))


# -- recording -------------------------------------------------------------------------------

_active_trace: contextvars.ContextVar[Trace | None] = contextvars.ContextVar(
    "evalkit_active_trace", default=None
)
_active_span: contextvars.ContextVar[Span | None] = contextvars.ContextVar(
    "evalkit_active_span", default=None
)


@contextlib.contextmanager
def collect_trace() -> Iterator[Trace]:
    """Collect the spans started in this block (in this context) into a new :class:`Trace`.

    :func:`evalkit.evaluate` wraps every ``predict_fn`` call in one; use it directly to see
    what a function records.
    """
    collected = Trace()
    trace_token = _active_trace.set(collected)
    span_token = _active_span.set(None)
    try:
        yield collected
    finally:
        _active_span.reset(span_token)
        _active_trace.reset(trace_token)


@contextlib.contextmanager
def start_span(
    name: str,
    span_type: str = SpanType.UNKNOWN,
    *,
    inputs: Any = None,
    attributes: Mapping[str, Any] | None = None,
) -> Iterator[Span]:
    """Record one step: a span that starts here and ends when the block ends.

    Set ``span.outputs`` (or call ``span.set_outputs``) inside the block. An exception
    marks the span ``ERROR`` and propagates. Outside :func:`collect_trace` (and outside
    :func:`evalkit.evaluate`) the span is timed but kept nowhere.

    Args:
        name: What the step is.
        span_type: ``"RETRIEVER"``, ``"LLM"``, ``"TOOL"``, ``"CHAIN"``, ... (:class:`SpanType`).
        inputs: What the step received.
        attributes: Free-form details.

    Yields:
        The :class:`Span`.
    """
    parent = _active_span.get()
    span = Span(
        name=name,
        span_type=span_type,
        inputs=inputs,
        attributes=dict(attributes or {}),
        span_id=f"span-{next(_ids)}",
        parent_id=parent.span_id if parent is not None else None,
        start_time_ns=time.time_ns(),
    )
    collected = _active_trace.get()
    if collected is not None:
        collected.spans.append(span)
    token = _active_span.set(span)
    try:
        yield span
    except BaseException as exc:
        span.status = "ERROR"
        span.error = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        span.end_time_ns = time.time_ns()
        _active_span.reset(token)


def _bound_inputs(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    try:
        bound = inspect.signature(fn).bind_partial(*args, **kwargs)
    except (TypeError, ValueError):
        return {"args": list(args), "kwargs": kwargs}
    return {k: v for k, v in bound.arguments.items() if k not in ("self", "cls")}


@overload
def trace(func: F, /) -> F: ...


@overload
def trace(
    func: None = None, /, *, name: str | None = None, span_type: str = SpanType.UNKNOWN
) -> Callable[[F], F]: ...


def trace(
    func: F | None = None, /, *, name: str | None = None, span_type: str = SpanType.UNKNOWN
) -> F | Callable[[F], F]:
    """Record every call of a function as a span (its arguments in, its return value out).

    Use bare (``@evalkit.trace``) or with options (``@evalkit.trace(span_type="RETRIEVER")``).
    Works for plain and ``async`` functions.

    Args:
        func: The function, when used bare.
        name: The span name; defaults to the function's name.
        span_type: The kind of step (:class:`SpanType`); default ``"UNKNOWN"``.

    Returns:
        The wrapped function, or a decorator that wraps one.
    """

    def wrap(fn: F) -> F:
        span_name: str = name or str(getattr(fn, "__name__", "span"))
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with start_span(span_name, span_type, inputs=_bound_inputs(fn, args, kwargs)) as s:
                    s.outputs = result = await fn(*args, **kwargs)
                return result

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with start_span(span_name, span_type, inputs=_bound_inputs(fn, args, kwargs)) as s:
                s.outputs = result = fn(*args, **kwargs)
            return result

        return wrapper  # type: ignore[return-value]

    if func is not None:
        return wrap(func)
    return wrap


def to_trace(value: Any) -> Trace | None:
    """A :class:`Trace` from a trace column value: a Trace, its dict or its JSON string.

    Raises:
        ValueError: The value is none of those.
    """
    if value is None or isinstance(value, Trace):
        return value
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ValueError("a trace string must be the JSON of a trace") from None
    if isinstance(value, Mapping):
        return Trace.from_dict(value)
    kind = type(value).__name__
    raise ValueError(f"a trace must be a Trace, a dict or a JSON string, not {kind}")
