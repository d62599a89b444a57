"""Evaluating 10,000 stored traces: in memory vs chunk by chunk (issue 14, "memory bounded").

Stores ``--traces`` traces (default 10,000) of ``--spans`` spans each (default 10: an AGENT
root, a RETRIEVER with five ~80-word documents, LLM calls with chat messages, TOOL calls
with JSON arguments; about 9 KB of payload a trace) in a SQLite store, then evaluates them
with three code scorers (answer length, tool calls read from the trace, whether the answer
cites a retrieved document) and logging on, each way in its own subprocess on its own copy
of the store:

* ``memory``: ``evaluate(data=search_traces(return_type="list"), scorers=...)``, every trace
  in memory at once;
* ``chunked``: ``evaluate(data=iter_traces(page_size=N), scorers=..., chunk_size=N)``, traces
  read from the store a page at a time and scored a chunk at a time.

Prints each one's peak RSS (``ru_maxrss``), the RSS after imports, CPU seconds (this process)
and wall seconds, checks that the metrics agree and that every trace got its three scores
attached, and says the load average.

Run: ``.venv/bin/python benchmarks/trace_evaluation.py [--traces 10000] [--chunk-size 1000]``
(about two minutes on a quiet machine).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any

WORDS = [
    "the",
    "platform",
    "tracks",
    "experiments",
    "models",
    "runs",
    "metrics",
    "params",
    "artifacts",
    "and",
    "traces",
    "of",
    "every",
    "call",
    "an",
    "agent",
    "makes",
    "while",
    "it",
    "answers",
    "a",
    "question",
    "about",
    "its",
    "documents",
]


def _text(n: int, words: int) -> str:
    return " ".join(WORDS[(n + k * 7) % len(WORDS)] for k in range(words))


def make_trace(n: int, spans: int) -> Any:
    """One realistic agent trace: AGENT > RETRIEVER, LLM, TOOL, ... (``spans`` in all)."""
    from evalkit.entities import Span, Trace, TraceData, TraceInfo

    start = 1_700_000_000_000 + n * 1000
    ns = start * 1_000_000
    question = f"question {n}: " + _text(n, 20)
    docs = [
        {"page_content": _text(n + d, 80), "metadata": {"doc_uri": f"docs/{(n + d) % 500}.md"}}
        for d in range(5)
    ]
    answer = f"According to docs/{n % 500}.md, " + _text(n + 3, 60 + n % 40)
    children = []
    for k in range(spans - 1):
        kind = ("RETRIEVER", "LLM", "TOOL")[k % 3]
        if kind == "RETRIEVER":
            inputs: Any = {"query": question}
            outputs: Any = docs
        elif kind == "LLM":
            inputs = {
                "messages": [
                    {"role": "system", "content": "Answer from the documents. " * 4},
                    {"role": "user", "content": question},
                ]
            }
            outputs = {"choices": [{"message": {"role": "assistant", "content": answer}}]}
        else:
            inputs = {"name": f"lookup_{k}", "arguments": {"id": n, "fields": ["a", "b", "c"]}}
            outputs = {"result": _text(n + k, 15)}
        children.append(
            Span(
                name=f"{kind.lower()}_{k}",
                span_type=kind,
                span_id=f"s{k + 2}",
                parent_id="s1",
                inputs=inputs,
                outputs=outputs,
                start_time_ns=ns + (k + 1) * 10_000_000,
                end_time_ns=ns + (k + 2) * 10_000_000,
                attributes={"model": "gpt-4.1-mini"} if kind == "LLM" else {},
            )
        )
    root = Span(
        name="agent",
        span_type="AGENT",
        span_id="s1",
        inputs={"question": question},
        outputs=answer,
        start_time_ns=ns,
        end_time_ns=ns + (spans + 1) * 10_000_000,
    )
    info = TraceInfo(
        trace_id=f"tr-{n:032x}",
        request_time=start,
        execution_duration=(spans + 1) * 10,
        trace_metadata={"mlflow.trace.user": f"user{n % 50}"},
        tags={"env": "prod"},
    )
    return Trace(info=info, data=TraceData(spans=[root, *children]))


def _scorers() -> list[Any]:
    import evalkit

    @evalkit.scorer(aggregations=["mean", "p90"])
    def answer_words(outputs: Any) -> int:
        return len(str(outputs).split())

    @evalkit.scorer
    def tool_calls(trace: Any) -> int:
        return sum(1 for s in trace.data.spans if str(s.span_type) == "TOOL")

    @evalkit.scorer
    def cites_a_document(outputs: Any, trace: Any) -> bool:
        uris = {
            d["metadata"]["doc_uri"]
            for s in trace.data.spans
            if str(s.span_type) == "RETRIEVER"
            for d in s.outputs or []
        }
        return any(u in str(outputs) for u in uris)

    return [answer_words, tool_calls, cites_a_document]


def build(folder: str, n: int, spans: int) -> float:
    import evalkit

    evalkit.set_tracking_uri(folder)
    evalkit.set_experiment("production")
    started = time.perf_counter()
    for first in range(0, n, 500):
        evalkit.log_traces([make_trace(i, spans) for i in range(first, min(n, first + 500))])
    return time.perf_counter() - started


def child(mode: str, folder: str, chunk_size: int) -> None:
    """One evaluation in this (fresh) process; prints a JSON line."""
    import evalkit

    evalkit.set_tracking_uri(folder)
    evalkit.set_experiment("production")
    scorers = _scorers()
    import pandas  # noqa: F401  (imported by either run; counted in the baseline)

    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cpu0, wall0 = time.process_time(), time.perf_counter()
    if mode == "memory":
        data = evalkit.search_traces(return_type="list")
        result = evalkit.evaluate(data=data, scorers=scorers, progress=False)
    else:
        data = evalkit.iter_traces(page_size=chunk_size)
        result = evalkit.evaluate(data=data, scorers=scorers, chunk_size=chunk_size, progress=False)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    attached = 0
    for trace in evalkit.iter_traces(page_size=2000, include_spans=False):
        attached += sum(
            1 for a in trace.info.assessments if a.metadata.get("mlflow.sourceRun") == result.run_id
        )
    print(
        json.dumps(
            {
                "mode": mode,
                "peak_mb": peak,
                "baseline_mb": baseline,
                "cpu_s": cpu,
                "wall_s": wall,
                "metrics": result.metrics,
                "attached": attached,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--traces", type=int, default=10_000)
    parser.add_argument("--spans", type=int, default=10)
    parser.add_argument("--chunk-size", type=int, default=1_000)
    parser.add_argument("--child", choices=["memory", "chunked"])
    parser.add_argument("--store")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.store, args.chunk_size)
        return
    with tempfile.TemporaryDirectory() as tmp:
        source = os.path.join(tmp, "store")
        took = build(source, args.traces, args.spans)
        size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(source) for f in fs)
        print(
            f"{args.traces:,} traces x {args.spans} spans stored in {took:.1f} s "
            f"(store {size / 1e6:.0f} MB)"
        )
        results = {}
        for mode in ("memory", "chunked"):
            folder = os.path.join(tmp, mode)
            shutil.copytree(source, folder)
            done = subprocess.run(
                [
                    sys.executable,
                    os.path.abspath(__file__),
                    "--child",
                    mode,
                    "--store",
                    folder,
                    "--chunk-size",
                    str(args.chunk_size),
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                sys.exit(f"{mode} run failed:\n{done.stderr[-3000:]}")
            results[mode] = json.loads(done.stdout.strip().splitlines()[-1])
            shutil.rmtree(folder)
        for mode, label in (
            ("memory", "in memory (search_traces list)"),
            ("chunked", f"chunked (iter_traces, chunk_size={args.chunk_size})"),
        ):
            r = results[mode]
            print(
                f"  {label:44s} peak RSS {r['peak_mb']:7.0f} MB (after imports "
                f"{r['baseline_mb']:.0f} MB), CPU {r['cpu_s']:6.1f} s, wall {r['wall_s']:6.1f} s, "
                f"{r['attached']:,} scores attached"
            )
        same = results["memory"]["metrics"] == results["chunked"]["metrics"]
        print(f"  metrics equal: {same}; {results['chunked']['metrics']}")
        print(f"  load average (1, 5, 15 min): {os.getloadavg()}")


if __name__ == "__main__":
    main()
