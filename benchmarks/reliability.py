"""Reliability at scale: N rows x 2 judges with 10% injected faults, nothing lost, flat memory.

The loopback JudgeServer runs in this process (latency 0) with 10% of requests failing
(4% HTTP 500, 3% 429 with a 10 ms Retry-After, 3% malformed JSON bodies). Each evaluation
runs in a fresh child process (``evalkit.evaluate`` with two ``make_judge`` judges, the
call cache off, logging and the per-row journal on) so that its peak RSS is its own. The
child reports how many (row, judge) pairs got a value, how many ended in an error, the wall
time and its peak RSS; the parent prints them side by side for each size.

Usage: python benchmarks/reliability.py [--sizes 1000 10000] [--fault-rate 0.1]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


def child(n: int) -> None:
    import evalkit
    from evalkit.judges import make_judge

    options = {"initial_backoff": 0.01, "max_backoff": 0.05, "max_retries": 8, "timeout": 10.0}
    judges = []
    for name, question in (("right", "Is the answer right?"), ("kind", "Is it kind?")):
        judge = make_judge(
            name=name,
            instructions=question + " Question: {{ inputs.question }} Answer: {{ outputs }}",
            model="openai:/gpt-4.1-mini",
        )
        judge.call_options = options  # short back-offs: the faults are injected, not real
        judges.append(judge)
    data = [{"inputs": {"question": f"q{i}"}, "outputs": f"answer {i}"} for i in range(n)]
    start = time.perf_counter()
    result = evalkit.evaluate(data, scorers=judges, cache="off", progress=False)
    wall = time.perf_counter() - start
    table = result.result_df
    values = sum(int(table[f"{j}/value"].notna().sum()) for j in ("right", "kind"))
    errors = sum(int(table[f"{j}/error_code"].notna().sum()) for j in ("right", "kind"))
    print(
        json.dumps(
            {
                "rows": n,
                "pairs": 2 * n,
                "values": values,
                "errors": errors,
                "wall": wall,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "calls": result.usage["judge_calls"],
            }
        )
    )


def _inject(server: Any, rate: float) -> list[Any]:
    """4/10 of the faults are 500s, 3/10 429s, 3/10 malformed bodies (of all requests)."""
    return [
        server.inject("server_error", rate=rate * 0.4, seed=1),
        server.inject("rate_limit", rate=rate * 0.3 / (1 - rate * 0.4), retry_after=0.01, seed=2),
        server.inject("malformed_json", rate=rate * 0.3 / (1 - rate * 0.7), seed=3),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--fault-rate", type=float, default=0.1)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child)
        return

    from evalkit.testing import JudgeServer

    rate = args.fault_rate
    with JudgeServer(latency=0.0) as server, server.env():
        print(f"{len(args.sizes)} evaluations, 2 judges each, {rate:.0%} of requests faulty")
        print(
            f"{'rows':>7} {'pairs':>7} {'scored':>7} {'errors':>6} {'lost':>5} "
            f"{'requests':>8} {'faulty':>6} {'wall s':>7} {'peak RSS MB':>11}"
        )
        for n in args.sizes:
            server.reset()
            faults = _inject(server, rate)
            with tempfile.TemporaryDirectory() as runs:
                env = {**os.environ, "EVALKIT_TRACKING_URI": runs, "PYTHONPATH": str(ROOT)}
                out = subprocess.run(
                    [sys.executable, __file__, "--child", str(n)],
                    env=env,
                    capture_output=True,
                    text=True,
                )
            if out.returncode != 0:
                sys.exit(f"the {n}-row evaluation failed:\n{out.stderr[-3000:]}")
            r = json.loads(out.stdout.strip().splitlines()[-1])
            lost = r["pairs"] - r["values"] - r["errors"]
            faulty = sum(f.fired for f in faults)
            print(
                f"{r['rows']:>7,} {r['pairs']:>7,} {r['values']:>7,} {r['errors']:>6} {lost:>5} "
                f"{server.request_count:>8,} {faulty:>6,} {r['wall']:>7.1f} "
                f"{r['peak_rss_mb']:>11.0f}"
            )


if __name__ == "__main__":
    main()
