"""Tracing overhead and trace search at scale.

1. A function that records 10 spans (one root + 9 children: ``@evalkit.trace`` and
   ``start_span``), called with tracing off (``off``) and with export on to a SQLite store
   (``on``: the background thread writes while the app runs). Blocks of the two alternate
   many times, so a change in the machine's load hits both alike; each number is the median
   (and p90) over the blocks of an ``on`` block minus the ``off`` block beside it:

   - back to back: the app calls the function in a tight loop (the export thread competes
     for the GIL): per-call wall time of the loop, the app thread's CPU, and the process's
     CPU per trace until every trace is stored (export included);
   - spaced: one call every 0.5 ms, as a server between requests (the export thread works
     in the gaps): per-call latency, median and p90 of the calls.

   Target: under 50 us more per call when exporting. CPU times are what a loaded machine
   moves least; the load average is printed beside them.
2. 10,000 stored traces (3 spans each): ``search_traces`` with a filter, returning a list
   and a DataFrame. Target < 1 s on SQLite.

Run: ``.venv/bin/python benchmarks/tracing.py [--blocks N] [--calls N] [--no-search]``
(about a minute). To compare with another checkout, run the same file there:
``PYTHONPATH=<other checkout> python benchmarks/tracing.py`` (it uses the public API only).
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import tempfile
import time
from typing import Any

import evalkit
from evalkit import tracing
from evalkit.entities import Span, Trace, TraceData, TraceInfo


@evalkit.trace(span_type="TOOL")
def tool(i: int) -> int:
    return i * 2


@evalkit.trace(span_type="AGENT")
def app(question: str) -> int:
    total = 0
    for i in range(5):
        total += tool(i)
    for i in range(4):
        with evalkit.start_span("step", span_type="CHAIN", inputs={"i": i}) as span:
            span.outputs = i
    return total


def _plain_tool(i: int) -> int:
    return i * 2


def _plain_app(question: str) -> int:
    """The same work as ``app`` without any tracing code."""
    total = 0
    for i in range(5):
        total += _plain_tool(i)
    for i in range(4):
        _ = {"i": i}
    return total


def _load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _back_to_back(fn: Any, calls: int, exporting: bool) -> tuple[float, float, float, float]:
    """One block of back-to-back calls, per call in us: (loop wall, app-thread CPU, process
    CPU until every trace is stored, wall until every trace is stored)."""
    t0, p0, w0 = time.thread_time(), time.process_time(), time.perf_counter()
    for _ in range(calls):
        fn("q")
    wall, thread = time.perf_counter() - w0, time.thread_time() - t0
    if exporting:
        tracing.flush(120)
    process, total = time.process_time() - p0, time.perf_counter() - w0
    return tuple(x / calls * 1e6 for x in (wall, thread, process, total))  # type: ignore[return-value]


def _spaced(fn: Any, calls: int, exporting: bool) -> tuple[list[float], float]:
    """One block of calls 0.5 ms apart: each call's wall time (us) and the app thread's CPU
    per call (us)."""
    took = []
    cpu = 0.0
    for _ in range(calls):
        c0, t0 = time.thread_time(), time.perf_counter()
        fn("q")
        took.append((time.perf_counter() - t0) * 1e6)
        cpu += time.thread_time() - c0
        time.sleep(0.0005)
    if exporting:
        tracing.flush(120)
    return took, cpu / calls * 1e6


def _set(exporting: bool) -> None:
    if exporting:
        tracing.enable(max_queue_size=100_000)
    else:
        tracing.disable()


def overhead(folder: str, blocks: int = 12, calls: int = 3_000) -> None:
    evalkit.set_tracking_uri(os.path.join(folder, "overhead"))
    evalkit.set_experiment("bench")
    loads = [_load()]
    _set(True)
    for _ in range(200):
        app("warm")
    tracing.flush(60)
    _set(False)
    plain = min(_back_to_back(_plain_app, calls, False)[1] for _ in range(3))
    gc_before = sum(s["collections"] for s in gc.get_stats())

    rows: dict[bool, list[tuple[float, float, float, float]]] = {False: [], True: []}
    for block in range(blocks):  # off, on, on, off, off, on, ...: neither always goes first
        order = (False, True) if block % 2 == 0 else (True, False)
        for exporting in order:
            _set(exporting)
            rows[exporting].append(_back_to_back(app, calls, exporting))
    loads.append(_load())
    gc_runs = sum(s["collections"] for s in gc.get_stats()) - gc_before

    spaced_calls = max(calls // 6, 100)
    latencies: dict[bool, list[float]] = {False: [], True: []}
    spaced_cpu: dict[bool, list[float]] = {False: [], True: []}
    for block in range(blocks):
        order = (False, True) if block % 2 == 0 else (True, False)
        for exporting in order:
            _set(exporting)
            took, cpu = _spaced(app, spaced_calls, exporting)
            latencies[exporting] += took
            spaced_cpu[exporting].append(cpu)
    _set(False)
    loads.append(_load())
    stats = tracing.export_stats()

    def diff(i: int) -> list[float]:
        return [on[i] - off[i] for on, off in zip(rows[True], rows[False], strict=True)]

    def show(label: str, values: list[float]) -> None:
        median, p90 = statistics.median(values), _pct(values, 0.9)
        print(f"    {label:44s} median {median:6.1f} us, p90 {p90:6.1f} us")

    off_wall = statistics.median(r[0] for r in rows[False])
    off_cpu = statistics.median(r[1] for r in rows[False])
    print(f"10-span function (1 root + 9 children); load average (1/5/15 min) {' -> '.join(loads)}")
    print(f"  no tracing code: {plain:.1f} us of CPU per call")
    print(f"  tracing off: {off_wall:.1f} us wall, {off_cpu:.1f} us CPU per call")
    print(f"  back to back, {blocks} x {calls} calls each way, exporting minus off, per call:")
    show("loop wall time", diff(0))
    show("app thread's CPU", diff(1))
    show("process CPU, until stored (export incl.)", diff(2))
    show("  of which the export thread's", [p - a for p, a in zip(diff(2), diff(1), strict=True)])
    show("wall time, until stored", diff(3))
    print(f"    ({gc_runs} garbage collections in {2 * blocks * calls} calls)")
    med = {k: statistics.median(v) for k, v in latencies.items()}
    p90 = {k: _pct(v, 0.9) for k, v in latencies.items()}
    print(
        f"  spaced (0.5 ms apart), {blocks} x {spaced_calls} calls each way, one call's wall "
        f"time: off median {med[False]:.1f} / p90 {p90[False]:.1f} us, exporting "
        f"{med[True]:.1f} / {p90[True]:.1f} us"
    )
    print(
        f"    exporting minus off: median {med[True] - med[False]:.1f} us, p90 "
        f"{p90[True] - p90[False]:.1f} us; app thread's CPU "
        f"{statistics.median(spaced_cpu[True]) - statistics.median(spaced_cpu[False]):.1f} us"
    )
    print(f"  exported {stats.exported}, dropped {stats.dropped}  (target: < 50 us more)")


def _synthetic(n: int) -> Trace:
    start = 1_700_000_000_000 + n * 1000
    return Trace(
        info=TraceInfo(
            trace_id=f"tr-{n:032x}",
            request_time=start,
            execution_duration=n % 1000,
            state="ERROR" if n % 10 == 0 else "OK",
            request_preview=f'{{"question": "question {n}"}}',
            response_preview=f'"answer {n}"',
            trace_metadata={"mlflow.trace.session": f"s{n // 5}"},
            tags={"env": "prod" if n % 2 else "dev"},
        ),
        data=TraceData(
            spans=[
                Span(name="agent", span_type="AGENT", span_id="1", inputs={"question": f"q{n}"}),
                Span(
                    name="search",
                    span_type="RETRIEVER",
                    span_id="2",
                    parent_id="1",
                    outputs=[{"page_content": "doc " * 20}] * 3,
                ),
                Span(name="llm", span_type="LLM", span_id="3", parent_id="1", outputs="a " * 50),
            ]
        ),
    )


def search(folder: str) -> None:
    evalkit.set_tracking_uri(os.path.join(folder, "search"))
    evalkit.set_experiment("bench")
    started = time.perf_counter()
    for chunk in range(0, 10_000, 1_000):
        evalkit.log_traces([_synthetic(n) for n in range(chunk, chunk + 1_000)])
    print(f"10,000 traces logged in {time.perf_counter() - started:.2f} s (batches of 1,000)")
    cases = [
        ("attributes.status = 'ERROR'", None),  # 1,000 matches
        ("attributes.execution_time_ms > 900 AND tags.env = 'prod'", None),  # 500
        ("metadata.`mlflow.trace.session` = 's42'", None),  # 5
        ("attributes.timestamp_ms > 0", 100),  # every trace, first 100
    ]
    for filter_string, max_results in cases:
        for return_type in ("list", "pandas"):
            evalkit.search_traces(filter_string=filter_string, max_results=max_results)
            t0 = time.perf_counter()
            got = evalkit.search_traces(
                filter_string=filter_string, max_results=max_results, return_type=return_type
            )
            took = time.perf_counter() - t0
            print(
                f"  search_traces({filter_string!r}, max_results={max_results}, "
                f"{return_type}): {len(got)} traces in {took * 1000:.0f} ms (target < 1000)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--blocks", type=int, default=12, help="block pairs (default 12)")
    parser.add_argument("--calls", type=int, default=3_000, help="calls a block (3,000)")
    parser.add_argument("--no-search", action="store_true", help="only the overhead part")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        overhead(folder, args.blocks, args.calls)
        if not args.no_search:
            search(folder)


if __name__ == "__main__":
    main()
