"""Traces: what an app did to produce one answer, as MLflow-shaped values.

``Trace(info=TraceInfo(...), data=TraceData(spans=[Span(...), ...]))`` -- the same shape and
names as ``mlflow.entities.Trace``: ``info`` says which trace it is (id, experiment, start
time, duration, state, request/response previews, tags, metadata -- incl. the session and user
ids under MLflow's keys ``mlflow.trace.session`` / ``mlflow.trace.user`` -- and assessments);
``data`` holds the spans, each a named, typed, timed step with inputs, outputs, attributes and
events.

Spans are recorded by :mod:`evalkit.tracing` (``@evalkit.trace``, ``start_span``) and stored by
:mod:`evalkit.tracking`; this module only holds the values, their dict/JSON forms and
:meth:`Trace.validate` (the checks a stored trace passes: one root, known parents, no cycles).
"""

from __future__ import annotations

import contextlib
import enum
import json
import random
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from evalkit.entities.assessments import (
    AnyAssessment,
    AssessmentError,
    AssessmentSource,
    AssessmentSourceType,
    Expectation,
    Feedback,
)
from evalkit.errors import DataError

__all__ = [
    "SESSION_METADATA_KEY",
    "SOURCE_RUN_METADATA_KEY",
    "USER_METADATA_KEY",
    "EncodedTrace",
    "Span",
    "SpanEvent",
    "SpanType",
    "Trace",
    "TraceData",
    "TraceInfo",
    "TraceState",
    "assessment_from_dict",
    "assessment_to_dict",
    "decode_spans",
    "encode_spans",
    "new_trace_id",
    "validate_span_tree",
]

SESSION_METADATA_KEY = "mlflow.trace.session"
"""``trace_metadata`` key of the conversation (session) id a trace belongs to (MLflow's)."""
USER_METADATA_KEY = "mlflow.trace.user"
"""``trace_metadata`` key of the end user's id (MLflow's)."""
SOURCE_RUN_METADATA_KEY = "mlflow.sourceRun"
"""``trace_metadata`` key of the run a trace was logged in (MLflow's)."""

PREVIEW_CHARS = 1000
"""Request and response previews keep at most this many characters (MLflow keeps 1000)."""


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
    MEMORY = "MEMORY"
    UNKNOWN = "UNKNOWN"


class TraceState(enum.StrEnum):
    """How a trace ended (MLflow's ``TraceState``)."""

    OK = "OK"
    ERROR = "ERROR"
    IN_PROGRESS = "IN_PROGRESS"
    STATE_UNSPECIFIED = "STATE_UNSPECIFIED"


def new_trace_id() -> str:
    """A fresh trace id in MLflow's form: ``"tr-"`` and 32 hex digits, unique, not secret.

    The first 12 digits are the time in milliseconds and the other 20 random (like a UUIDv7):
    ids made later sort later, so a store appends each new trace at the end of its indexes
    instead of at a random page (at 50,000 stored traces that halved the CPU of writing one;
    see ``benchmarks/tracing.py``).
    """
    # random.getrandbits, not uuid4: os.urandom is a system call, and apps make one id per
    # request on their hot path (ids need to be unique, not unguessable)
    return f"tr-{time.time_ns() // 1_000_000:012x}{random.getrandbits(80):020x}"


def _jsonable(value: Any) -> Any:
    try:
        return json.loads(json.dumps(value, default=str))
    except (TypeError, ValueError):
        return str(value)


_PREVIEW_ENCODER = json.JSONEncoder(default=str, ensure_ascii=False)
"""``json.dumps(value, default=str, ensure_ascii=False)`` without building an encoder a call
(the export thread makes two previews a trace)."""


def _preview(value: Any) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else _PREVIEW_ENCODER.encode(value)
    return text[:PREVIEW_CHARS]


@dataclass(frozen=True, kw_only=True, slots=True)
class SpanEvent:
    """Something that happened at a point in time inside a span, e.g. an exception."""

    name: str
    """What happened, e.g. ``"exception"``."""
    timestamp_ns: int = 0
    """When, in nanoseconds since the epoch."""
    attributes: Mapping[str, Any] = field(default_factory=dict)
    """Details, e.g. ``exception.type`` and ``exception.message``."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the event."""
        return {
            "name": self.name,
            "timestamp_ns": self.timestamp_ns,
            "attributes": _jsonable(dict(self.attributes)),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SpanEvent:
        """Rebuild an event from :meth:`to_dict` output (OTLP's ``time_unix_nano`` works too)."""
        ts = data.get("timestamp_ns", data.get("timestamp", data.get("time_unix_nano", 0)))
        return cls(
            name=str(data.get("name", "")),
            timestamp_ns=int(ts or 0),
            attributes=dict(data.get("attributes") or {}),
        )


@dataclass(kw_only=True, slots=True)
class Span:
    """One step of a trace: a named, typed, timed call with its inputs and outputs.

    Mutable while its step runs (``set_outputs``, ``set_attribute``, ``add_event``); treat it
    as a value once the trace is finished.
    """

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
    """``"OK"``, or ``"ERROR"`` when the step raised (``"UNSET"`` if never set)."""
    error: str | None = None
    """The exception the step raised, as ``"Type: message"``."""
    events: list[SpanEvent] = field(default_factory=list)
    """Things that happened during the step, in time order (an exception is one)."""
    trace_id: str | None = None
    """The trace this span belongs to, once known."""

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

    def set_attributes(self, attributes: Mapping[str, Any]) -> None:
        """Record several details of the step."""
        self.attributes.update(attributes)

    def add_event(
        self, event: SpanEvent | str, attributes: Mapping[str, Any] | None = None
    ) -> None:
        """Record something that happened now (a :class:`SpanEvent`, or its name)."""
        if isinstance(event, str):
            event = SpanEvent(name=event, timestamp_ns=time.time_ns(), attributes=attributes or {})
        self.events.append(event)

    def set_status(self, status: str, description: str | None = None) -> None:
        """Mark the step ``"OK"`` or ``"ERROR"`` (``description`` is kept as ``error``)."""
        self.status = str(status).upper()
        if description is not None:
            self.error = description

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the span (values that are not JSON become strings)."""
        out = {
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
        if self.events:
            out["events"] = [e.to_dict() for e in self.events]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Span:
        """Rebuild a span from :meth:`to_dict` output (MLflow's exported spans work too)."""
        attributes = dict(data.get("attributes") or {})
        span_type = data.get("span_type") or _mlflow_attr(attributes, "mlflow.spanType")
        inputs = data.get("inputs", _mlflow_attr(attributes, "mlflow.spanInputs"))
        outputs = data.get("outputs", _mlflow_attr(attributes, "mlflow.spanOutputs"))
        start = data.get("start_time_ns", data.get("start_time_unix_nano", 0))
        end = data.get("end_time_ns", data.get("end_time_unix_nano"))
        status = data.get("status") or "OK"
        error = data.get("error")
        if isinstance(status, Mapping):  # MLflow/OTel: {"code": "STATUS_CODE_ERROR", "message"}
            code = str(status.get("code") or status.get("status_code") or "OK").upper()
            error = error or status.get("message") or status.get("description") or None
            status = "ERROR" if "ERROR" in code else "UNSET" if "UNSET" in code else "OK"
        events = data.get("events") or []
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
            status=str(status),
            error=error,
            events=[SpanEvent.from_dict(e) for e in events if isinstance(e, Mapping)],
            trace_id=data.get("trace_id") or None,
        )


_ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


def _raw_record(span: Span) -> dict[str, Any]:
    record = {
        "name": span.name,
        "span_type": span.span_type,
        "span_id": span.span_id,
        "parent_id": span.parent_id,
        "inputs": span.inputs,
        "outputs": span.outputs,
        "start_time_ns": span.start_time_ns,
        "end_time_ns": span.end_time_ns,
        "attributes": span.attributes,
        "status": span.status,
        "error": span.error,
    }
    if span.events:
        record["events"] = [e.to_dict() for e in span.events]
    return record


def encode_spans(spans: Sequence[Span]) -> bytes:
    """The spans as a JSON list of :meth:`Span.to_dict` records (UTF-8), the stored layout.

    One ``orjson`` call over the spans' values (values that are not JSON become strings); a
    structure orjson refuses (a cycle, an int beyond 64 bits, odd dict keys) goes the careful
    way, field by field through :meth:`Span.to_dict`.
    """
    records = [_raw_record(s) for s in spans]
    try:  # without OPT_NON_STR_KEYS first: it doubles orjson's time, and few values need it
        return orjson.dumps(records, default=str, option=orjson.OPT_SERIALIZE_NUMPY)
    except (TypeError, ValueError):
        pass
    try:
        return orjson.dumps(records, default=str, option=_ORJSON_OPTIONS)
    except (TypeError, ValueError):
        return json.dumps([s.to_dict() for s in spans], ensure_ascii=False).encode()


def _mlflow_attr(attributes: Mapping[str, Any], key: str) -> Any:
    value = attributes.get(key)
    if isinstance(value, str):  # MLflow stores span attributes JSON-encoded
        with contextlib.suppress(ValueError):
            return json.loads(value)
    return value


# -- assessments as dicts -------------------------------------------------------------------


def assessment_to_dict(assessment: AnyAssessment) -> dict[str, Any]:
    """A JSON-ready dict of a :class:`Feedback` or :class:`Expectation` (MLflow's layout)."""
    source = assessment.source
    out: dict[str, Any] = {
        "assessment_id": assessment.assessment_id,
        "assessment_name": assessment.name,
        "trace_id": assessment.trace_id,
        "span_id": assessment.span_id,
        "source": (
            {"source_type": str(source.source_type), "source_id": source.source_id}
            if source is not None
            else None
        ),
        "create_time_ms": assessment.create_time_ms,
        "last_update_time_ms": assessment.last_update_time_ms,
        "metadata": _jsonable(dict(assessment.metadata or {})),
    }
    if isinstance(assessment, Expectation):
        out["expectation"] = {"value": _jsonable(assessment.value)}
    else:
        feedback: dict[str, Any] = {"value": _jsonable(assessment.value)}
        if assessment.error is not None:
            feedback["error"] = {
                "error_code": assessment.error.error_code,
                "error_message": assessment.error.error_message,
            }
        out["feedback"] = feedback
        out["rationale"] = assessment.rationale
    return out


def assessment_from_dict(data: Mapping[str, Any]) -> AnyAssessment:
    """Rebuild a :class:`Feedback` or :class:`Expectation` from :func:`assessment_to_dict`."""
    src = data.get("source")
    source = None
    if isinstance(src, Mapping):
        kind = AssessmentSourceType(str(src.get("source_type") or "CODE").upper())
        source = AssessmentSource(source_type=kind, source_id=src.get("source_id"))
    common: dict[str, Any] = {
        "name": data.get("assessment_name") or data.get("name"),
        "source": source,
        "metadata": dict(data.get("metadata") or {}),
        "trace_id": data.get("trace_id"),
        "assessment_id": data.get("assessment_id"),
        "span_id": data.get("span_id"),
        "create_time_ms": data.get("create_time_ms"),
        "last_update_time_ms": data.get("last_update_time_ms"),
    }
    if "expectation" in data:
        return Expectation(value=(data["expectation"] or {}).get("value"), **common)
    fb = data.get("feedback") or {}
    err = fb.get("error")
    return Feedback(
        value=fb.get("value"),
        rationale=data.get("rationale"),
        error=AssessmentError(
            error_code=str(err.get("error_code") or "UNKNOWN"),
            error_message=err.get("error_message"),
        )
        if isinstance(err, Mapping)
        else None,
        **common,
    )


# -- info, data, trace -----------------------------------------------------------------------


@dataclass(kw_only=True, slots=True)
class TraceInfo:
    """Which trace it is and how it went: MLflow's ``TraceInfo`` (v3 names)."""

    trace_id: str = field(default_factory=new_trace_id)
    """The trace's id, ``"tr-"`` and 32 hex digits unless given."""
    experiment_id: str | None = None
    """The experiment the trace is stored in (``None`` until stored)."""
    request_time: int = 0
    """When the trace started, in milliseconds since the epoch."""
    execution_duration: int | None = None
    """How long it took, in milliseconds (``None`` while running)."""
    state: TraceState = TraceState.OK
    """``OK``, ``ERROR`` (the root span raised) or ``IN_PROGRESS``."""
    request_preview: str | None = None
    """The start of the root span's inputs, as JSON text."""
    response_preview: str | None = None
    """The start of the root span's outputs, as JSON text."""
    client_request_id: str | None = None
    """An id the app gave the request, to find its trace later."""
    trace_metadata: dict[str, str] = field(default_factory=dict)
    """Immutable facts about the trace: session id (``mlflow.trace.session``), user id
    (``mlflow.trace.user``), the run it was logged in (``mlflow.sourceRun``), ..."""
    tags: dict[str, str] = field(default_factory=dict)
    """Labels that may change after the fact (``set_trace_tag``)."""
    assessments: list[AnyAssessment] = field(default_factory=list)
    """Feedback and expectations attached to the trace."""

    def __post_init__(self) -> None:
        if not isinstance(self.state, TraceState):
            try:
                self.state = TraceState(str(self.state).upper())
            except ValueError:
                choices = ", ".join(s.value for s in TraceState)
                raise DataError(f"trace state {self.state!r} is not one of {choices}") from None

    @property
    def request_id(self) -> str:
        """The trace id (MLflow 2's name)."""
        return self.trace_id

    @property
    def timestamp_ms(self) -> int:
        """The start time in milliseconds (MLflow 2's name)."""
        return self.request_time

    @property
    def execution_time_ms(self) -> int | None:
        """The duration in milliseconds (MLflow 2's name)."""
        return self.execution_duration

    @property
    def status(self) -> TraceState:
        """The state (MLflow 2's name)."""
        return self.state

    @property
    def session_id(self) -> str | None:
        """The conversation this trace is a turn of (``mlflow.trace.session``), if any."""
        return self.trace_metadata.get(SESSION_METADATA_KEY)

    @property
    def user_id(self) -> str | None:
        """The end user's id (``mlflow.trace.user``), if any."""
        return self.trace_metadata.get(USER_METADATA_KEY)

    @property
    def run_id(self) -> str | None:
        """The run the trace was logged in (``mlflow.sourceRun``), if any."""
        return self.trace_metadata.get(SOURCE_RUN_METADATA_KEY)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the info."""
        return {
            "trace_id": self.trace_id,
            "experiment_id": self.experiment_id,
            "request_time": self.request_time,
            "execution_duration": self.execution_duration,
            "state": str(self.state),
            "request_preview": self.request_preview,
            "response_preview": self.response_preview,
            "client_request_id": self.client_request_id,
            "trace_metadata": dict(self.trace_metadata),
            "tags": dict(self.tags),
            "assessments": [assessment_to_dict(a) for a in self.assessments],
        }

    def fill_from_root(
        self,
        *,
        start_time_ns: int,
        end_time_ns: int | None,
        status: str,
        inputs: Any,
        outputs: Any,
    ) -> None:
        """Set the times, state and previews from the root span's values (after recording)."""
        self.request_time = start_time_ns // 1_000_000
        if end_time_ns is not None:
            self.execution_duration = (end_time_ns - start_time_ns) // 1_000_000
        self.state = TraceState.ERROR if status == "ERROR" else TraceState.OK
        self.request_preview = _preview(inputs)
        self.response_preview = _preview(outputs)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TraceInfo:
        """Rebuild the info from :meth:`to_dict` output (MLflow 2 names work too)."""
        location = data.get("trace_location") or {}
        experiment_id = data.get("experiment_id")
        if experiment_id is None and isinstance(location, Mapping):
            experiment_id = (location.get("mlflow_experiment") or {}).get("experiment_id")
        metadata = data.get("trace_metadata") or data.get("request_metadata") or {}
        return cls(
            trace_id=str(data.get("trace_id") or data.get("request_id") or new_trace_id()),
            experiment_id=None if experiment_id is None else str(experiment_id),
            request_time=int(data.get("request_time", data.get("timestamp_ms")) or 0),
            execution_duration=_opt_int(
                data.get("execution_duration", data.get("execution_time_ms"))
            ),
            state=data.get("state") or data.get("status") or TraceState.OK,
            request_preview=data.get("request_preview"),
            response_preview=data.get("response_preview"),
            client_request_id=data.get("client_request_id"),
            trace_metadata={str(k): str(v) for k, v in metadata.items()},
            tags={str(k): str(v) for k, v in (data.get("tags") or {}).items()},
            assessments=[
                assessment_from_dict(a)
                for a in data.get("assessments") or []
                if isinstance(a, Mapping)
            ],
        )


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)


@dataclass(kw_only=True, slots=True)
class TraceData:
    """The spans of a trace, in the order they started."""

    spans: list[Span] = field(default_factory=list)
    """Every step, in start order."""

    def _root(self) -> Span | None:
        return next((s for s in self.spans if s.parent_id is None), None)

    @property
    def request(self) -> str | None:
        """The root span's inputs as JSON text (MLflow's ``trace.data.request``)."""
        root = self._root()
        return None if root is None else json.dumps(_jsonable(root.inputs))

    @property
    def response(self) -> str | None:
        """The root span's outputs as JSON text (MLflow's ``trace.data.response``)."""
        root = self._root()
        return None if root is None else json.dumps(_jsonable(root.outputs))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ``{"spans": [...]}``."""
        return {"spans": [s.to_dict() for s in self.spans]}


class Trace:
    """A trace: ``info`` (which trace, how it went) and ``data`` (its spans).

    ``Trace(spans=[...])`` is short for ``Trace(data=TraceData(spans=[...]))``; without
    ``info`` a fresh one (new id, state OK) is made.
    """

    __slots__ = ("data", "info")

    def __init__(
        self,
        info: TraceInfo | None = None,
        data: TraceData | None = None,
        *,
        spans: Sequence[Span] | None = None,
    ) -> None:
        if data is not None and spans is not None:
            raise TypeError("give data or spans, not both")
        self.info: TraceInfo = info if info is not None else TraceInfo()
        """Which trace it is and how it went."""
        self.data: TraceData = data if data is not None else TraceData(spans=list(spans or []))
        """The spans."""

    def __repr__(self) -> str:
        return f"Trace(trace_id={self.info.trace_id!r}, spans={len(self.data.spans)})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Trace):
            return NotImplemented
        return self.info == other.info and self.data == other.data

    __hash__ = None  # type: ignore[assignment]

    @property
    def spans(self) -> list[Span]:
        """The spans, in the order they started (``data.spans``)."""
        return self.data.spans

    @property
    def trace_id(self) -> str:
        """The trace's id (``info.trace_id``)."""
        return self.info.trace_id

    def search_spans(
        self, span_type: str | None = None, name: str | None = None, span_id: str | None = None
    ) -> list[Span]:
        """The spans of a type, name and/or id, in start order (MLflow's ``search_spans``)."""
        return [
            s
            for s in self.data.spans
            if (span_type is None or str(s.span_type) == str(span_type).upper())
            and (name is None or s.name == name)
            and (span_id is None or s.span_id == span_id)
        ]

    @property
    def root(self) -> Span | None:
        """The first span that ran inside no other, if any."""
        return self.data._root()

    def search_assessments(self, name: str | None = None) -> list[AnyAssessment]:
        """The trace's assessments, optionally only those called ``name``."""
        return [a for a in self.info.assessments if name is None or a.name == name]

    @property
    def expectations(self) -> dict[str, Any]:
        """The trace's expectations as ``{name: value}`` (the latest of each name wins)."""
        return {str(a.name): a.value for a in self.info.assessments if isinstance(a, Expectation)}

    def validate(self) -> None:
        """Check the spans form one tree: some spans, ids unique, parents known, no cycle.

        Raises:
            DataError: Naming the trace, the span and what is wrong.
        """
        validate_span_tree(
            self.info.trace_id, ((s.name, s.span_id, s.parent_id) for s in self.data.spans)
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict in MLflow's layout: ``{"info": {...}, "data": {"spans": [...]}}``."""
        return {"info": self.info.to_dict(), "data": self.data.to_dict()}

    def to_json(self) -> str:
        """The :meth:`to_dict` form as a JSON string."""
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Trace:
        """Rebuild a trace from :meth:`to_dict` output, ``{"spans": [...]}`` or MLflow's export.

        Raises:
            ValueError: ``data`` has no list of spans.
        """
        spans = data.get("spans")
        if spans is None and isinstance(data.get("data"), Mapping):
            spans = data["data"].get("spans")
        if not isinstance(spans, list) or not all(isinstance(s, Mapping) for s in spans):
            raise ValueError('a trace must be a dict with a list of span dicts: {"spans": [...]}')
        info = data.get("info")
        return cls(
            info=TraceInfo.from_dict(info) if isinstance(info, Mapping) else None,
            spans=[Span.from_dict(s) for s in spans],
        )

    @classmethod
    def from_json(cls, text: str) -> Trace:
        """Rebuild a trace from :meth:`to_json` output."""
        return cls.from_dict(json.loads(text))

    def finish_info(self) -> None:
        """Fill ``info``'s times, state and previews from the root span (after recording)."""
        root = self.root
        if root is None:
            return
        self.info.fill_from_root(
            start_time_ns=root.start_time_ns,
            end_time_ns=root.end_time_ns,
            status=root.status,
            inputs=root.inputs,
            outputs=root.outputs,
        )


def validate_span_tree(trace_id: str, spans: Iterable[tuple[Any, Any, Any]]) -> None:
    """Check ``(name, span_id, parent_id)`` of a trace's spans form one tree.

    Some spans, ids unique, every parent known, no cycle (:meth:`Trace.validate` on a trace's
    spans; the exporter runs it on encoded spans).

    Raises:
        DataError: Naming the trace, the span and what is wrong.
    """
    spans = list(spans)
    earlier: set[Any] = set()
    for _, span_id, parent_id in spans:  # the usual case, one pass: parents come first
        if (
            not span_id
            or span_id in earlier
            or (parent_id is not None and parent_id not in earlier)
        ):
            break
        earlier.add(span_id)
    else:
        if earlier:
            return  # unique ids, every parent earlier in the list: one tree, no cycle
    where = f"trace {trace_id}"
    parents: dict[Any, Any] = {}
    names: dict[Any, Any] = {}
    for i, (name, span_id, parent_id) in enumerate(spans):
        if not span_id:
            raise DataError(f"{where}: span {i} ({name!r}) has no span_id")
        if span_id in parents:
            raise DataError(f"{where}: span_id {span_id!r} is used by two spans")
        parents[span_id] = parent_id
        names[span_id] = name
    if not parents:
        raise DataError(f"{where}: no spans, so no root span; a stored trace needs one")
    for span_id, parent_id in parents.items():
        if parent_id is not None and parent_id not in parents:
            raise DataError(
                f"{where}: span {span_id!r} ({names[span_id]!r}) names parent {parent_id!r}, "
                "which is not in the trace; send the parent span too, or set parent_id=None"
            )
    rooted: set[Any] = set()  # spans known to reach a root: each chain is walked once
    for span_id in parents:
        seen = [span_id]
        node = parents[span_id]
        while node is not None and node not in rooted:
            if node in seen:
                raise DataError(
                    f"{where}: spans {sorted(seen)} form a cycle of parent ids, so the "
                    "trace has no root span; a span cannot run inside itself"
                )
            seen.append(node)
            node = parents[node]
        rooted.update(seen)


@dataclass(kw_only=True, slots=True)
class EncodedTrace:
    """A finished trace on its way to a store: its info and its spans already encoded.

    Traces exported by :mod:`evalkit.tracing` travel in this form (encoded in the app's thread
    when the trace ends, so the export queue holds bytes, not objects the garbage collector
    must walk); :meth:`to_trace` rebuilds the :class:`Trace`.
    """

    info: TraceInfo
    """The trace's info, with times, state and previews filled in from the root span."""
    spans_json: str
    """The spans as :func:`encode_spans` wrote them (the stored layout)."""
    span_count: int
    """How many spans the trace has."""
    root_name: str | None
    """The name of the root span (the first without a parent)."""

    @property
    def spans(self) -> list[dict[str, Any]]:
        """The spans decoded: one JSON-ready dict per span (:meth:`Span.to_dict`'s keys)."""
        return decode_spans(self.spans_json)

    def to_trace(self) -> Trace:
        """The :class:`Trace` (values that were not JSON come back as their strings)."""
        spans = [Span.from_dict(s) for s in self.spans]
        for span in spans:
            span.trace_id = self.info.trace_id
        return Trace(info=self.info, spans=spans)


def decode_spans(encoded: str | bytes) -> list[dict[str, Any]]:
    """The span records :func:`encode_spans` wrote."""
    try:
        spans = orjson.loads(encoded)
    except orjson.JSONDecodeError:  # the careful encoding may hold NaN, which orjson refuses
        spans = json.loads(encoded)
    if not isinstance(spans, list) or not all(isinstance(s, dict) for s in spans):
        raise DataError("encoded spans must be a JSON list of span objects")
    return spans
