"""Rendering an HTML report, beside pandas' plain ``DataFrame.to_html`` of the same table.

The report does much more (charts, rationales, errors, sort/filter markup, and for a
comparison the row matching); the ratio says what that costs over the cheapest HTML dump of
the same per-row table, measured side by side in one run.

Run: .venv/bin/python benchmarks/report_render.py [--rows 2000 10000]
"""

from __future__ import annotations

import argparse
import functools
import gc
import random
import time
from collections.abc import Callable

import evalkit
from evalkit import Feedback, scorer
from evalkit.report import ReportRun, render_report


def _best_of(repeat: int, fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _run(n: int, seed: int) -> ReportRun:
    rng = random.Random(seed)

    @scorer
    def passed(outputs: str) -> bool:
        return rng.random() > 0.3

    @scorer
    def quality(outputs: str) -> Feedback:
        if rng.random() < 0.02:
            raise TimeoutError("judge timed out")
        return Feedback(value=round(rng.random(), 3), rationale="the answer " * 8)

    @scorer
    def tone(outputs: str) -> str:
        return rng.choice(["neutral", "friendly", "curt"])

    data = [
        {
            "inputs": {"question": f"How do I configure feature {i}?"},
            "outputs": f"Set option_{i} in the config file and restart. " * 3,
            "expectations": {"expected_response": f"Set option_{i} and restart."},
        }
        for i in range(n)
    ]
    result = evalkit.evaluate(data, scorers=[passed, quality, tone], progress=False, log=False)
    return ReportRun(run_id=f"run-{seed}", metrics=result.metrics, table=result.result_df)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'rows':>7} {'to_html':>9} {'report':>9} {'ratio':>6} {'compare':>9} {'ratio':>6}")
    for n in args.rows:
        a, b = _run(n, 1), _run(n, 2)
        assert a.table is not None
        table = a.table
        plain = _best_of(args.repeat, table.to_html)
        single = _best_of(args.repeat, functools.partial(render_report, a))
        both = _best_of(args.repeat, functools.partial(render_report, b, a))
        print(
            f"{n:>7} {plain:>8.3f}s {single:>8.3f}s {single / plain:>5.1f}x "
            f"{both:>8.3f}s {both / plain:>5.1f}x"
        )


if __name__ == "__main__":
    main()
