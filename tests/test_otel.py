"""The OpenTelemetry bridge: the SpanExporter, OTLP/JSON import and export, each on a SQLite
and on a PostgreSQL store (the ``backend`` fixture of tests/conftest.py)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry import trace as otel_trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

import evalkit
from evalkit.entities.trace import Trace
from evalkit.errors import DataError
from evalkit.tracking.otel import (
    EvalkitSpanExporter,
    StoreSpanExporter,
    export_otlp_json,
    import_otlp_json,
    read_otlp_json,
)
from evalkit.tracking.sql.traces import MAX_SPAN_FIELD_CHARS

T1 = "5b8aa5a2d2c872e8321cf37308d69df2"
T2 = "0af7651916cd43dd8448eb211c80319c"


@pytest.fixture(autouse=True)
def store(tmp_path: Path, backend: str) -> Iterator[Path]:
    evalkit.set_tracking_uri(backend)
    try:
        yield tmp_path
    finally:
        evalkit.set_tracking_uri(None)


def _s(v: str) -> dict[str, Any]:
    return {"stringValue": v}


def _kv(**attrs: Any) -> list[dict[str, Any]]:
    out = []
    for k, v in attrs.items():
        key = k.replace("__", ".")
        if isinstance(v, bool):
            value: dict[str, Any] = {"boolValue": v}
        elif isinstance(v, int):
            value = {"intValue": str(v)}
        elif isinstance(v, float):
            value = {"doubleValue": v}
        else:
            value = _s(v)
        out.append({"key": key, "value": value})
    return out


def _span(
    trace: str, span: str, name: str, parent: str | None = None, start: int = 1, **attrs: Any
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "traceId": trace,
        "spanId": span,
        "name": name,
        "startTimeUnixNano": str(1_700_000_000_000_000_000 + start * 1000),
        "endTimeUnixNano": 1_700_000_000_000_000_000 + start * 1000 + 500_000,
        "attributes": _kv(**attrs),
    }
    if parent is not None:
        data["parentSpanId"] = parent
    return data


def _doc(*spans: dict[str, Any]) -> dict[str, Any]:
    return {"resourceSpans": [{"resource": {}, "scopeSpans": [{"spans": list(spans)}]}]}


def _write(tmp_path: Path, doc: Any, name: str = "spans.json") -> Path:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return path


def _openinference_rag() -> dict[str, Any]:
    return _doc(
        _span(
            T1,
            "aaaaaaaaaaaaaaa1",
            "agent",
            start=0,
            **{
                "openinference.span.kind": "AGENT",
                "input.value": '{"question": "Capital of France?"}',
                "input.mime_type": "application/json",
                "output.value": "Paris",
                "session.id": "chat-7",
                "user.id": "ann",
            },
        ),
        _span(
            T1,
            "aaaaaaaaaaaaaaa2",
            "retrieve",
            "aaaaaaaaaaaaaaa1",
            start=1,
            **{
                "openinference.span.kind": "RETRIEVER",
                "input.value": "42",
                "retrieval.documents.0.document.content": "Paris is the capital of France.",
                "retrieval.documents.0.document.id": "doc-1",
                "retrieval.documents.0.document.score": 0.9,
                "retrieval.documents.1.document.content": "France is in Europe.",
            },
        ),
        _span(
            T1,
            "aaaaaaaaaaaaaaa3",
            "generate",
            "aaaaaaaaaaaaaaa1",
            start=2,
            **{
                "openinference.span.kind": "LLM",
                "llm.model_name": "gpt-4o-mini",
                "llm.input_messages.0.message.role": "user",
                "llm.input_messages.0.message.content": "Capital of France?",
                "llm.output_messages.0.message.role": "assistant",
                "llm.output_messages.0.message.content": "Paris",
                "llm.token_count.prompt": 12,
            },
        ),
    )


# -- import: the conventions -------------------------------------------------------------------


def test_openinference_file_is_stored_with_types_inputs_outputs_and_session(
    tmp_path: Path,
) -> None:
    traces = import_otlp_json(_write(tmp_path, _openinference_rag()))
    assert [t.info.trace_id for t in traces] == [f"tr-{T1}"]
    stored = evalkit.get_trace(f"tr-{T1}")
    assert stored is not None
    assert [(s.name, s.span_type) for s in stored.spans] == [
        ("agent", "AGENT"),
        ("retrieve", "RETRIEVER"),
        ("generate", "LLM"),
    ]
    root, retrieve, generate = stored.spans
    assert root.parent_id is None and retrieve.parent_id == root.span_id == "aaaaaaaaaaaaaaa1"
    assert root.inputs == {"question": "Capital of France?"}
    assert root.outputs == "Paris"
    assert retrieve.inputs == "42"  # text/plain unless the mime type says JSON
    assert retrieve.outputs == [
        {
            "page_content": "Paris is the capital of France.",
            "metadata": {"doc_uri": "doc-1", "score": 0.9},
            "id": "doc-1",
        },
        {"page_content": "France is in Europe.", "metadata": {}},
    ]
    assert generate.inputs == {"messages": [{"role": "user", "content": "Capital of France?"}]}
    assert generate.outputs == {"messages": [{"role": "assistant", "content": "Paris"}]}
    assert generate.attributes == {"llm.model_name": "gpt-4o-mini", "llm.token_count.prompt": 12}
    assert stored.info.session_id == "chat-7" and stored.info.user_id == "ann"
    assert stored.info.request_time == 1_700_000_000_000
    assert stored.info.response_preview == "Paris"
    found = evalkit.search_traces(
        filter_string="metadata.`mlflow.trace.session` = 'chat-7'", return_type="list"
    )
    assert [t.info.trace_id for t in found] == [f"tr-{T1}"]


def test_genai_conventions_attributes_and_events(tmp_path: Path) -> None:
    b64_trace = base64.b64encode(bytes.fromhex(T2)).decode()
    root_id = base64.b64encode(bytes.fromhex("bbbbbbbbbbbbbbb1")).decode()
    chat = _span(
        b64_trace,
        base64.b64encode(bytes.fromhex("bbbbbbbbbbbbbbb2")).decode(),
        "chat gpt-4o",
        root_id,
        start=1,
        **{
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.conversation.id": "conv-1",
        },
    )
    chat["events"] = [
        {
            "name": "gen_ai.system.message",
            "timeUnixNano": "1",
            "attributes": _kv(content="Be brief"),
        },
        {"name": "gen_ai.user.message", "timeUnixNano": 2, "attributes": _kv(content="Hi")},
        {
            "name": "gen_ai.choice",
            "timeUnixNano": "3",
            "attributes": _kv(index=0, message='{"role": "assistant", "content": "Hello"}'),
        },
    ]
    doc = _doc(
        _span(
            b64_trace,
            root_id,
            "invoke_agent helper",
            start=0,
            **{
                "gen_ai.operation.name": "invoke_agent",
                "gen_ai.prompt": '[{"role": "user", "content": "Hi"}]',
                "gen_ai.completion": "Hello",
            },
        ),
        chat,
        _span(
            b64_trace,
            base64.b64encode(bytes.fromhex("bbbbbbbbbbbbbbb3")).decode(),
            "execute_tool lookup",
            root_id,
            start=2,
            **{
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": "lookup",
                "gen_ai.tool.call.arguments": '{"q": "x"}',
                "gen_ai.tool.call.result": '{"hits": 1}',
            },
        ),
        _span(
            b64_trace,
            base64.b64encode(bytes.fromhex("bbbbbbbbbbbbbbb4")).decode(),
            "embeddings",
            root_id,
            start=3,
            **{"gen_ai.operation.name": "embeddings"},
        ),
    )
    (trace,) = import_otlp_json(_write(tmp_path, doc))
    assert trace.info.trace_id == f"tr-{T2}"
    assert trace.info.session_id == "conv-1"
    root, chat_span, tool, embed = trace.spans
    assert [s.span_type for s in trace.spans] == ["AGENT", "CHAT_MODEL", "TOOL", "EMBEDDING"]
    assert root.span_id == "bbbbbbbbbbbbbbb1" and chat_span.parent_id == "bbbbbbbbbbbbbbb1"
    assert root.inputs == [{"role": "user", "content": "Hi"}] and root.outputs == "Hello"
    assert chat_span.inputs == {
        "messages": [{"role": "system", "content": "Be brief"}, {"role": "user", "content": "Hi"}]
    }
    assert chat_span.outputs == {"choices": [{"index": 0, "role": "assistant", "content": "Hello"}]}
    assert chat_span.attributes["gen_ai.request.model"] == "gpt-4o"
    assert tool.inputs == {"q": "x"} and tool.outputs == {"hits": 1}
    assert embed.inputs is None
    assert evalkit.get_trace(f"tr-{T2}") is not None


def test_json_lines_file_and_experiment_id(tmp_path: Path) -> None:
    doc = _openinference_rag()
    lines = json.dumps(_doc(*doc["resourceSpans"][0]["scopeSpans"][0]["spans"][:1])) + "\n"
    lines += json.dumps(_doc(*doc["resourceSpans"][0]["scopeSpans"][0]["spans"][1:])) + "\n"
    experiment_id = evalkit.create_experiment("otel")
    (trace,) = import_otlp_json(_write(tmp_path, lines, "spans.jsonl"), experiment_id)
    assert len(trace.spans) == 3
    assert evalkit.search_traces(experiment_ids=[experiment_id], return_type="list") == [trace]
    # importing the same file again replaces the traces: nothing doubles
    import_otlp_json(tmp_path / "spans.jsonl", experiment_id)
    assert len(evalkit.search_traces(experiment_ids=[experiment_id], return_type="list")) == 1


def test_old_instrumentation_library_spans_and_missing_file(tmp_path: Path) -> None:
    spans = _openinference_rag()["resourceSpans"][0]["scopeSpans"][0]["spans"]
    old = {"resourceSpans": [{"instrumentationLibrarySpans": [{"spans": spans}]}]}
    (trace,) = read_otlp_json(_write(tmp_path, old))
    assert [s.span_type for s in trace.spans] == ["AGENT", "RETRIEVER", "LLM"]
    with pytest.raises(DataError, match=r"nope\.json: cannot read the OTLP file"):
        read_otlp_json(tmp_path / "nope.json")


# -- export and the round trip ---------------------------------------------------------------


def _recorded_trace() -> Trace:
    @evalkit.trace(span_type="RETRIEVER")
    def retrieve(question: str) -> list[dict[str, Any]]:
        return [{"page_content": f"about {question}", "metadata": {"doc_uri": "d1"}}]

    @evalkit.trace(span_type="CHAT_MODEL")
    def chat(question: str, docs: list[Any]) -> str:
        evalkit.tracing.current_span().set_attribute("temperature", 0.2)  # type: ignore[union-attr]
        raise ValueError("model down")

    @evalkit.trace(span_type="AGENT")
    def app(question: str) -> str:
        docs = retrieve(question)
        try:
            return chat(question, docs)
        except ValueError:
            return "sorry"

    with evalkit.tracing.collect_trace() as trace:
        app("France")
    trace.info.trace_metadata["mlflow.trace.session"] = "s-1"
    trace.info.tags["team"] = "search"
    return trace


def test_export_is_valid_otlp_and_round_trips(tmp_path: Path) -> None:
    trace = _recorded_trace()
    assert trace.spans[2].status == "ERROR" and trace.spans[2].events
    doc = export_otlp_json([trace], tmp_path / "out.json")
    assert json.loads((tmp_path / "out.json").read_text()) == doc
    spans = doc["resourceSpans"][0]["scopeSpans"][0]["spans"]
    assert len(spans) == 3
    for span in spans:
        assert len(span["traceId"]) == 32 and len(span["spanId"]) == 16
        int(span["traceId"], 16), int(span["spanId"], 16)
        assert isinstance(span["startTimeUnixNano"], str)
    attrs = {a["key"]: a["value"] for a in spans[0]["attributes"]}
    assert attrs["openinference.span.kind"] == {"stringValue": "AGENT"}
    assert attrs["input.value"] == {"stringValue": '{"question": "France"}'}
    assert attrs["session.id"] == {"stringValue": "s-1"}
    assert spans[2]["status"] == {"code": 2, "message": "ValueError: model down"}

    (back,) = read_otlp_json(tmp_path / "out.json")
    assert back.info.trace_id == trace.info.trace_id
    assert back.info.trace_metadata == trace.info.trace_metadata
    assert back.info.tags == trace.info.tags
    assert [s.to_dict() for s in back.spans] == [s.to_dict() for s in trace.spans]
    assert back.info.state == trace.info.state
    # and an imported OTel file exports and reads back the same
    imported = import_otlp_json(_write(tmp_path, _openinference_rag()))
    again = read_otlp_json(_write(tmp_path, export_otlp_json(imported), "again.json"))
    assert [s.to_dict() for s in again[0].spans] == [s.to_dict() for s in imported[0].spans]
    assert again[0].info.session_id == "chat-7"


# -- the SpanExporter --------------------------------------------------------------------------


def _provider(exporter: Any) -> TracerProvider:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


def test_store_span_exporter_writes_sdk_spans_as_traces() -> None:
    exporter = StoreSpanExporter()
    tracer = _provider(exporter).get_tracer("app")
    with tracer.start_as_current_span("rag") as root:
        root.set_attribute("openinference.span.kind", "CHAIN")
        root.set_attribute("input.value", "q?")
        root.set_attribute("session.id", "sess-9")
        with tracer.start_as_current_span("search") as child:
            child.set_attribute("openinference.span.kind", "RETRIEVER")
            child.set_attribute("retrieval.documents.0.document.content", "the answer")
        with tracer.start_as_current_span("chat gpt-4o") as llm:
            llm.set_attribute("gen_ai.operation.name", "chat")
            llm.set_attribute("gen_ai.request.model", "gpt-4o")
        root.set_attribute("output.value", "a!")
        trace_hex = f"{root.get_span_context().trace_id:032x}"
    assert exporter.stats.traces_exported == 1 and exporter.stats.spans_dropped == 0
    stored = evalkit.get_trace(f"tr-{trace_hex}")
    assert stored is not None
    assert [(s.name, s.span_type) for s in stored.spans] == [
        ("rag", "CHAIN"),
        ("search", "RETRIEVER"),
        ("chat gpt-4o", "CHAT_MODEL"),
    ]
    assert stored.root is not None and stored.root.outputs == "a!"
    assert stored.spans[1].outputs == [{"page_content": "the answer", "metadata": {}}]
    assert stored.info.session_id == "sess-9"
    assert stored.info.experiment_id == exporter.experiment_id


def test_exporter_remote_parent_is_a_root_and_failures_never_reach_the_app() -> None:
    def broken(traces: list[Trace]) -> None:
        raise RuntimeError("store down")

    exporter = EvalkitSpanExporter(broken)
    tracer = _provider(exporter).get_tracer("app")
    remote = otel_trace.SpanContext(
        trace_id=int(T1, 16), span_id=0x1234, is_remote=True, trace_flags=otel_trace.TraceFlags(1)
    )
    ctx = otel_trace.set_span_in_context(otel_trace.NonRecordingSpan(remote))
    with tracer.start_as_current_span("handler", context=ctx), tracer.start_as_current_span("x"):
        pass
    assert exporter.stats.spans_dropped == 2 and exporter.stats.traces_exported == 0

    got: list[Trace] = []
    exporter = EvalkitSpanExporter(got.extend)
    tracer = _provider(exporter).get_tracer("app")
    with tracer.start_as_current_span("handler", context=ctx):
        pass
    assert [t.info.trace_id for t in got] == [f"tr-{T1}"]
    assert got[0].root is not None and got[0].root.name == "handler"


def test_exporter_drops_oldest_waiting_trace_beyond_the_limit() -> None:
    got: list[Trace] = []
    exporter = EvalkitSpanExporter(got.extend, max_pending_spans=2)
    tracer = _provider(exporter).get_tracer("app")
    roots = [tracer.start_span(f"root{i}") for i in range(3)]
    for root in roots:
        with tracer.start_as_current_span("child", context=otel_trace.set_span_in_context(root)):
            pass
    assert exporter.stats.spans_dropped == 1 and exporter.stats.spans_pending == 2
    for root in roots:
        root.end()
    assert [t.root.name for t in got] == ["root0", "root1", "root2"]  # type: ignore[union-attr]
    assert [len(t.spans) for t in got] == [1, 2, 2]
    exporter.shutdown()


# -- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not JSON"),
        ('{"spans": []}', "not OTLP/JSON traces"),
        ('{"resourceSpans": [{"scopeSpans": "x"}]}', "has no list of scopeSpans"),
        ('{"resourceSpans": [{"scopeSpans": [{"spans": [3]}]}]}', "spans[0]: a span must be"),
    ],
)
def test_malformed_files_are_clear_errors(tmp_path: Path, content: str, message: str) -> None:
    path = _write(tmp_path, content)
    with pytest.raises(DataError, match=r"spans\.json") as err:
        import_otlp_json(path)
    assert message in str(err.value)
    assert evalkit.search_traces(return_type="list") == []


def test_bad_ids_and_times_name_the_span(tmp_path: Path) -> None:
    bad_id = _doc(_span(T1, "xyz", "step"))
    with pytest.raises(DataError, match=r"spans.json.*spans\[0\].*'step'.*spanId 'xyz'"):
        import_otlp_json(_write(tmp_path, bad_id))
    bad_time = _span(T1, "aaaaaaaaaaaaaaa1", "step")
    bad_time["startTimeUnixNano"] = "soon"
    with pytest.raises(DataError, match=r"span aaaaaaaaaaaaaaa1 \('step'\).*'soon'"):
        import_otlp_json(_write(tmp_path, _doc(bad_time)))


def test_missing_parent_cycle_and_no_root_fail_and_store_nothing(tmp_path: Path) -> None:
    good = _openinference_rag()["resourceSpans"][0]["scopeSpans"][0]["spans"]
    orphan = _span(T2, "ccccccccccccccc1", "orphan", "ddddddddddddddd9")
    path = _write(tmp_path, _doc(*good, orphan))
    with pytest.raises(DataError) as err:
        import_otlp_json(path)
    text = str(err.value)
    assert "spans.json" in text and "'ccccccccccccccc1' ('orphan')" in text
    assert "'ddddddddddddddd9'" in text and "nothing was imported" in text
    assert evalkit.search_traces(return_type="list") == []

    cycle = _doc(
        _span(T2, "ccccccccccccccc1", "a", "ccccccccccccccc2"),
        _span(T2, "ccccccccccccccc2", "b", "ccccccccccccccc1"),
    )
    with pytest.raises(DataError, match=r"cycle.json: trace tr-0af7.*form a cycle"):
        import_otlp_json(_write(tmp_path, cycle, "cycle.json"))

    # errors="skip" keeps the good trace, leaves the bad one out
    (kept,) = import_otlp_json(path, errors="skip")
    assert kept.info.trace_id == f"tr-{T1}"
    assert [t.info.trace_id for t in evalkit.search_traces(return_type="list")] == [f"tr-{T1}"]


def test_huge_payload_is_truncated_in_the_store_and_nothing_else_lost(tmp_path: Path) -> None:
    doc = _openinference_rag()
    big = "x" * (MAX_SPAN_FIELD_CHARS + 10)
    spans = doc["resourceSpans"][0]["scopeSpans"][0]["spans"]
    spans[2]["attributes"].append({"key": "output.value", "value": _s(big)})
    spans[2]["attributes"] = [
        a for a in spans[2]["attributes"] if not a["key"].startswith("llm.output_messages")
    ]
    (trace,) = import_otlp_json(_write(tmp_path, doc))
    assert trace.spans[2].outputs == big  # the returned trace is whole
    stored = evalkit.get_trace(trace.info.trace_id)
    assert stored is not None
    out = stored.spans[2].outputs
    assert isinstance(out, str) and out.endswith(
        f"... [truncated by evalkit: {len(big) + 2} characters, limit {MAX_SPAN_FIELD_CHARS}]"
    )
    assert stored.spans[2].attributes["evalkit.truncated"] == ["outputs"]
    assert stored.spans[2].inputs == trace.spans[2].inputs
    assert [s.to_dict() for s in stored.spans[:2]] == [s.to_dict() for s in trace.spans[:2]]
