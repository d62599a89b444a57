"""Tracing outside evaluate: finished traces are exported to the store in the background.

Sampled, bounded, never blocking: a store that is down or a full queue drops traces and
counts them, and the app does not notice. Storing runs on SQLite and PostgreSQL (``backend``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import evalkit
from evalkit import tracing
from evalkit.entities import Span, Trace, TraceState
from evalkit.tracing._export import EXPORTER

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _fresh_exporter() -> Iterator[None]:
    tracing.flush(5)
    EXPORTER._reset_queue(10_000)
    yield
    tracing.disable()
    tracing.flush(5)
    EXPORTER.user_sink = None
    EXPORTER.experiment_id = None
    EXPORTER._reset_queue(10_000)


@evalkit.trace(span_type="RETRIEVER")
def retrieve(question: str) -> list[str]:
    return [f"doc about {question}"]


@evalkit.trace(span_type="AGENT")
def agent(question: str) -> str:
    docs = retrieve(question)
    with evalkit.start_span("generate", span_type="LLM", inputs={"docs": docs}) as span:
        span.outputs = answer = f"answer to {question}"
    return answer


def test_traced_calls_are_stored_in_the_active_experiment(backend: str) -> None:
    evalkit.set_experiment("production")
    tracing.enable()
    assert agent("a") == "answer to a"
    with evalkit.start_run() as run:
        agent("b")
    assert tracing.flush(10)
    # the two calls may start within one millisecond: told apart by their inputs, not order
    traces = evalkit.search_traces(return_type="list")
    by_question = {t.root.inputs["question"]: t for t in traces}  # type: ignore[union-attr]
    assert len(traces) == 2 and set(by_question) == {"a", "b"}
    first, second = by_question["a"], by_question["b"]
    assert [(s.name, s.span_type) for s in first.spans] == [
        ("agent", "AGENT"),
        ("retrieve", "RETRIEVER"),
        ("generate", "LLM"),
    ]
    assert all(s.parent_id == first.root.span_id for s in first.spans[1:])  # type: ignore[union-attr]
    assert first.info.state is TraceState.OK and first.info.response_preview == "answer to a"
    assert first.info.run_id is None and second.info.run_id == run.info.run_id
    assert tracing.export_stats().exported == 2 and tracing.export_stats().dropped == 0


def test_failed_call_is_stored_as_an_error_trace(backend: str) -> None:
    tracing.enable()

    @evalkit.trace
    def broken() -> None:
        raise ValueError("bad input")

    with pytest.raises(ValueError, match="bad input"):
        broken()
    tracing.flush(10)
    (trace,) = evalkit.search_traces(
        filter_string="attributes.status = 'ERROR'", return_type="list"
    )
    assert trace.root is not None and trace.root.error == "ValueError: bad input"
    assert trace.root.events[0].name == "exception"


def test_nothing_is_exported_when_tracing_is_off_or_inside_evaluate() -> None:
    agent("off")
    tracing.enable()
    with tracing.collect_trace() as collected:  # what evaluate does: the collector owns it
        agent("collected")
    tracing.flush(10)
    assert len(collected.spans) == 3
    assert evalkit.search_traces(return_type="list") == []


def test_sampling_ratio() -> None:
    got: list[Trace] = []
    tracing.set_destination(sink=got.extend)
    tracing.enable(sample_ratio=0.0)
    for _ in range(20):
        agent("x")
    tracing.flush(10)
    assert got == [] and tracing.export_stats().sampled_out == 20
    tracing.enable(sample_ratio=0.5)
    for _ in range(400):
        agent("x")
    tracing.flush(10)
    assert 120 < len(got) < 280  # a sampled-out trace records none of its spans
    assert all(len(t.spans) == 3 for t in got)
    with pytest.raises(evalkit.UsageError, match="between 0 and 1"):
        tracing.enable(sample_ratio=1.5)


def test_store_down_drops_and_counts_and_the_app_is_unaffected(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on: the store is down
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    evalkit.set_tracking_uri(f"postgresql://nobody@127.0.0.1:{port}/evalkit?connect_timeout=1")
    try:
        tracing.enable()
        started = time.perf_counter()
        answers = [agent(str(i)) for i in range(50)]
        took = time.perf_counter() - started
        assert answers == [f"answer to {i}" for i in range(50)]
        assert took < 0.5  # the app never waits for the store
        assert tracing.flush(30)
        stats = tracing.export_stats()
        assert stats.dropped_sink_error == 50 and stats.exported == 0
        assert stats.last_error is not None
    finally:
        tracing.disable()
        tracing.flush(30)
        evalkit.set_tracking_uri(None)


def test_full_queue_drops_and_counts_without_blocking() -> None:
    release = threading.Event()
    got: list[Trace] = []

    def slow_sink(batch: list[Trace]) -> None:
        release.wait(10)
        got.extend(batch)

    tracing.set_destination(sink=slow_sink)
    tracing.enable(max_queue_size=5, batch_size=1)
    started = time.perf_counter()
    for i in range(50):
        agent(str(i))
    # blocking on the full queue would wait for the sink, which waits 10 s for `release`
    assert time.perf_counter() - started < 5
    release.set()
    tracing.flush(10)
    stats = tracing.export_stats()
    assert stats.dropped_queue_full > 0
    assert len(got) + stats.dropped_queue_full == 50
    assert stats.dropped == stats.dropped_queue_full


def test_a_failing_sink_does_not_stop_the_exporter() -> None:
    calls: list[int] = []

    def flaky(batch: list[Trace]) -> None:
        calls.append(len(batch))
        if len(calls) == 1:
            raise RuntimeError("disk full")

    tracing.set_destination(sink=flaky)
    tracing.enable()
    agent("1")
    tracing.flush(10)
    agent("2")
    tracing.flush(10)
    stats = tracing.export_stats()
    assert (stats.dropped_sink_error, stats.exported) == (1, 1)
    assert stats.last_error == "RuntimeError: disk full"


def test_an_invalid_trace_is_dropped_and_the_rest_of_its_batch_kept() -> None:
    got: list[Trace] = []
    tracing.set_destination(sink=got.extend)
    tracing.enable()
    release = threading.Event()
    EXPORTER.user_sink = lambda batch: (release.wait(5), got.extend(batch))  # type: ignore[assignment,func-returns-value]
    cyclic = Trace(
        spans=[
            Span(name="a", span_id="1", parent_id="2"),
            Span(name="b", span_id="2", parent_id="1"),
        ]
    )
    EXPORTER.submit(Trace(spans=[Span(name="first", span_id="0")]))
    EXPORTER.submit(cyclic)
    EXPORTER.submit(Trace(spans=[Span(name="ok", span_id="1")]))
    release.set()
    tracing.flush(10)
    assert sorted(t.spans[0].name for t in got) == ["first", "ok"]
    assert tracing.export_stats().dropped_invalid == 1


def _run(code: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT), "EVALKIT_TRACKING_URI": str(tmp_path), **env},
    )


APP = """
import evalkit
@evalkit.trace(span_type="AGENT")
def app(q):
    return q.upper()
for q in ("a", "b", "c"):
    app(q)
"""


def test_env_variable_turns_tracing_on_and_exit_flushes(tmp_path: Path) -> None:
    done = _run(APP, tmp_path, EVALKIT_TRACING="1")
    assert done.returncode == 0, done.stderr
    evalkit.set_tracking_uri(tmp_path)
    try:
        traces = evalkit.search_traces(return_type="list")
        assert sorted(t.root.outputs for t in traces) == ["A", "B", "C"]  # type: ignore[union-attr]
    finally:
        evalkit.set_tracking_uri(None)


def test_set_destination_picks_the_experiment() -> None:
    experiment_id = evalkit.create_experiment("elsewhere")
    tracing.set_destination(experiment_id=experiment_id)
    assert tracing.is_enabled()
    agent("routed")
    tracing.flush(10)
    assert evalkit.search_traces(return_type="list") == []  # not the active experiment
    (trace,) = evalkit.search_traces(experiment_ids=[experiment_id], return_type="list")
    assert trace.root is not None and trace.root.inputs == {"question": "routed"}


def test_a_trace_is_exported_as_it_was_when_it_ended() -> None:
    """The spans are encoded when the trace ends: later changes to the objects are not seen."""
    tracing.enable()
    shared = ["first"]

    @evalkit.trace
    def remember(item: str) -> list[str]:
        shared.append(item)
        return shared

    remember("second")
    shared.append("after the trace ended")
    assert tracing.flush(10)
    (trace,) = evalkit.search_traces(return_type="list")
    assert trace.root is not None and trace.root.outputs == ["first", "second"]
    assert trace.info.request_preview == '{"item": "second"}'
    assert trace.info.response_preview == '["first", "second"]'


class _Opaque:
    def __str__(self) -> str:
        return "<opaque>"


def test_values_that_are_not_json_are_stored_as_strings_even_in_a_cycle() -> None:
    tracing.enable()
    cyclic: dict[str, object] = {"name": "loop"}
    cyclic["self"] = cyclic
    with evalkit.start_span("root", inputs={"thing": _Opaque()}) as span:
        span.outputs = cyclic
    assert tracing.flush(10)
    (trace,) = evalkit.search_traces(return_type="list")
    assert trace.root is not None and trace.root.inputs == {"thing": "<opaque>"}
    assert isinstance(trace.root.outputs, str) and "loop" in trace.root.outputs
    assert tracing.export_stats().exported == 1 and tracing.export_stats().dropped == 0


def test_an_exported_payload_over_the_limit_is_truncated_and_the_rest_kept() -> None:
    from evalkit.tracking.sql.traces import MAX_SPAN_FIELD_CHARS

    tracing.enable()
    with evalkit.start_span("root", inputs={"q": "big"}) as root:
        with evalkit.start_span("search", span_type="RETRIEVER") as span:
            span.outputs = "x" * (MAX_SPAN_FIELD_CHARS + 10)
        root.outputs = "done"
    assert tracing.flush(30)
    (trace,) = evalkit.search_traces(return_type="list")
    out = trace.spans[1].outputs
    assert isinstance(out, str) and out.endswith(f"limit {MAX_SPAN_FIELD_CHARS}]")
    assert f"truncated by evalkit: {MAX_SPAN_FIELD_CHARS + 12} characters" in out
    assert trace.spans[1].attributes["evalkit.truncated"] == ["outputs"]
    assert trace.spans[0].outputs == "done" and trace.spans[0].inputs == {"q": "big"}


def test_a_user_sink_gets_whole_traces() -> None:
    got: list[Trace] = []
    tracing.set_destination(sink=got.extend)
    agent("sink")
    assert tracing.flush(10)
    (trace,) = got
    assert [s.name for s in trace.spans] == ["agent", "retrieve", "generate"]
    assert all(s.trace_id == trace.trace_id for s in trace.spans)
    assert trace.spans[2].inputs == {"docs": ["doc about sink"]}
    assert trace.info.response_preview == "answer to sink" and trace.info.request_time > 0
    assert trace.info.state is TraceState.OK and trace.info.execution_duration is not None


def test_queued_traces_hold_almost_no_objects_for_the_garbage_collector() -> None:
    """Why the app stays fast: a queued trace is its info and bytes, not 10 span objects
    (which would outlive the young generations and make every full collection longer)."""
    import gc

    release = threading.Event()
    tracing.set_destination(sink=lambda batch: release.wait(10))  # type: ignore[arg-type,return-value]
    tracing.enable(batch_size=1)
    agent("warm")  # the writer thread takes this one and waits
    time.sleep(0.3)
    gc.collect()
    before = len(gc.get_objects())
    for i in range(500):
        agent(str(i))
    gc.collect()
    per_trace = (len(gc.get_objects()) - before) / 500
    release.set()
    assert tracing.flush(10)
    assert per_trace < 5  # a TraceInfo, its assessments list, the queue's tuple


def test_packed_spans_unpack_to_the_stored_layout() -> None:
    """What the export queue holds unpacks to exactly what log_traces would store."""
    from evalkit.entities import SpanEvent
    from evalkit.entities.trace import decode_spans, encode_spans
    from evalkit.tracing._export import _pack, _unpack

    cyclic: dict[str, object] = {"k": 1}
    cyclic["self"] = cyclic
    spans = [
        Span(name="root", span_type="AGENT", span_id="1", inputs={"q": "é"}, outputs=[1, 2.5]),
        Span(
            name="tool",
            span_id="2",
            parent_id="1",
            inputs={1: "int key"},
            outputs=_Opaque(),
            attributes={"model": "m"},
            status="ERROR",
            error="ValueError: x",
            events=[SpanEvent(name="exception", timestamp_ns=5, attributes={"a": 1})],
        ),
    ]
    assert _unpack(_pack(spans)) == decode_spans(encode_spans(spans))
    careful = [*spans, Span(name="loop", span_id="3", parent_id="1", outputs=cyclic)]
    assert _unpack(_pack(careful)) == decode_spans(encode_spans(careful))


def test_a_value_that_cannot_be_encoded_drops_its_trace_not_the_app() -> None:
    class Hostile:
        def __str__(self) -> str:
            raise RuntimeError("no string for you")

    got: list[Trace] = []
    tracing.set_destination(sink=got.extend)

    @evalkit.trace
    def app() -> object:
        return Hostile()

    assert isinstance(app(), Hostile)  # the app gets its answer
    agent("fine")
    assert tracing.flush(10)
    stats = tracing.export_stats()
    assert stats.dropped_invalid == 1 and stats.exported == 1
    assert stats.last_error == "RuntimeError: no string for you"
    assert [t.spans[0].name for t in got] == ["agent"]
