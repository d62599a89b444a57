"""Many stored traces: read them a page at a time and evaluate them a chunk at a time.

Run: .venv/bin/python examples/many_traces.py
Logs 3,000 agent traces to ./evalkit-runs/ (experiment "many-traces"), then evaluates them
with `evaluate(data=iter_traces(...), chunk_size=500)`: memory holds one chunk of traces,
not all of them, and each score is still attached to its stored trace. Nothing leaves the
machine.
"""

from __future__ import annotations

from typing import Any

import evalkit
from evalkit.entities import Span, Trace, TraceData, TraceInfo


def agent_trace(n: int) -> Trace:
    """An AGENT root with a retrieval and ``n % 3`` tool calls."""
    start = 1_700_000_000_000 + n * 1_000
    ns = start * 1_000_000
    spans = [
        Span(
            name="agent",
            span_type="AGENT",
            span_id="root",
            inputs={"question": f"What is the status of order {n}?"},
            outputs=f"Order {n} ships {'today' if n % 2 else 'tomorrow'}.",
            start_time_ns=ns,
            end_time_ns=ns + 50_000_000,
        ),
        Span(
            name="search",
            span_type="RETRIEVER",
            span_id="search",
            parent_id="root",
            outputs=[{"page_content": f"order {n}: packed", "metadata": {"doc_uri": "orders"}}],
        ),
        *[
            Span(
                name="lookup_order",
                span_type="TOOL",
                span_id=f"tool{k}",
                parent_id="root",
                inputs={"order": n},
                outputs={"status": "packed"},
            )
            for k in range(n % 3)
        ],
    ]
    info = TraceInfo(trace_id=f"tr-{n:032x}", request_time=start, execution_duration=50)
    return Trace(info=info, data=TraceData(spans=spans))


@evalkit.scorer
def answer_words(outputs: Any) -> int:
    return len(str(outputs).split())


@evalkit.scorer
def tool_calls(trace: Trace) -> int:
    return len(trace.search_spans(span_type="TOOL"))


def main() -> None:
    evalkit.set_experiment("many-traces")
    evalkit.delete_traces(evalkit.get_experiment_by_name("many-traces").experiment_id, 2**62)
    for first in range(0, 3_000, 1_000):
        evalkit.log_traces([agent_trace(n) for n in range(first, first + 1_000)])

    # MLflow's client, one page per call
    client = evalkit.MlflowClient()
    experiment_id = evalkit.get_experiment_by_name("many-traces").experiment_id
    page, pages = client.search_traces([experiment_id], max_results=1_000), 1
    while page.token:
        page = client.search_traces([experiment_id], max_results=1_000, page_token=page.token)
        pages += 1
    print(f"MlflowClient.search_traces: {pages} pages of up to 1,000 traces")

    result = evalkit.evaluate(
        data=evalkit.iter_traces(page_size=500),
        scorers=[answer_words, tool_calls],
        chunk_size=500,
    )
    print("metrics:", {k: round(v, 3) for k, v in result.metrics.items()})
    print("table parts:", len(result.tables.parts("eval_results_table").paths))

    one = evalkit.get_trace(f"tr-{4:032x}")
    assert one is not None
    scores = {
        a.name: a.value
        for a in one.info.assessments
        if a.metadata.get("mlflow.sourceRun") == result.run_id
    }
    print(f"scores attached to trace 4 by run {result.run_id}: {scores}")


if __name__ == "__main__":
    main()
