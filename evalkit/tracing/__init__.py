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
import functools
import inspect
import itertools
import json
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar, overload

from evalkit.entities.trace import Span, SpanEvent, SpanType, Trace, TraceData, TraceInfo

__all__ = [
    "Span",
    "SpanEvent",
    "SpanType",
    "Trace",
    "TraceData",
    "TraceInfo",
    "collect_trace",
    "start_span",
    "to_trace",
    "trace",
]

F = TypeVar("F", bound=Callable[..., Any])


_ids = itertools.count(1)


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
        collected.finish_info()


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
        span.trace_id = collected.info.trace_id
        collected.spans.append(span)
    token = _active_span.set(span)
    try:
        yield span
    except BaseException as exc:
        span.status = "ERROR"
        span.error = f"{type(exc).__name__}: {exc}"
        span.events.append(
            SpanEvent(
                name="exception",
                timestamp_ns=time.time_ns(),
                attributes={"exception.type": type(exc).__name__, "exception.message": str(exc)},
            )
        )
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
