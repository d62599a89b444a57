"""The judge transport side by side: litellm's path vs evalkit's OpenAI-compatible one.

Everything runs against evalkit.testing's JudgeServer on loopback, started in its own
process so that ``time.process_time`` here counts the client's CPU only.

1. Cold start: a fresh interpreter imports evalkit, then makes its first call; ``import
   evalkit``, and the time from its end to the answer (target: < 0.5 s), wall and CPU
   (``time.process_time``: wall time on a loaded machine is mostly waiting for a core), the
   median over N fresh interpreters, for ``evalkit.llm.complete`` (the whole pipeline, which
   takes the lean path for ``openai:/`` models), for ``evalkit.llm.openai_http`` alone
   (resolve the endpoint, send, price the answer), for a first ``evalkit.evaluate(data,
   scorers=[Correctness(...)])`` of one row (``log=False``: what a judge costs, not the
   tracking store), and for ``complete()`` forced onto litellm's path.
2. Client CPU per call: sequential calls at zero server latency (target: < 1 ms), for a bare
   ``http.client`` loop and a bare ``httpx.Client`` loop (the ideals), evalkit's transport,
   the whole ``complete()`` pipeline and litellm's path.

3. Throughput: 600 calls at 100 ms with 10 in flight, and 5,000 with 200 in flight, beside
   the ideal calls x latency / in flight, for a bare ``http.client`` connection per thread
   (the floor), a bare shared ``httpx.Client``, evalkit's transport alone, ``complete()`` and
   ``evaluate()`` with one ``make_judge`` judge (one call per row). Each line gives the
   client's CPU per call and the server's (read from /proc), and the load average: on a
   2-core machine the client (one core: the GIL) and the server share the CPUs with
   everything else running.

Usage: python benchmarks/transport.py [--calls 500] [--cold-runs 5] [--latency 0.1]
       [--skip-litellm]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
MODEL = "openai:/gpt-4.1-mini"
MESSAGES = [
    {"role": "system", "content": "You are a careful grader. Answer in JSON."},
    {"role": "user", "content": "Question: What is 2+2?\nAnswer: 4\nIs the answer correct?"},
]

SERVER = """
import sys
from evalkit.testing import JudgeServer
with JudgeServer(latency=float(sys.argv[1])) as server:
    print(server.url, flush=True)
    sys.stdin.read()
"""

_START = """
import json, sys, time
started, started_cpu = time.perf_counter(), time.process_time()
import evalkit
imported, imported_cpu = time.perf_counter(), time.process_time()
"""
COLD = {
    "complete()": """
from evalkit.llm import complete
answer = complete(MODEL, MESSAGES, api_base=URL)
assert answer.text and answer.cost is not None
""",
    "openai_http": """
from evalkit.llm.openai_http import price_per_token, resolve_endpoint, send_chat
endpoint, params = resolve_endpoint(MODEL, api_base=URL, parameters={"temperature": 0})
answer = send_chat(base_url=endpoint.base_url, api_key=endpoint.api_key, model=endpoint.model,
                   messages=MESSAGES, params=params, timeout=60.0, headers=endpoint.headers)
price = price_per_token(MODEL)
assert answer.text and price is not None
""",
    "evaluate()": """
import os
os.environ["OPENAI_BASE_URL"] = URL
from evalkit.judges import Correctness
record = {"inputs": {"question": "What is 2+2?"}, "outputs": "4",
          "expectations": {"expected_response": "4"}}
result = evalkit.evaluate(data=[record], scorers=[Correctness(model=MODEL)], log=False,
                          progress=False)
assert result.metrics["correctness/error_count"] == 0, result.metrics
""",
    "litellm": """
from evalkit.llm import complete, openai_http
openai_http.handles = lambda *_: False  # force litellm's path, as before the lean one
answer = complete(MODEL, MESSAGES, api_base=URL)
assert answer.text and answer.cost is not None
""",
}
COLD_END = """
done, done_cpu = time.perf_counter(), time.process_time()
assert "litellm" not in sys.modules or PATH == "litellm"
print(json.dumps({"import": imported - started, "import_cpu": imported_cpu - started_cpu,
                  "first_call": done - imported, "first_call_cpu": done_cpu - imported_cpu,
                  "modules": len(sys.modules)}))
"""


@dataclass(frozen=True)
class Cold:
    """Medians over fresh interpreters, in seconds (wall and CPU)."""

    import_wall: float
    import_cpu: float
    first_wall: float
    first_cpu: float
    fastest_first_wall: float
    modules: int


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(ROOT),
        OPENAI_API_KEY="sk-evalkit-bench",
        LITELLM_LOCAL_MODEL_COST_MAP="True",
        EVALKIT_CACHE="off",
    )
    return env


def cold_start(path: str, url: str, runs: int) -> Cold:
    """``import evalkit`` and its end -> the first answer, over fresh interpreters."""
    code = (
        f"MODEL = {MODEL!r}\nMESSAGES = {MESSAGES!r}\nURL = {url!r}\nPATH = {path!r}\n"
        + _START
        + COLD[path]
        + COLD_END
    )
    numbers = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", code], env=_env(), capture_output=True, text=True, check=True
        )
        numbers.append(json.loads(done.stdout.strip().splitlines()[-1]))

    def median(key: str) -> float:
        return statistics.median(n[key] for n in numbers)

    return Cold(
        import_wall=median("import"),
        import_cpu=median("import_cpu"),
        first_wall=median("first_call"),
        first_cpu=median("first_call_cpu"),
        fastest_first_wall=min(n["first_call"] for n in numbers),
        modules=int(median("modules")),
    )


def cpu_per_call(fn: Callable[[], object], n: int) -> tuple[float, float]:
    """(wall ms, client CPU ms) per call, after 20 warm-up calls."""
    for _ in range(20):
        fn()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        fn()
    return (time.perf_counter() - wall) / n * 1e3, (time.process_time() - cpu) / n * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--latency", type=float, default=0.1, help="0: skip the throughput runs")
    parser.add_argument("--skip-litellm", action="store_true", help="no litellm runs (slow)")
    parser.add_argument(
        "--throughput-only", action="store_true", help="skip cold start and CPU per call"
    )
    args = parser.parse_args()
    os.environ.update(_env())
    if args.throughput_only:
        throughput(args.latency, [(600, 10), (5000, 200)])
        return

    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, "0"],
        env=_env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        print(
            f"JudgeServer (own process) at {url}; {os.cpu_count()} CPUs; "
            f"load {os.getloadavg()[0]:.1f}\n"
        )

        print(
            f"cold start (median of {args.cold_runs} fresh interpreters; CPU is "
            "time.process_time, wall includes waiting for a core):"
        )
        paths = [p for p in COLD if not (args.skip_litellm and p == "litellm")]
        cold = {path: cold_start(path, url, args.cold_runs) for path in paths}
        for path, c in cold.items():
            print(
                f"  {path:12s}: import evalkit {c.import_wall:5.3f} s wall, {c.import_cpu:5.3f} s "
                f"CPU; then first answer {c.first_wall:5.3f} s wall, {c.first_cpu:5.3f} s CPU "
                f"(fastest {c.fastest_first_wall:.3f} s; {c.modules} modules loaded)"
            )
        if "litellm" in cold:
            print(
                f"  ratio litellm / complete() (first answer, wall): "
                f"{cold['litellm'].first_wall / cold['complete()'].first_wall:.1f}x"
            )
        print("  target: first answer < 0.5 s after import evalkit\n")

        from http.client import HTTPConnection
        from urllib.parse import urlsplit

        import httpcore
        import httpx

        from evalkit.judges.client import _litellm
        from evalkit.llm import complete
        from evalkit.llm import openai_http as lean
        from evalkit.llm.openai_http import price_per_token, resolve_endpoint, send_chat

        if not args.skip_litellm:
            _litellm()
        body = {"model": "gpt-4.1-mini", "messages": MESSAGES, "temperature": 0, "max_tokens": 1024}
        auth = {"authorization": "Bearer sk-evalkit-bench"}
        raw_body = json.dumps(body).encode()
        raw_headers = [*auth.items(), ("content-type", "application/json")]
        http = httpx.Client()
        pool = httpcore.ConnectionPool()
        where = urlsplit(url)
        connection = HTTPConnection(where.hostname or "", where.port)

        def bare_http_client() -> object:
            connection.request(
                "POST", f"{where.path}/chat/completions", body=raw_body, headers=dict(raw_headers)
            )
            return json.loads(connection.getresponse().read())

        def bare_httpx() -> object:
            return http.post(f"{url}/chat/completions", json=body, headers=auth).json()

        def bare_httpcore() -> object:
            answer = pool.request(
                "POST", f"{url}/chat/completions", content=raw_body, headers=raw_headers
            )
            return json.loads(answer.content)

        def openai_http() -> object:
            endpoint, params = resolve_endpoint(
                MODEL, api_base=url, parameters={"temperature": 0, "max_tokens": 1024}
            )
            answer = send_chat(
                base_url=endpoint.base_url,
                api_key=endpoint.api_key,
                model=endpoint.model,
                messages=MESSAGES,
                params=params,
                timeout=60.0,
                headers=endpoint.headers,
            )
            price = price_per_token(MODEL)
            assert price is not None and answer.input_tokens is not None
            return answer

        def pipeline() -> object:
            return complete(MODEL, MESSAGES, api_base=url)

        def litellm_path() -> object:
            handles = lean.handles
            lean.handles = lambda *_: False  # type: ignore[assignment]
            try:
                return complete(MODEL, MESSAGES, api_base=url)
            finally:
                lean.handles = handles  # type: ignore[assignment]

        n = args.calls
        print(f"client CPU per call ({n} sequential calls, 0 ms server latency):")
        results = {
            "bare http.client": cpu_per_call(bare_http_client, n),
            "bare httpx": cpu_per_call(bare_httpx, n),
            "bare httpcore": cpu_per_call(bare_httpcore, n),
            "openai_http": cpu_per_call(openai_http, n),
            "complete()": cpu_per_call(pipeline, n),
        }
        if not args.skip_litellm:
            results["litellm"] = cpu_per_call(litellm_path, n)
        for name, (wall, cpu) in results.items():
            print(f"  {name:16s}: {cpu:6.3f} ms CPU, {wall:6.3f} ms wall per call")
        ideal = results["bare http.client"][1]
        ours = results["openai_http"][1]
        if "litellm" in results:
            print(f"  ratio litellm / openai_http: {results['litellm'][1] / ours:5.1f}x")
        print(f"  ratio openai_http / bare http.client: {ours / ideal:5.2f}x")
        print(
            f"  complete() (cache lookup, limiter, breaker, retries, pricing, lean send): "
            f"{results['complete()'][1]:.3f} ms CPU per call  (target < 1 ms)"
        )
        connection.close()
        http.close()
        pool.close()
    finally:
        if server.stdin is not None:
            server.stdin.close()
        server.wait(timeout=10)
    if args.latency > 0:
        throughput(args.latency, [(600, 10), (5000, 200)])


def _cpu_of(pid: int) -> float | None:
    """CPU seconds (user + system) process ``pid`` has used, from /proc (Linux only)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def throughput(latency: float, runs: list[tuple[int, int]]) -> None:
    """Many calls in flight: bare clients, the transport, complete() and evaluate()."""
    import contextvars
    import http.client
    import threading
    from concurrent.futures import ThreadPoolExecutor
    from typing import Literal

    import evalkit
    from evalkit.judges import make_judge
    from evalkit.llm import call_scope, complete
    from evalkit.llm.openai_http import send_chat

    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(latency)],
        env=_env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()

        def call(_: int) -> str:
            answer = send_chat(
                base_url=url,
                api_key="sk-evalkit-bench",
                model="gpt-4.1-mini",
                messages=MESSAGES,
                params={"temperature": 0},
                timeout=60.0,
            )
            return answer.text

        import httpx

        shared = httpx.Client(limits=httpx.Limits(max_connections=None))
        body = {"model": "gpt-4.1-mini", "messages": MESSAGES, "temperature": 0}
        raw_body = json.dumps(body).encode()
        host, port = url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)
        local = threading.local()

        def floor(_: int) -> str:
            connection = getattr(local, "connection", None)
            if connection is None:
                connection = local.connection = http.client.HTTPConnection(host, int(port))
            connection.request(
                "POST", "/v1/chat/completions", raw_body, {"content-type": "application/json"}
            )
            answer = json.loads(connection.getresponse().read())
            return str(answer["choices"][0]["message"]["content"])

        def bare(_: int) -> str:
            answer = shared.post(f"{url}/chat/completions", json=body, timeout=60.0).json()
            return str(answer["choices"][0]["message"]["content"])

        def pipeline(_: int) -> str:
            return complete(MODEL, MESSAGES, api_base=url).text

        judge = make_judge(
            name="correct",
            instructions="Question: {{ inputs.question }}\nAnswer: {{ outputs }}\nCorrect?",
            feedback_value_type=Literal["yes", "no"],
            model=MODEL,
            api_base=url,
        )

        def rows(n: int) -> list[dict[str, object]]:
            return [{"inputs": {"question": f"{i}+{i}?"}, "outputs": str(2 * i)} for i in range(n)]

        evalkit.evaluate(rows(20), scorers=[judge], cache="off", log=False, progress=False)

        print(
            f"\nthroughput at {latency * 1e3:.0f} ms server latency (server in its own process; "
            "cache off; the wall time includes starting the threads):"
        )
        for n, in_flight in runs:
            ideal = n * latency / in_flight
            paths = (
                ("http.client", floor),
                ("bare httpx", bare),
                ("openai_http", call),
                ("complete()", pipeline),
                ("evaluate()", None),
            )
            for name, fn in paths:
                load = os.getloadavg()[0]
                served = _cpu_of(server.pid)
                wall, cpu = time.perf_counter(), time.process_time()
                if fn is None:
                    result = evalkit.evaluate(
                        rows(n),
                        scorers=[judge],
                        cache="off",
                        log=False,
                        progress=False,
                        max_workers=in_flight,
                        max_concurrent_calls=in_flight,
                    )
                    assert result.metrics["correct/error_count"] == 0, result.metrics
                else:
                    with (
                        call_scope(cache="off", max_concurrent_calls=in_flight),
                        ThreadPoolExecutor(in_flight) as pool,
                    ):
                        futures = [
                            pool.submit(contextvars.copy_context().run, fn, i) for i in range(n)
                        ]
                        failed = [f.exception() for f in futures if f.exception() is not None]
                    if failed:  # a comparison path that broke (bare httpx timed out once)
                        print(f"  {name:11s} {n:5d} calls: {len(failed)} failed: {failed[0]!r}")
                        continue
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                after = _cpu_of(server.pid)
                server_cpu = (
                    f"{(after - served) / n * 1e3:.2f}"
                    if after is not None and served is not None
                    else "?"
                )
                print(
                    f"  {name:11s} {n:5d} calls, {in_flight:3d} in flight: {wall:5.2f} s "
                    f"(ideal {ideal:5.2f} s, {wall / ideal:4.2f}x), CPU per call: client "
                    f"{cpu / n * 1e3:.2f} ms, server {server_cpu} ms; load {load:.1f}"
                )
        shared.close()
    finally:
        if server.stdin is not None:
            server.stdin.close()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
