"""CPU of each heuristic metric kernel on ``heuristics.py``'s rows, this checkout against a ref.

The kernels are what the nine text metrics compute once the engine hands them a batch:
BLEU (13a tokens, clipped n-gram matches), ROUGE-1/2/L/Lsum, the two readability grades
(one pass per text, shared) and token_count (tiktoken); exact_match is one comparison and
is left out. Each is timed alone, in one thread, with cold per-text caches
(``clear_caches()``) and warm libraries, as CPU seconds (``time.process_time``), in the
order the benchmark's scorers meet the shared caches (the ROUGE types share tokens and the
LCS); the best of ``--repeat`` runs is shown. With ``--before REF`` the same measurement
runs, interleaved, on ``git archive REF``'s ``evalkit`` in its own interpreter, and both
columns print side by side; the values are checked equal before anything is printed.

Run: .venv/bin/python benchmarks/kernels.py [--rows 2000] [--repeat 7] [--before REF]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

KERNELS = ("bleu", "rouge1", "rouge2", "rougeL", "rougeLsum", "readability", "token_count")

_MEASURE = """
import gc, json, sys, time
sys.path.insert(0, sys.argv[2])
from evalkit.scorers import _bleu, _readability, _rouge  # first: heuristics.py adds its checkout
from evalkit.scorers.tokens import TokenCount
sys.path.insert(0, sys.argv[1])
from heuristics import make_rows

assert _bleu.__file__.startswith(sys.argv[2]), _bleu.__file__
rows = make_rows(int(sys.argv[3]), seed=int(sys.argv[3]))
targets = [r["expectations"] for r in rows]
predictions = [r["outputs"] for r in rows]
token_count = TokenCount()
_readability.warm()
_rouge._stemmer()


def cold():
    for module in (_rouge, _bleu, _readability):
        module.clear_caches()


def run():
    out, values = {}, {}
    cold()
    # in the order the benchmark's scorers meet the caches: rouge types share tokens
    steps = [
        ("bleu", lambda: _bleu.bleu_chunk((targets, predictions))),
        *[(t, lambda t=t: _rouge.rouge_chunk((t, False, targets, predictions)))
          for t in ("rouge1", "rouge2", "rougeL", "rougeLsum")],
        ("readability", lambda: _readability.grades_chunk((predictions,))),
        ("token_count", lambda: token_count.score_batch(outputs=predictions)),
    ]
    for name, step in steps:
        gc.collect()
        started = time.process_time()
        values[name] = step()
        out[name] = time.process_time() - started
    return out, values


run()  # warm the libraries
gc.collect()
gc.freeze()
for line in sys.stdin:
    times, values = run()
    print(json.dumps({"times": times, "values": values}), flush=True)
"""


def _start(evalkit_root: Path, rows: int) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            _MEASURE,
            str(Path(__file__).resolve().parent),
            str(evalkit_root),
            str(rows),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )


def _ask(process: subprocess.Popen[str]) -> dict[str, Any]:
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write("go\n")
    process.stdin.flush()
    return dict(json.loads(process.stdout.readline()))


def _checkout(ref: str, folder: Path) -> Path:
    root = Path(__file__).resolve().parents[1]
    archive = subprocess.run(
        ["git", "archive", "--format=tar", ref, "evalkit"],
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout
    tar = folder / "before.tar"
    tar.write_bytes(archive)
    with tarfile.open(tar) as t:
        t.extractall(folder, filter="data")
    return folder


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) or isinstance(b, float):
        return abs(float(a) - float(b)) <= 1e-9
    return bool(a == b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--before", metavar="REF", help="a git ref to compare with")
    args = parser.parse_args()

    here = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory(prefix="evalkit-kernels-") as tmp:
        sides = {"after": _start(here, args.rows)}
        if args.before:
            sides = {"before": _start(_checkout(args.before, Path(tmp)), args.rows), **sides}
        best: dict[str, dict[str, float]] = {s: {} for s in sides}
        values: dict[str, dict[str, Any]] = {}
        for _ in range(args.repeat):
            for side, process in sides.items():
                answer = _ask(process)
                values[side] = answer["values"]
                for k, v in answer["times"].items():
                    best[side][k] = min(best[side].get(k, v), v)
        for process in sides.values():
            assert process.stdin is not None
            process.stdin.close()
            process.wait()
    if "before" in values:
        for k in KERNELS:
            if not _same(values["before"][k], values["after"][k]):
                raise SystemExit(f"{k}: the values differ between before and after")

    print(f"{args.rows} rows, best of {args.repeat}, CPU ms, cold per-text caches, one thread")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}  cores: {os.cpu_count()}")
    header = f"{'kernel':<12}" + "".join(f"{s:>10}" for s in sides)
    print(header + ("      change" if args.before else ""))
    for k in (*KERNELS, "total"):
        row = {s: (sum(best[s].values()) if k == "total" else best[s][k]) * 1000 for s in sides}
        line = f"{k:<12}" + "".join(f"{row[s]:10.1f}" for s in sides)
        if args.before:
            line += f"  {100 * (row['after'] - row['before']) / row['before']:+9.0f}%"
        print(line)
    if args.before:
        print("values: equal before and after (1e-9), every row and kernel")


if __name__ == "__main__":
    time.process_time()
    main()
