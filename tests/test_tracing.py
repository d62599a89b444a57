"""Traces: spans recorded by @trace/start_span, one trace per row in evaluate, trace columns."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest

import evalkit
from evalkit.tracing import Span, SpanType, Trace, collect_trace, start_span


@evalkit.trace(span_type="RETRIEVER")
def retrieve(question: str, k: int = 2) -> list[dict[str, str]]:
    return [{"content": f"doc about {question}"}][:k]


def app(question: str) -> str:
    docs = retrieve(question)
    with evalkit.start_span("generate", span_type="LLM", inputs={"docs": docs}) as span:
        span.set_attribute("model", "fake")
        span.outputs = answer = f"answer to {question}"
    return answer


def test_spans_nest_and_record_inputs_outputs_and_times() -> None:
    with collect_trace() as t:
        assert app("x") == "answer to x"
    assert [(s.name, s.span_type) for s in t.spans] == [
        ("retrieve", "RETRIEVER"),
        ("generate", "LLM"),
    ]
    r, g = t.spans
    assert r.inputs == {"question": "x"}  # bound arguments; defaults not given stay out
    assert r.outputs == [{"content": "doc about x"}]
    assert g.attributes == {"model": "fake"}
    assert r.parent_id is None and g.parent_id is None
    assert r.end_time_ns is not None and r.end_time_ns >= r.start_time_ns
    assert r.duration is not None and r.duration >= 0
    assert t.search_spans(span_type=SpanType.RETRIEVER) == [r]
    assert t.search_spans(name="generate") == [g]


def test_nested_span_has_parent_and_error_marks_span() -> None:
    with (
        collect_trace() as t,
        start_span("outer", "CHAIN") as outer,
        pytest.raises(KeyError),
        start_span("inner", "tool"),
    ):
        raise KeyError("boom")
    outer_span, inner = t.spans
    assert inner.parent_id == outer.span_id == outer_span.span_id
    assert inner.span_type == "TOOL"  # normalised to upper case
    assert inner.status == "ERROR" and inner.error == "KeyError: 'boom'"
    assert outer_span.status == "OK"


def test_spans_outside_a_collection_are_kept_nowhere() -> None:
    assert app("y") == "answer to y"  # works without a collector
    with collect_trace() as t:
        pass
    assert t.spans == []


def test_async_functions_are_traced() -> None:
    @evalkit.trace(name="fetch", span_type="TOOL")
    async def fetch(n: int) -> int:
        return n * 2

    with collect_trace() as t:
        assert asyncio.run(fetch(3)) == 6
    assert [(s.name, s.inputs, s.outputs) for s in t.spans] == [("fetch", {"n": 3}, 6)]


def test_threads_collect_their_own_traces() -> None:
    results: dict[int, list[str]] = {}

    def work(i: int) -> None:
        with collect_trace() as t:
            for _ in range(50):
                app(str(i))
        results[i] = sorted({s.inputs["question"] for s in t.spans if s.name == "retrieve"})

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert results == {i: [str(i)] for i in range(4)}


def test_dict_and_json_round_trip() -> None:
    with collect_trace() as t:
        app("z")
    again = Trace.from_json(t.to_json())
    assert [s.to_dict() for s in again.spans] == [s.to_dict() for s in t.spans]


def test_mlflow_exported_span_attributes_are_read() -> None:
    exported = {
        "data": {
            "spans": [
                {
                    "name": "search",
                    "attributes": {
                        "mlflow.spanType": json.dumps("RETRIEVER"),
                        "mlflow.spanInputs": json.dumps({"q": "a"}),
                        "mlflow.spanOutputs": json.dumps([{"page_content": "b"}]),
                        "custom": 1,
                    },
                }
            ]
        }
    }
    (span,) = Trace.from_dict(exported).spans
    assert (span.span_type, span.inputs, span.outputs, span.attributes) == (
        "RETRIEVER",
        {"q": "a"},
        [{"page_content": "b"}],
        {"custom": 1},
    )


def test_evaluate_captures_one_trace_per_row_for_scorers() -> None:
    seen: list[list[str]] = []

    @evalkit.scorer
    def retrieved(trace: Trace) -> int:
        seen.append([s.name for s in trace.spans])
        return len(trace.search_spans(span_type="RETRIEVER"))

    data = [{"inputs": {"question": q}} for q in ("a", "b", "c")]
    result = evalkit.evaluate(data=data, predict_fn=app, scorers=[retrieved], max_workers=3)
    assert result.metrics["retrieved/mean"] == 1.0
    # the predict_fn call is the root span; the app's spans nest under it
    assert seen == [["app", "retrieve", "generate"]] * 3
    table = result.tables["eval_results_table"]
    traces = list(table["trace"])
    assert [t.root.inputs for t in traces] == [{"question": q} for q in ("a", "b", "c")]
    assert all(t.spans[1].parent_id == t.root.span_id for t in traces)


def test_failed_prediction_keeps_its_trace() -> None:
    def broken(question: str) -> str:
        retrieve(question)
        raise RuntimeError("down")

    @evalkit.scorer
    def anything(outputs: str) -> int:
        return 1

    result = evalkit.evaluate(
        data=[{"inputs": {"question": "q"}}], predict_fn=broken, scorers=[anything]
    )
    (trace,) = result.tables["eval_results_table"]["trace"]
    assert trace.root.status == "ERROR" and trace.root.error == "RuntimeError: down"
    assert [s.name for s in trace.spans] == ["broken", "retrieve"]


@pytest.mark.parametrize("form", ["object", "dict", "json"])
def test_trace_column_is_accepted_in_every_form(form: str) -> None:
    trace = Trace(spans=[Span(name="r", span_type="RETRIEVER", outputs=["d1", "d2"])])
    cell = {"object": trace, "dict": trace.to_dict(), "json": trace.to_json()}[form]

    @evalkit.scorer
    def documents(trace: Trace) -> int:
        return len(trace.search_spans(span_type="RETRIEVER")[0].outputs)

    result = evalkit.evaluate(
        data=[{"inputs": {"q": "x"}, "outputs": "y", "trace": cell}], scorers=[documents]
    )
    assert result.metrics["documents/mean"] == 2.0


def test_unreadable_trace_column_names_the_row() -> None:
    data = [
        {"inputs": {"q": "x"}, "outputs": "y"},
        {"inputs": {"q": "x"}, "outputs": "y", "trace": {"no": "spans"}},
    ]

    @evalkit.scorer
    def one(outputs: str) -> int:
        return 1

    with pytest.raises(evalkit.DataError, match=r"row 1: column 'trace'"):
        evalkit.evaluate(data=data, scorers=[one])
