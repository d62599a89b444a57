"""OpenTelemetry bridge: OTel spans and OTLP/JSON files as evalkit traces, and back.

Apps already instrumented with OpenTelemetry -- with the OpenInference conventions
(``openinference.span.kind``, ``input.value``, ``output.value``, ``retrieval.documents.N...``)
or the OTel GenAI conventions (``gen_ai.operation.name``, ``gen_ai.request.model``,
``gen_ai.prompt`` / ``gen_ai.completion``, ``gen_ai.input.messages``, the ``gen_ai.*.message``
and ``gen_ai.choice`` events) -- become evalkit traces with span types, inputs and outputs
that scorers read. ``session.id`` / ``gen_ai.conversation.id`` become the trace's session
(``mlflow.trace.session``), ``user.id`` / ``enduser.id`` its user.

* :class:`EvalkitSpanExporter` -- an OTel ``SpanExporter`` (needs ``pip install
  'evalkit[otel]'``) that groups finished spans by trace id and hands each finished trace to a
  sink; :class:`evalkit.tracking.otel.StoreSpanExporter` is the one that writes the store.
* :func:`read_otlp_json` / :func:`traces_from_otlp` -- OTLP/JSON (ids hex or base64, times as
  strings or ints, typed ``AnyValue`` attributes) to traces, each checked with
  :meth:`Trace.validate`.
* :func:`export_otlp_json` -- traces to OTLP/JSON; importing the result gives the same traces.

This module imports no tracking code (the store is reached through a sink callable).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import logging
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from evalkit.entities.trace import (
    SESSION_METADATA_KEY,
    USER_METADATA_KEY,
    Span,
    SpanEvent,
    SpanType,
    Trace,
    TraceInfo,
)
from evalkit.errors import DataError

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import ReadableSpan
    from opentelemetry.sdk.trace.export import SpanExportResult

try:
    from opentelemetry.sdk.trace.export import SpanExporter as _SpanExporterBase

    _OTEL_MISSING: str | None = None
except ImportError as exc:  # pragma: no cover - the otel extra is in dev
    _SpanExporterBase = object  # type: ignore[misc,assignment]
    _OTEL_MISSING = f"{exc}; install it with: pip install 'evalkit[otel]'"

__all__ = [
    "EvalkitSpanExporter",
    "ExporterStats",
    "export_otlp_json",
    "read_otlp_json",
    "traces_from_otlp",
]

_log = logging.getLogger(__name__)

_OPENINFERENCE_KINDS = {
    "LLM",
    "RETRIEVER",
    "TOOL",
    "AGENT",
    "CHAIN",
    "EMBEDDING",
    "RERANKER",
    "UNKNOWN",
}
_GENAI_OPERATIONS = {
    "chat": SpanType.CHAT_MODEL,
    "text_completion": SpanType.LLM,
    "generate_content": SpanType.LLM,
    "embeddings": SpanType.EMBEDDING,
    "execute_tool": SpanType.TOOL,
    "invoke_agent": SpanType.AGENT,
    "create_agent": SpanType.AGENT,
}
_GENAI_MESSAGE_EVENTS = {
    "gen_ai.system.message": "system",
    "gen_ai.user.message": "user",
    "gen_ai.assistant.message": "assistant",
    "gen_ai.tool.message": "tool",
}
# evalkit's own attributes on exported spans: what OTLP has no field for, so that importing
# an export gives back the same trace
_EK_SPAN_TYPE = "evalkit.span_type"
_EK_SPAN_ID = "evalkit.span_id"
_EK_TRACE_ID = "evalkit.trace_id"
_EK_METADATA = "evalkit.trace_metadata"
_EK_TAGS = "evalkit.trace_tags"
_EK_ERROR = "evalkit.error"
_EK_STATUS = "evalkit.status"
_EK_ADDED = "evalkit.added_attributes"
# attributes whose content becomes the span's type, inputs or outputs (not kept as attributes)
_CONSUMED = {
    "openinference.span.kind",
    "input.value",
    "input.mime_type",
    "output.value",
    "output.mime_type",
    "gen_ai.prompt",
    "gen_ai.completion",
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
    _EK_SPAN_TYPE,
    _EK_SPAN_ID,
    _EK_TRACE_ID,
    _EK_METADATA,
    _EK_TAGS,
    _EK_ERROR,
    _EK_STATUS,
    _EK_ADDED,
}
_CONSUMED_PREFIXES = (
    "retrieval.documents.",
    "llm.input_messages.",
    "llm.output_messages.",
    "gen_ai.prompt.",
    "gen_ai.completion.",
)
_HEX = re.compile(r"[0-9a-fA-F]+")


# -- one OTel span, whatever it came from ----------------------------------------------------


@dataclass(kw_only=True, slots=True)
class _OtelSpan:
    trace_hex: str
    span_hex: str
    parent_hex: str | None
    name: str
    start_ns: int
    end_ns: int | None
    attributes: dict[str, Any]
    events: list[SpanEvent] = field(default_factory=list)
    status_code: str = "UNSET"
    status_message: str | None = None


def _maybe_json(value: Any, mime: Any = None) -> Any:
    if not isinstance(value, str):
        return value
    if mime is not None and "json" not in str(mime):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _indexed(attrs: Mapping[str, Any], prefix: str, inner: str = "") -> list[dict[str, Any]]:
    """``prefix.0.inner.role = x`` attributes as ``[{"role": x}, ...]`` in index order."""
    items: dict[int, dict[str, Any]] = {}
    for key, value in attrs.items():
        if not key.startswith(prefix):
            continue
        index, _, rest = key[len(prefix) :].partition(".")
        if not index.isdigit() or not rest:
            continue
        if inner and rest.startswith(inner):
            rest = rest[len(inner) :]
        items.setdefault(int(index), {})[rest] = value
    return [items[i] for i in sorted(items)]


def _messages(attrs: Mapping[str, Any], events: Sequence[SpanEvent], *, inputs: bool) -> Any:
    side = "input" if inputs else "output"
    if f"{side}.value" in attrs:
        value = attrs[f"{side}.value"]
        mime = attrs.get(f"{side}.mime_type")
        if mime is None and isinstance(value, str) and value.lstrip()[:1] in ("{", "["):
            mime = "json"  # no mime type: an object or list is JSON, "42" stays text
        return _maybe_json(value, mime or "text/plain")
    if f"gen_ai.{side}.messages" in attrs:
        return {"messages": _maybe_json(attrs[f"gen_ai.{side}.messages"])}
    legacy = "gen_ai.prompt" if inputs else "gen_ai.completion"
    if legacy in attrs:
        return _maybe_json(attrs[legacy])
    msgs = _indexed(attrs, f"llm.{side}_messages.", "message.") or _indexed(attrs, legacy + ".")
    if msgs:
        return {"messages": msgs}
    if inputs:
        msgs = [
            {"role": _GENAI_MESSAGE_EVENTS[e.name], **_event_body(e)}
            for e in events
            if e.name in _GENAI_MESSAGE_EVENTS
        ]
        if msgs:
            return {"messages": msgs}
        if "gen_ai.tool.call.arguments" in attrs:
            return _maybe_json(attrs["gen_ai.tool.call.arguments"])
    else:
        choices = [_event_body(e) for e in events if e.name == "gen_ai.choice"]
        if choices:
            return {"choices": choices}
        if "gen_ai.tool.call.result" in attrs:
            return _maybe_json(attrs["gen_ai.tool.call.result"])
    return None


def _event_body(event: SpanEvent) -> dict[str, Any]:
    body = {k: _maybe_json(v) for k, v in event.attributes.items() if k != "gen_ai.system"}
    message = body.pop("message", None)
    if isinstance(message, Mapping):
        body.update(message)
    return body


def _documents(attrs: Mapping[str, Any]) -> list[dict[str, Any]]:
    docs = []
    for raw in _indexed(attrs, "retrieval.documents.", "document."):
        doc: dict[str, Any] = {"page_content": raw.get("content")}
        metadata = _maybe_json(raw.get("metadata"))
        doc["metadata"] = dict(metadata) if isinstance(metadata, Mapping) else {}
        if "id" in raw:
            doc["id"] = raw["id"]
            doc["metadata"].setdefault("doc_uri", raw["id"])
        if "score" in raw:
            doc["metadata"]["score"] = raw["score"]
        docs.append(doc)
    return docs


def _span_type(attrs: Mapping[str, Any]) -> str:
    if _EK_SPAN_TYPE in attrs:
        return str(attrs[_EK_SPAN_TYPE])
    kind = str(attrs.get("openinference.span.kind") or "").upper()
    if kind:
        return kind if kind in SpanType.__members__ else SpanType.UNKNOWN
    operation = str(attrs.get("gen_ai.operation.name") or "").lower()
    if operation in _GENAI_OPERATIONS:
        return _GENAI_OPERATIONS[operation]
    if "gen_ai.request.model" in attrs or "llm.model_name" in attrs:
        return SpanType.LLM
    return SpanType.UNKNOWN


def _to_span(rec: _OtelSpan) -> Span:
    attrs = rec.attributes
    span_type = _span_type(attrs)
    outputs = _messages(attrs, rec.events, inputs=False)
    if span_type == SpanType.RETRIEVER and any(k.startswith("retrieval.") for k in attrs):
        outputs = _documents(attrs) or outputs
    status = str(attrs.get(_EK_STATUS) or ("ERROR" if rec.status_code == "ERROR" else "OK"))
    error = attrs.get(_EK_ERROR, rec.status_message or None)
    if status == "ERROR" and error is None:
        exc = next((e for e in rec.events if e.name == "exception"), None)
        if exc is not None:
            error = f"{exc.attributes.get('exception.type', 'Exception')}: " + str(
                exc.attributes.get("exception.message", "")
            )
    return Span(
        name=rec.name,
        span_type=span_type,
        inputs=_messages(attrs, rec.events, inputs=True),
        outputs=outputs,
        start_time_ns=rec.start_ns,
        end_time_ns=rec.end_ns,
        attributes={
            k: v
            for k, v in attrs.items()
            if k not in _CONSUMED
            and not k.startswith(_CONSUMED_PREFIXES)
            # what export_otlp_json added for other tools (it is in the metadata too)
            and k not in (attrs.get(_EK_ADDED) or ())
        },
        span_id=str(attrs.get(_EK_SPAN_ID) or rec.span_hex),
        parent_id=None,  # set by _assemble, which knows the other spans' ids
        status=status,
        error=None if error is None else str(error),
        events=list(rec.events),
    )


def _assemble(trace_hex: str, recs: Sequence[_OtelSpan], where: str) -> Trace:
    """One trace from its OTel spans; raises DataError (naming ``where``) if not one tree."""
    spans = [_to_span(r) for r in recs]
    ids = {r.span_hex: s.span_id for r, s in zip(recs, spans, strict=True)}
    for rec, span in zip(recs, spans, strict=True):
        if rec.parent_hex is not None:
            # a parent outside the file keeps its OTel id, so validate() names it
            span.parent_id = ids.get(rec.parent_hex, rec.parent_hex)
    spans.sort(key=lambda s: s.start_time_ns)
    info = TraceInfo(trace_id=f"tr-{trace_hex.lower()}")
    for rec in recs:
        attrs = rec.attributes
        if _EK_TRACE_ID in attrs:
            info.trace_id = str(attrs[_EK_TRACE_ID])
        for key in ("session.id", "gen_ai.conversation.id"):
            if key in attrs:
                info.trace_metadata.setdefault(SESSION_METADATA_KEY, str(attrs[key]))
        for key in ("user.id", "enduser.id"):
            if key in attrs:
                info.trace_metadata.setdefault(USER_METADATA_KEY, str(attrs[key]))
        for key, target in ((_EK_METADATA, info.trace_metadata), (_EK_TAGS, info.tags)):
            value = _maybe_json(attrs.get(key))
            if isinstance(value, Mapping):
                target.update({str(k): str(v) for k, v in value.items()})
    trace = Trace(info=info, spans=spans)
    try:
        trace.validate()
    except DataError as exc:
        raise DataError(f"{where}: {exc}") from None
    trace.finish_info()
    return trace


# -- OTLP/JSON in ----------------------------------------------------------------------------


def _any_value(value: Any, where: str) -> Any:
    """An OTLP ``AnyValue`` (``{"stringValue": ...}``, ``{"intValue": "3"}``, ...) as Python."""
    if not isinstance(value, Mapping):
        raise DataError(f"{where}: an attribute value must be an AnyValue object, got {value!r}")
    if not value:
        return None
    if "stringValue" in value:
        return str(value["stringValue"])
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "intValue" in value:
        return int(value["intValue"])
    if "doubleValue" in value:
        return float(value["doubleValue"])
    if "bytesValue" in value:
        return str(value["bytesValue"])
    if "arrayValue" in value:
        return [_any_value(v, where) for v in (value["arrayValue"] or {}).get("values") or []]
    if "kvlistValue" in value:
        return _key_values((value["kvlistValue"] or {}).get("values") or [], where)
    raise DataError(f"{where}: unknown AnyValue {sorted(value)}; expected stringValue, ...")


def _key_values(items: Any, where: str) -> dict[str, Any]:
    if not isinstance(items, list):
        raise DataError(f"{where}: attributes must be a list of {{key, value}} objects")
    out = {}
    for item in items:
        if not isinstance(item, Mapping) or "key" not in item:
            raise DataError(f"{where}: attribute {item!r} is not a {{key, value}} object")
        out[str(item["key"])] = _any_value(item.get("value") or {}, f"{where} {item['key']!r}")
    return out


def _otlp_id(value: Any, nbytes: int, what: str, where: str) -> str:
    """An OTLP trace/span id, hex (OTLP/JSON) or base64 (protobuf JSON), as lowercase hex."""
    text = str(value or "")
    if len(text) == 2 * nbytes and _HEX.fullmatch(text):
        return text.lower()
    with contextlib.suppress(binascii.Error, ValueError):
        raw = base64.b64decode(text, validate=True)
        if len(raw) == nbytes:
            return raw.hex()
    raise DataError(
        f"{where}: {what} {value!r} is not {nbytes} bytes as hex ({2 * nbytes} digits) or base64"
    )


def _nanos(value: Any, what: str, where: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise DataError(f"{where}: {what} {value!r} is not nanoseconds (an integer)") from None


def _status(data: Any) -> tuple[str, str | None]:
    if not isinstance(data, Mapping):
        return "UNSET", None
    code = str(data.get("code", 0)).upper()
    name = {"0": "UNSET", "1": "OK", "2": "ERROR"}.get(code, code.removeprefix("STATUS_CODE_"))
    return name, data.get("message") or None


def _parse_span(data: Any, where: str) -> _OtelSpan:
    if not isinstance(data, Mapping):
        raise DataError(f"{where}: a span must be an object, got {type(data).__name__}")
    name = data.get("name")
    span_where = f"{where} ({name!r})"
    span_hex = _otlp_id(data.get("spanId"), 8, "spanId", span_where)
    span_where = f"{where} span {span_hex} ({name!r})"
    parent = data.get("parentSpanId")
    end = data.get("endTimeUnixNano")
    events = []
    for j, ev in enumerate(data.get("events") or []):
        if not isinstance(ev, Mapping):
            raise DataError(f"{span_where}: event {j} is not an object")
        events.append(
            SpanEvent(
                name=str(ev.get("name", "")),
                timestamp_ns=_nanos(ev.get("timeUnixNano", 0), "event time", span_where),
                attributes=_key_values(ev.get("attributes") or [], f"{span_where} event {j}"),
            )
        )
    code, message = _status(data.get("status"))
    return _OtelSpan(
        trace_hex=_otlp_id(data.get("traceId"), 16, "traceId", span_where),
        span_hex=span_hex,
        parent_hex=_otlp_id(parent, 8, "parentSpanId", span_where) if parent else None,
        name=str(name or ""),
        start_ns=_nanos(data.get("startTimeUnixNano", 0), "startTimeUnixNano", span_where),
        end_ns=None if end is None else _nanos(end, "endTimeUnixNano", span_where),
        attributes=_key_values(data.get("attributes") or [], span_where),
        events=events,
        status_code=code,
        status_message=message,
    )


def traces_from_otlp(
    document: Any, source: str = "OTLP JSON", *, errors: Literal["raise", "skip"] = "raise"
) -> list[Trace]:
    """The traces in an OTLP/JSON document (``{"resourceSpans": [...]}``), in first-seen order.

    Args:
        document: The parsed JSON.
        source: What to call the document in errors (e.g. its file name).
        errors: ``"raise"``: any bad trace raises, and nothing is returned. ``"skip"``: bad
            traces (no root, a missing parent, a cycle) are left out and logged as warnings;
            a document that is not OTLP at all still raises.

    Raises:
        DataError: Naming ``source``, the span and what is wrong.
    """
    if not isinstance(document, Mapping) or not isinstance(document.get("resourceSpans"), list):
        raise DataError(
            f"{source}: not OTLP/JSON traces; expected an object "
            '{"resourceSpans": [{"scopeSpans": [{"spans": [...]}]}]}'
        )
    by_trace: dict[str, list[_OtelSpan]] = {}
    for r, resource_spans in enumerate(document["resourceSpans"]):
        scopes = resource_spans.get("scopeSpans") if isinstance(resource_spans, Mapping) else None
        if scopes is None and isinstance(resource_spans, Mapping):
            scopes = resource_spans.get("instrumentationLibrarySpans")  # OTLP before 0.15
        if not isinstance(scopes, list):
            raise DataError(f"{source}: resourceSpans[{r}] has no list of scopeSpans")
        for s, scope in enumerate(scopes):
            spans = scope.get("spans") if isinstance(scope, Mapping) else None
            if not isinstance(spans, list):
                raise DataError(f"{source}: resourceSpans[{r}].scopeSpans[{s}] has no spans list")
            for k, data in enumerate(spans):
                where = f"{source}: resourceSpans[{r}].scopeSpans[{s}].spans[{k}]"
                rec = _parse_span(data, where)
                by_trace.setdefault(rec.trace_hex, []).append(rec)
    traces, problems = [], []
    for trace_hex, recs in by_trace.items():
        try:
            traces.append(_assemble(trace_hex, recs, source))
        except DataError as exc:
            if errors == "raise":
                problems.append(str(exc))
            else:
                _log.warning("skipped a trace: %s", exc)
    if problems:
        more = f" (and {len(problems) - 1} more bad traces)" if len(problems) > 1 else ""
        raise DataError(problems[0] + more + "; nothing was imported")
    return traces


def read_otlp_json(path: str | Path, *, errors: Literal["raise", "skip"] = "raise") -> list[Trace]:
    """The traces in an OTLP/JSON file (one document, or one per line as the Collector's
    file exporter writes), without storing them; see :func:`traces_from_otlp`.

    Raises:
        DataError: The file is not JSON or not OTLP, or a trace is not one tree; the message
            names the file and the span.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataError(f"{path}: cannot read the OTLP file: {exc}") from None
    try:
        documents = [json.loads(text)]
    except ValueError as exc:
        try:  # JSON lines: one export request per line
            documents = [json.loads(line) for line in text.splitlines() if line.strip()]
        except ValueError:
            raise DataError(f"{path}: not JSON ({exc}); expected an OTLP/JSON file") from None
        if not documents:
            raise DataError(f"{path}: not JSON ({exc}); expected an OTLP/JSON file") from None
    merged: dict[str, list[Any]] = {"resourceSpans": []}
    for i, doc in enumerate(documents):
        if not isinstance(doc, Mapping) or not isinstance(doc.get("resourceSpans"), list):
            where = str(path) if len(documents) == 1 else f"{path} line {i + 1}"
            traces_from_otlp(doc, where)  # raises the shape error
        merged["resourceSpans"].extend(doc["resourceSpans"])
    return traces_from_otlp(merged, str(path), errors=errors)


# -- OTLP/JSON out ---------------------------------------------------------------------------


def _to_any_value(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, str):
        return {"stringValue": value}
    if isinstance(value, Mapping):
        return {"kvlistValue": {"values": _to_key_values(value)}}
    if isinstance(value, list | tuple):
        return {"arrayValue": {"values": [_to_any_value(v) for v in value]}}
    return {"stringValue": str(value)}


def _to_key_values(attrs: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"key": str(k), "value": _to_any_value(v)} for k, v in attrs.items()]


def _hex_id(value: str, nbytes: int) -> str:
    text = value.removeprefix("tr-") if nbytes == 16 else value
    if len(text) == 2 * nbytes and _HEX.fullmatch(text):
        return text.lower()
    return hashlib.blake2b(value.encode(), digest_size=nbytes).hexdigest()


def _span_to_otlp(trace: Trace, span: Span, trace_hex: str) -> dict[str, Any]:
    span_type = str(span.span_type)
    attrs: dict[str, Any] = {
        "openinference.span.kind": span_type if span_type in _OPENINFERENCE_KINDS else "UNKNOWN"
    }
    if span_type not in _OPENINFERENCE_KINDS:
        attrs[_EK_SPAN_TYPE] = span_type
    for side, value in (("input", span.inputs), ("output", span.outputs)):
        if value is not None:
            attrs[f"{side}.value"] = json.dumps(value, default=str, ensure_ascii=False)
            attrs[f"{side}.mime_type"] = "application/json"
    span_hex = _hex_id(span.span_id, 8)
    if span_hex != span.span_id:
        attrs[_EK_SPAN_ID] = span.span_id
    if span.parent_id is None:
        info = trace.info
        if _hex_id(info.trace_id, 16) != info.trace_id.removeprefix("tr-"):
            attrs[_EK_TRACE_ID] = info.trace_id
        if info.trace_metadata:
            attrs[_EK_METADATA] = json.dumps(info.trace_metadata)
        if info.tags:
            attrs[_EK_TAGS] = json.dumps(info.tags)
        if info.session_id and "session.id" not in span.attributes:
            attrs["session.id"] = info.session_id
            attrs[_EK_ADDED] = ["session.id"]
    if span.status not in ("OK", "ERROR"):
        attrs[_EK_STATUS] = span.status
    if span.error is not None:
        attrs[_EK_ERROR] = span.error
    attrs.update(span.attributes)
    out: dict[str, Any] = {
        "traceId": trace_hex,
        "spanId": span_hex,
        "name": span.name,
        "kind": 1,  # SPAN_KIND_INTERNAL
        "startTimeUnixNano": str(span.start_time_ns),
        "attributes": _to_key_values(attrs),
        "status": {"code": 2 if span.status == "ERROR" else 1},
    }
    if span.parent_id is not None:
        out["parentSpanId"] = _hex_id(span.parent_id, 8)
    if span.end_time_ns is not None:
        out["endTimeUnixNano"] = str(span.end_time_ns)
    if span.error:
        out["status"]["message"] = span.error
    if span.events:
        out["events"] = [
            {
                "timeUnixNano": str(e.timestamp_ns),
                "name": e.name,
                "attributes": _to_key_values(e.attributes),
            }
            for e in span.events
        ]
    return out


def export_otlp_json(traces: Iterable[Trace], path: str | Path | None = None) -> dict[str, Any]:
    """Traces as one OTLP/JSON document (``ExportTraceServiceRequest``), written to ``path``
    too if given.

    Ids are hex (evalkit ids that are not OTel-shaped are hashed, and kept in ``evalkit.*``
    attributes); inputs and outputs go in OpenInference's ``input.value`` / ``output.value``
    as JSON; the span type in ``openinference.span.kind``. :func:`read_otlp_json` of the
    result gives the same traces back (status ``UNSET`` reads back as ``OK``).
    """
    spans: list[dict[str, Any]] = []
    for trace in traces:
        trace_hex = _hex_id(trace.info.trace_id, 16)
        spans.extend(_span_to_otlp(trace, s, trace_hex) for s in trace.data.spans)
    document = {
        "resourceSpans": [
            {
                "resource": {"attributes": _to_key_values({"service.name": "evalkit"})},
                "scopeSpans": [{"scope": {"name": "evalkit"}, "spans": spans}],
            }
        ]
    }
    if path is not None:
        Path(path).write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return document


# -- the SpanExporter ------------------------------------------------------------------------


@dataclass(kw_only=True, slots=True)
class ExporterStats:
    """What an :class:`EvalkitSpanExporter` did with the spans it was given."""

    traces_exported: int = 0
    """Traces handed to the sink."""
    spans_dropped: int = 0
    """Spans lost: the sink failed, a trace was not one tree, a span came after its trace's
    root had ended, or too many spans waited for their root."""
    spans_pending: int = 0
    """Spans waiting for their trace's root span to end."""


def _from_readable(span: ReadableSpan) -> _OtelSpan:
    ctx = span.context
    parent = span.parent
    status = span.status
    return _OtelSpan(
        trace_hex=f"{ctx.trace_id:032x}" if ctx is not None else "0" * 32,
        span_hex=f"{ctx.span_id:016x}" if ctx is not None else "0" * 16,
        # a parent in another process makes this span the root of the trace evalkit sees
        parent_hex=None if parent is None or parent.is_remote else f"{parent.span_id:016x}",
        name=span.name,
        start_ns=int(span.start_time or 0),
        end_ns=None if span.end_time is None else int(span.end_time),
        attributes=dict(span.attributes or {}),
        events=[
            SpanEvent(name=e.name, timestamp_ns=e.timestamp, attributes=dict(e.attributes or {}))
            for e in span.events
        ],
        status_code=status.status_code.name,
        status_message=status.description,
    )


class EvalkitSpanExporter(_SpanExporterBase):
    """An OpenTelemetry ``SpanExporter`` that turns finished OTel traces into evalkit traces.

    Spans are grouped by trace id; when a trace's root span (no parent, or a parent in another
    process) ends, the trace is mapped (OpenInference / GenAI conventions) and handed to
    ``sink``. The exporter never raises into the app: a failing sink or a malformed trace
    drops its spans, counted in :attr:`stats` and logged.

    Args:
        sink: Called with a list of finished traces (in the span processor's thread).
        max_pending_spans: Spans kept while waiting for their root; beyond it the oldest
            waiting trace is dropped.

    Example:
        >>> from opentelemetry.sdk.trace import TracerProvider
        >>> from opentelemetry.sdk.trace.export import BatchSpanProcessor
        >>> provider = TracerProvider()
        >>> provider.add_span_processor(BatchSpanProcessor(StoreSpanExporter()))
    """

    def __init__(
        self, sink: Callable[[list[Trace]], None], *, max_pending_spans: int = 100_000
    ) -> None:
        if _OTEL_MISSING is not None:  # pragma: no cover
            raise ImportError(f"EvalkitSpanExporter needs opentelemetry-sdk: {_OTEL_MISSING}")
        self._sink = sink
        self._max_pending = max_pending_spans
        self._pending: dict[str, list[_OtelSpan]] = {}
        self._done: dict[str, None] = {}  # recently finished trace ids (to count late spans)
        self._lock = threading.Lock()
        self.stats = ExporterStats()
        """Counts of exported traces and dropped spans."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Group ``spans`` by trace and hand every trace whose root has ended to the sink."""
        from opentelemetry.sdk.trace.export import SpanExportResult

        ready: list[tuple[str, list[_OtelSpan]]] = []
        with self._lock:
            for span in spans:
                try:
                    rec = _from_readable(span)
                except Exception:  # never break the app's span pipeline
                    self.stats.spans_dropped += 1
                    continue
                if rec.trace_hex in self._done:
                    self.stats.spans_dropped += 1  # came after its root ended
                    continue
                self._pending.setdefault(rec.trace_hex, []).append(rec)
                self.stats.spans_pending += 1
                if rec.parent_hex is None:
                    recs = self._pending.pop(rec.trace_hex)
                    self.stats.spans_pending -= len(recs)
                    ready.append((rec.trace_hex, recs))
                    self._done[rec.trace_hex] = None
                    if len(self._done) > 10_000:
                        self._done.pop(next(iter(self._done)))
            while self.stats.spans_pending > self._max_pending and self._pending:
                oldest = self._pending.pop(next(iter(self._pending)))
                self.stats.spans_pending -= len(oldest)
                self.stats.spans_dropped += len(oldest)
        traces = []
        for trace_hex, recs in ready:
            try:
                traces.append(_assemble(trace_hex, recs, "OpenTelemetry export"))
            except DataError as exc:
                _log.warning("dropped an OpenTelemetry trace: %s", exc)
                self.stats.spans_dropped += len(recs)
        if not traces:
            return SpanExportResult.SUCCESS
        try:
            self._sink(traces)
        except Exception as exc:
            _log.warning("could not store %d OpenTelemetry traces: %s", len(traces), exc)
            self.stats.spans_dropped += sum(len(t.data.spans) for t in traces)
            return SpanExportResult.FAILURE
        self.stats.traces_exported += len(traces)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        """Drop spans still waiting for a root (counted in :attr:`stats`)."""
        with self._lock:
            self.stats.spans_dropped += self.stats.spans_pending
            self.stats.spans_pending = 0
            self._pending.clear()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """Nothing is buffered beyond traces still waiting for their root span."""
        return True
