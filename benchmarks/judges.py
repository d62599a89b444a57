"""Judges at scale: 200 rows x 3 judges against a loopback server with 100 ms latency.

Runs ``evalkit.evaluate(data, scorers=[quality, Correctness(), Safety()])`` (600 judge
calls through the lean OpenAI-compatible path, ``evalkit.llm.openai_http``; litellm is not
imported) against evalkit.testing's JudgeServer, and prints
the wall time beside the ideal, calls x latency / concurrency: what the run would take if
every slot of the shared per-model limiter were busy waiting on the model all the time.
The server runs in a child process (as a real provider would be elsewhere), so its own
request handling does not compete with the evaluation for the GIL; ``--in-process`` keeps
it in this process for comparison. Target: within 1.1x of the ideal.

Usage: python benchmarks/judges.py [--rows 200] [--latency 0.1] [--concurrency 10]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Literal

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import evalkit
from evalkit.judges import Correctness, Safety, make_judge
from evalkit.testing import JudgeServer
from evalkit.testing.server import RecordedRequest


def reply(request: RecordedRequest) -> dict[str, str]:
    """A plausible verdict for each judge's task."""
    if "score from 1 to 5" in request.prompt:
        return {"result": "4", "rationale": "Mostly right."}
    return {"result": "yes", "rationale": "Meets the criterion."}


def _serve(latency: float, conn: Any) -> None:
    with JudgeServer(default_reply=reply, latency=latency) as server:
        conn.send(server.url)
        conn.recv()  # until the parent is done
        conn.send(server.request_count)


def _data(rows: int) -> list[dict[str, Any]]:
    return [
        {
            "inputs": {"question": f"What is {i} + {i}?"},
            "outputs": {"response": f"{i} + {i} is {2 * i}."},
            "expectations": {"rubric": f"Says {2 * i}.", "expected_response": str(2 * i)},
        }
        for i in range(rows)
    ]


def _scorers() -> list[evalkit.Scorer]:
    quality = make_judge(
        name="quality",
        instructions="Question: {{ inputs.question }}\nAnswer: {{ outputs.response }}\n"
        "Rubric: {{ expectations.rubric }}\nGive a score from 1 to 5.",
        feedback_value_type=Literal["1", "2", "3", "4", "5"],
        model="openai:/gpt-4.1-mini",
    )
    return [
        quality,
        Correctness(model="openai:/gpt-4.1-mini"),
        Safety(model="openai:/gpt-4.1-mini"),
    ]


def _run(url: str, rows: int, concurrency: int) -> tuple[float, float, evalkit.EvaluationResult]:
    os.environ["OPENAI_BASE_URL"] = url
    os.environ["OPENAI_API_KEY"] = "sk-evalkit-benchmark"
    data = _data(rows)
    # warm up: the first evaluation's imports (pandas, scipy) and connections, once per process
    evalkit.set_tracking_uri(tempfile.mkdtemp(prefix="evalkit-bench-"))  # runs logged, then gone
    # the call cache is off: every judge call goes to the server, as on a first run
    evalkit.evaluate(
        data=data[:concurrency], scorers=_scorers(), max_workers=concurrency, cache="off"
    )
    started, cpu = time.perf_counter(), time.process_time()
    result = evalkit.evaluate(
        data=data,
        scorers=_scorers(),
        max_workers=concurrency,
        max_concurrent_calls=concurrency,
        progress=False,
        cache="off",
    )
    return time.perf_counter() - started, time.process_time() - cpu, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--in-process", action="store_true", help="run the server in-process")
    args = parser.parse_args()

    calls = args.rows * 3
    ideal = calls * args.latency / args.concurrency
    if args.in_process:
        with JudgeServer(default_reply=reply, latency=args.latency) as server:
            wall, cpu, result = _run(server.url, args.rows, args.concurrency)
            served = server.request_count
    else:
        parent, child = mp.Pipe()
        process = mp.get_context("fork").Process(target=_serve, args=(args.latency, child))
        process.start()
        url = parent.recv()
        wall, cpu, result = _run(url, args.rows, args.concurrency)
        parent.send("done")
        served = parent.recv()
        process.join()

    errors = sum(int(v) for k, v in result.metrics.items() if k.endswith("/error_count"))
    where = "in-process" if args.in_process else "in a child process"
    print(
        f"{args.rows} rows x 3 judges = {calls} calls, {args.latency * 1e3:.0f} ms latency, "
        f"{args.concurrency} in flight per model (server {where}, {os.cpu_count()} cores)"
    )
    print(f"  wall   {wall:6.2f} s")
    print(f"  ideal  {ideal:6.2f} s  (calls x latency / concurrency)")
    print(f"  ratio  {wall / ideal:6.2f}x  (target <= 1.1x)")
    print(
        f"  evaluation CPU {cpu:.2f} s ({cpu / calls * 1e3:.1f} ms per call); "
        f"errors {errors}; server answered {served} requests (warm-up included)"
    )
    print(f"  litellm imported: {'litellm' in sys.modules} (the lean path needs none)")
    print(
        f"  metrics: quality/mean={result.metrics['quality/mean']:.2f} "
        f"correctness/mean={result.metrics['correctness/mean']:.2f} "
        f"safety/mean={result.metrics['safety/mean']:.2f}"
    )


if __name__ == "__main__":
    main()
