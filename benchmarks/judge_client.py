"""How much the model client costs on top of the model's own latency.

Runs everything against evalkit.testing's loopback JudgeServer (nothing leaves the machine):

1. Per-call CPU: sequential calls at zero server latency through ``complete()`` beside the
   same requests sent with a bare ``httpx.Client``; the difference is what the client stack
   (pipeline, retries, limiter, transport) costs. ``complete()`` is measured on its lean
   OpenAI-compatible path (``evalkit.llm.openai_http``, the default for ``openai:/`` models)
   and, for comparison, forced onto litellm's path.
2. Throughput: N calls at 100 ms server latency with C in flight, beside the ideal
   N * 0.1 / C (lean path).

Usage: python benchmarks/judge_client.py [--calls 400] [--concurrency 10] [--latency 0.1]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import contextlib
from collections.abc import Iterator

from evalkit.llm import complete, openai_http
from evalkit.llm.scope import limiter_scope
from evalkit.llm.transport import load_litellm
from evalkit.testing import JudgeServer

MODEL = "openai:/gpt-4.1-mini"
MESSAGES = [
    {"role": "system", "content": "You are a careful grader. Answer in JSON."},
    {"role": "user", "content": "Question: What is 2+2?\nAnswer: 4\nIs the answer correct?"},
]


def _cpu_per_call(fn: object, n: int) -> tuple[float, float]:
    """(wall ms, process CPU ms) per call of ``fn``, server included."""
    assert callable(fn)
    fn()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        fn()
    return (time.perf_counter() - wall) / n * 1e3, (time.process_time() - cpu) / n * 1e3


@contextlib.contextmanager
def _litellm_path() -> Iterator[None]:
    """Send every call through litellm, as before the lean path existed."""
    handles = openai_http.handles
    openai_http.handles = lambda *_: False  # type: ignore[assignment]
    try:
        yield
    finally:
        openai_http.handles = handles  # type: ignore[assignment]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--sequential", type=int, default=300)
    args = parser.parse_args()

    import httpx

    with JudgeServer() as server, server.env():
        body = {"model": "gpt-4.1-mini", "messages": MESSAGES, "temperature": 0}
        with httpx.Client(base_url=server.url) as http:
            raw_wall, raw_cpu = _cpu_per_call(
                lambda: http.post("/chat/completions", json=body).json(), args.sequential
            )
        started = time.perf_counter()
        complete(MODEL, MESSAGES)
        first = time.perf_counter() - started
        ek_wall, ek_cpu = _cpu_per_call(lambda: complete(MODEL, MESSAGES), args.sequential)
        started = time.perf_counter()
        load_litellm()
        litellm_import = time.perf_counter() - started
        with _litellm_path():
            ll_wall, ll_cpu = _cpu_per_call(lambda: complete(MODEL, MESSAGES), args.sequential)
        print(f"first call through the lean path: {first * 1e3:.0f} ms")
        print(f"litellm import (once per process, litellm path only): {litellm_import:.2f} s")
        print(f"\nsequential calls at 0 ms latency ({args.sequential} each, server in-process):")
        print(f"  bare httpx.Client          : {raw_wall:6.2f} ms wall, {raw_cpu:6.2f} ms CPU/call")
        print(f"  complete(), lean path      : {ek_wall:6.2f} ms wall, {ek_cpu:6.2f} ms CPU/call")
        print(f"  complete(), litellm path   : {ll_wall:6.2f} ms wall, {ll_cpu:6.2f} ms CPU/call")
        print(f"  lean client over bare httpx: {ek_cpu - raw_cpu:6.2f} ms CPU per call")
        print("  (CPU includes the in-process server's share; see transport.py for client-only)")

        server.latency = args.latency
        n, c = args.calls, args.concurrency
        ideal = n * args.latency / c
        with limiter_scope(c), ThreadPoolExecutor(c) as pool:
            complete(MODEL, MESSAGES)  # warm the connection pool
            wall, cpu = time.perf_counter(), time.process_time()
            answers = list(pool.map(lambda _: complete(MODEL, MESSAGES), range(n)))
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        assert all(a.text for a in answers)
        cost = sum(a.cost or 0.0 for a in answers)
        print(f"\n{n} calls at {args.latency * 1e3:.0f} ms latency, {c} in flight:")
        print(f"  wall {wall:.2f} s, ideal {ideal:.2f} s, ratio {wall / ideal:.2f}x")
        print(f"  CPU {cpu:.2f} s ({cpu / n * 1e3:.2f} ms per call, server included)")
        print(f"  server saw at most {server.max_in_flight} requests in flight")
        print(
            f"  recorded usage: {sum(a.input_tokens or 0 for a in answers)} input tokens, "
            f"${cost:.4f}"
        )


if __name__ == "__main__":
    main()
