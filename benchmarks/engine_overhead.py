"""The engine's cost per (row, scorer) pair, beside a plain Python loop, measured in one run.

A no-op row scorer over N records: the plain loop calls it once per record; evalkit runs
the full ``evaluate()`` (validation, the bounded pool, aggregation, the per-row table), and
once more with ``log=True`` (the per-row journal, the run, the table artifact) into a
temporary SQLite store.

Run: .venv/bin/python benchmarks/engine_overhead.py [--rows 100000] [--scorers 1]
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time

import evalkit
from evalkit import scorer


def _noop_scorers(k: int) -> list[evalkit.Scorer]:
    made = []
    for i in range(k):

        def noop(outputs: str) -> bool:
            return True

        made.append(scorer(name=f"noop_{i}")(noop))
    return made


def _best_of(repeat: int, fn) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--scorers", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    data = [{"inputs": {"question": f"q{i}"}, "outputs": f"answer {i}"} for i in range(args.rows)]
    scorers = _noop_scorers(args.scorers)
    pairs = args.rows * args.scorers
    funcs = [s.__wrapped__ for s in scorers]  # type: ignore[attr-defined]

    def plain_loop() -> None:
        for record in data:
            for f in funcs:
                f(outputs=record["outputs"])

    def with_evalkit(workers: int, log: bool = False) -> None:
        result = evalkit.evaluate(
            data=data, scorers=scorers, max_workers=workers, progress=False, log=log
        )
        assert result.metrics["noop_0/count"] == args.rows

    plain = _best_of(args.repeat, plain_loop)
    print(f"{args.rows:,} rows x {args.scorers} no-op scorer(s) = {pairs:,} pairs")
    print(f"  plain loop               {plain:8.3f} s  {plain / pairs * 1e6:6.2f} us/pair")
    for workers in (1, 10):
        took = _best_of(args.repeat, lambda w=workers: with_evalkit(w))
        print(
            f"  evaluate(max_workers={workers:<2}) {took:8.3f} s  {took / pairs * 1e6:6.2f} us/pair"
            f"  (engine overhead {(took - plain) / pairs * 1e6:5.2f} us/pair,"
            f" {took / plain:5.1f}x the plain loop)"
        )
    with tempfile.TemporaryDirectory() as store:
        evalkit.set_tracking_uri(store)
        took = _best_of(args.repeat, lambda: with_evalkit(10, log=True))
    print(
        f"  ... log=True (journal)   {took:8.3f} s  {took / pairs * 1e6:6.2f} us/pair"
        f"  (engine overhead {(took - plain) / pairs * 1e6:5.2f} us/pair,"
        f" {took / plain:5.1f}x the plain loop)"
    )


if __name__ == "__main__":
    main()
