"""Provider limits: a run against a server that enforces requests per minute.

An evalkit.testing JudgeServer (in its own process) answers 429 past ``--rpm`` requests in
any ``--window`` seconds, as a provider's per-minute limit does. The same 600 judge calls
(``evalkit.evaluate`` with 200 rows x 3 judges, 10 calls in flight) run twice:

1. with ``rate_limits={model: {"rpm": RPM}}``: calls are paced; target: the run takes
   about calls / rpm minutes (600 at 120 RPM: ~5 minutes) and fewer than 5% of the
   requests are answered 429;
2. without it (``--no-baseline`` skips this): the calls go as fast as the server answers,
   are refused, back off (AIMD halves the calls in flight) and retry; printed for contrast.

Usage: python benchmarks/rate_limits.py [--rows 200] [--rpm 120] [--window 60]
       (a quick look: --rows 40 --rpm 240 --window 10)
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import evalkit
from evalkit.judges import Correctness, RelevanceToQuery, Safety
from evalkit.testing import JudgeServer

MODEL = "openai:/gpt-4.1-mini"


def _serve(rpm: int, window: float, conn: Any) -> None:
    with JudgeServer(latency=0.1) as server:
        server.enforce_rate_limit(rpm, window=window)
        conn.send(server.url)
        while conn.recv() == "count":
            conn.send((server.request_count, server.rate_limited_count))
            server.reset()
            server.enforce_rate_limit(rpm, window=window)


def _run(rows: int, limits: dict[str, dict[str, int]] | None) -> tuple[float, dict[str, float]]:
    data = [
        {
            "inputs": {"question": f"What is {i} + {i}?"},
            "outputs": f"{i} + {i} is {2 * i}.",
            "expectations": {"expected_response": f"{i} + {i} is {2 * i}."},
        }
        for i in range(rows)
    ]
    scorers = [Correctness(model=MODEL), RelevanceToQuery(model=MODEL), Safety(model=MODEL)]
    started = time.perf_counter()
    result = evalkit.evaluate(
        data=data,
        scorers=scorers,
        max_workers=10,
        max_concurrent_calls=10,
        rate_limits=limits,
        cache="off",
        log=False,
        progress=False,
    )
    return time.perf_counter() - started, result.metrics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--rpm", type=int, default=120, help="requests the server accepts")
    parser.add_argument("--window", type=float, default=60.0, help="seconds (60: a minute)")
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()

    parent, child = mp.Pipe()
    server = mp.get_context("fork").Process(target=_serve, args=(args.rpm, args.window, child))
    server.start()
    url = parent.recv()
    os.environ.update(OPENAI_BASE_URL=url, OPENAI_API_BASE=url, OPENAI_API_KEY="sk-bench")
    evalkit.set_tracking_uri(tempfile.mkdtemp(prefix="evalkit-bench-"))
    per_minute = round(args.rpm * 60 / args.window)
    calls = args.rows * 3
    print(
        f"{calls} judge calls; the server accepts {args.rpm} per {args.window:g} s "
        f"({per_minute} RPM), 100 ms latency; 10 in flight"
    )
    runs = [("rate_limits", {MODEL: {"rpm": per_minute}})]
    if not args.no_baseline:
        runs.append(("no limits", None))
    for label, limits in runs:
        wall, metrics = _run(args.rows, limits)
        parent.send("count")
        sent, refused = parent.recv()
        errors = sum(v for k, v in metrics.items() if k.endswith("/error_count"))
        ideal = calls / per_minute * 60
        print(
            f"  {label:11s}: {wall:7.1f} s (calls / rpm: {ideal:.1f} s); {sent} requests, "
            f"{refused} answered 429 ({refused / max(sent, 1):.1%}; target < 5%); "
            f"rows with an error: {errors:g}"
        )
    parent.send("stop")
    server.join()


if __name__ == "__main__":
    main()
