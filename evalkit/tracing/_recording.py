"""Recording spans: ``@trace``, ``start_span``, ``collect_trace``.

Spans attach to the active trace through :mod:`contextvars`. Inside :func:`collect_trace`
(which :func:`evalkit.evaluate` opens around each ``predict_fn`` call) the spans go to the
collected trace. Outside one, when export is on (:func:`evalkit.tracing.enable`), the first
span opens a trace of its own and, when it ends, the finished trace is handed to the
exporter; when export is off the spans are timed and kept nowhere.

The hot path is kept small (a decorated call starts and ends its span with two plain
functions, ``start_span`` is a class-based context manager over the same two, the decorated
function's signature is read once, a finished trace is encoded once and queued as bytes),
since apps trace inside request handlers: see ``benchmarks/tracing.py``.
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
from types import TracebackType
from typing import Any, TypeVar, overload

from evalkit.entities.trace import Span, SpanEvent, SpanType, Trace
from evalkit.tracing._export import EXPORTER

__all__ = ["collect_trace", "current_span", "start_span", "to_trace", "trace"]

F = TypeVar("F", bound=Callable[..., Any])

_ids = itertools.count(1)
_UNSAMPLED = Trace()
"""Marks a context whose trace was sampled out: its spans are timed, not kept."""

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
    what a function records. A collected trace is not exported: its collector owns it.
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


def current_span() -> Span | None:
    """The span of the innermost running step in this context, if any."""
    return _active_span.get()


class start_span:
    """Record one step: a span that starts here and ends when the block ends.

    Set ``span.outputs`` (or call ``span.set_outputs``) inside the block. An exception
    marks the span ``ERROR`` (with an ``exception`` event) and propagates. Outside
    :func:`collect_trace` the span is exported as (part of) a trace when tracing is on
    (:func:`evalkit.tracing.enable`), and kept nowhere otherwise.

    Args:
        name: What the step is.
        span_type: ``"RETRIEVER"``, ``"LLM"``, ``"TOOL"``, ``"CHAIN"``, ... (:class:`SpanType`).
        inputs: What the step received.
        attributes: Free-form details.

    Yields:
        The :class:`Span`.
    """

    __slots__ = ("_span", "_state")

    def __init__(
        self,
        name: str,
        span_type: str = SpanType.UNKNOWN,
        *,
        inputs: Any = None,
        attributes: Mapping[str, Any] | None = None,
    ) -> None:
        self._span = Span(
            name=name,
            span_type=span_type,
            inputs=inputs,
            attributes=dict(attributes) if attributes else {},
        )
        self._state: _State | None = None

    def __enter__(self) -> Span:
        self._state = _enter(self._span)
        return self._span

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._state is not None
        _exit(self._span, self._state, exc)


_State = tuple[
    "contextvars.Token[Span | None]", "contextvars.Token[Trace | None] | None", "Trace | None"
]
"""What ending a span undoes: the active-span token, and for a trace's first span outside a
collector, the active-trace token and the trace it opened."""


def _enter(span: Span) -> _State:
    """Start ``span``: attach it to the active trace (opening one when exporting), time it."""
    collected = _active_trace.get()
    trace_token = owned = None
    if collected is None and EXPORTER.enabled:
        collected = owned = Trace() if EXPORTER.sampled() else _UNSAMPLED
        trace_token = _active_trace.set(collected)
    parent = _active_span.get()
    span.span_id = f"span-{next(_ids)}"
    if parent is not None:
        span.parent_id = parent.span_id
    if collected is not None and collected is not _UNSAMPLED:
        span.trace_id = collected.info.trace_id
        collected.data.spans.append(span)
    state = (_active_span.set(span), trace_token, owned)
    span.start_time_ns = time.time_ns()
    return state


def _exit(span: Span, state: _State, exc: BaseException | None) -> None:
    """End ``span`` (an exception marks it ``ERROR``); hand a trace it opened to the exporter."""
    span.end_time_ns = time.time_ns()
    if exc is not None:
        span.status = "ERROR"
        span.error = f"{type(exc).__name__}: {exc}"
        span.events.append(
            SpanEvent(
                name="exception",
                timestamp_ns=span.end_time_ns,
                attributes={"exception.type": type(exc).__name__, "exception.message": str(exc)},
            )
        )
    span_token, trace_token, owned = state
    _active_span.reset(span_token)
    if trace_token is not None:
        _active_trace.reset(trace_token)
        if owned is not _UNSAMPLED:
            assert owned is not None
            EXPORTER.submit(owned)  # encodes the spans; the export thread does the rest


def _binder(fn: Callable[..., Any]) -> Callable[[tuple[Any, ...], dict[str, Any]], Any]:
    """A function that names a call's arguments, reading ``fn``'s signature once."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        signature = None
    simple = signature is not None and all(
        p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD for p in signature.parameters.values()
    )
    if simple:
        assert signature is not None
        names = tuple(signature.parameters)
        skip = names[0] if names and names[0] in ("self", "cls") else None
        count = len(names)

        def bind_simple(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            if len(args) > count or (kwargs and not kwargs.keys() <= set(names)):
                return {"args": list(args), "kwargs": kwargs}
            arguments = dict(zip(names, args, strict=False))
            if kwargs:
                arguments.update(kwargs)
            if skip is not None:
                arguments.pop(skip, None)
            return arguments

        return bind_simple

    def bind(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if signature is None:
            return {"args": list(args), "kwargs": kwargs}
        try:
            bound = signature.bind_partial(*args, **kwargs)
        except TypeError:
            return {"args": list(args), "kwargs": kwargs}
        arguments = bound.arguments
        if "self" in arguments or "cls" in arguments:
            return {k: v for k, v in arguments.items() if k not in ("self", "cls")}
        return dict(arguments)

    return bind


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
        bind = _binder(fn)
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                if _active_trace.get() is None and not EXPORTER.enabled:
                    return await fn(*args, **kwargs)  # nothing would keep the span
                with start_span(span_name, span_type, inputs=bind(args, kwargs)) as s:
                    s.outputs = result = await fn(*args, **kwargs)
                return result

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if _active_trace.get() is None and not EXPORTER.enabled:
                return fn(*args, **kwargs)  # nothing would keep the span
            # start_span's work without its object and ``with`` (a decorated call is the
            # commonest span: this is the hot path of an app that traces)
            span = Span(name=span_name, span_type=span_type, inputs=bind(args, kwargs))
            state = _enter(span)
            try:
                span.outputs = result = fn(*args, **kwargs)
            except BaseException as exc:
                _exit(span, state, exc)
                raise
            _exit(span, state, None)
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
