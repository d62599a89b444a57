"""CPU cost of evalkit's hot paths in two checkouts, measured alternately in one run.

For a refactor that must not slow anything down: the same workloads run against this
checkout and against another (``--base DIR``, e.g. a ``git worktree add /tmp/base <rev>``),
alternating, each in a fresh subprocess, and the script prints CPU seconds (this process and
its children: the heuristics' process pool counts) and the ratio. CPU time, unlike wall time,
barely moves when other work shares the machine, so the comparison holds on a busy box.

Workloads (the ones issue 12 names): the engine's cost per (row, scorer) pair with a no-op
scorer, with and without ``log=True`` (journal, run, table artifact), and the nine text
heuristics over 2,000 rows. Judges are measured by ``judges.py`` / ``transport.py``.

Run: .venv/bin/python benchmarks/before_after.py --base /tmp/base [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]

_CHILD = r"""
import json, os, resource, sys, tempfile, time
import evalkit

def cpu():
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime

work, rows = sys.argv[1], int(sys.argv[2])
if work.startswith("engine"):
    @evalkit.scorer
    def noop(outputs) -> bool:
        return True
    data = [{"inputs": {"q": str(i)}, "outputs": "x"} for i in range(rows)]
    scorers = [noop]
else:
    import random
    random.seed(0)
    words = "the a cat sat on mat dog ran fast slow big small red blue tree house".split()
    text = lambda n: " ".join(random.choice(words) for _ in range(n))
    data = [{"inputs": {"q": text(8)}, "outputs": text(30),
             "expectations": {"expected_response": text(30)}} for _ in range(rows)]
    scorers = ["rouge1", "rouge2", "rougeL", "rougeLsum", "bleu", "exact_match",
               "token_count", "flesch_kincaid_grade_level", "ari_grade_level"]
log = work.endswith("+log")
with tempfile.TemporaryDirectory() as store:
    evalkit.set_tracking_uri(store)
    start = cpu()
    evalkit.evaluate(data=data, scorers=scorers, log=log, progress=False)
    print(json.dumps({"cpu": cpu() - start}))
"""

WORKLOADS = {  # name -> rows
    "engine": 100_000,
    "engine+log": 100_000,
    "heuristics": 2_000,
}


def _run(tree: Path, work: str, rows: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(tree), "EVALKIT_BLOCK_NETWORK": "1"}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, work, str(rows)],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=True,
    )
    return float(json.loads(done.stdout.strip().splitlines()[-1])["cpu"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True, help="the other checkout")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"this checkout: {HERE}\nbase:          {args.base.resolve()}")
    print(f"load average: {os.getloadavg()[0]:.1f} (CPU seconds are compared, not wall time)")
    for work, rows in WORKLOADS.items():
        times: dict[str, list[float]] = {"base": [], "this": []}
        for _ in range(args.repeats):
            times["base"].append(_run(args.base.resolve(), work, rows))
            times["this"].append(_run(HERE, work, rows))
        base, this = statistics.median(times["base"]), statistics.median(times["this"])
        per = 1e6 / rows
        print(
            f"{work:<12} {rows:>7,} rows: base {base:6.2f} s ({base * per:6.1f} us/row)  "
            f"this {this:6.2f} s ({this * per:6.1f} us/row)  this/base {this / base:5.2f}"
        )


if __name__ == "__main__":
    main()
