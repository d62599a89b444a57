"""Bounded memory and Dask: a big parquet file evaluated chunk by chunk, beside in-memory runs.

Five heuristic metrics (exact_match, token_count, ari_grade_level,
flesch_kincaid_grade_level, rouge1) over generated (answer, ground truth) rows, measured in
this one run, each evaluation in its own child process (so each peak RSS is its own):

* in-memory: ``evaluate("<100k rows>.parquet", ...)``, the file read whole (today's path);
* chunked: ``evaluate("<N rows>.parquet", ..., chunk_size=C)``: per-row seconds beside the
  in-memory run's (target: within 1.2x) and the peak RSS (target: under 2 GB at 10M rows);
* exactness: a 200k-row sample in memory and chunked: the metrics must be identical;
* Dask: the N-row file on a ``LocalCluster`` (2 worker processes) beside the one-process
  chunked run.

Every run logs to a throwaway tracking store (journal, table parts, one run), as a real one
does. Run: .venv/bin/python benchmarks/scale.py [--rows 1000000] [--chunk-size 50000]
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

METRICS = [
    "exact_match",
    "token_count",
    "ari_grade_level",
    "flesch_kincaid_grade_level",
    "rouge1",
]
_BATCH = 100_000


def write_parquet(path: Path, n: int, seed: int = 0) -> None:
    """``n`` generated rows (unique text, as heuristics.py makes them), in row groups of
    100k, never all in memory."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from heuristics import make_rows

    tmp = path.with_suffix(".tmp")
    writer = None
    done = 0
    while done < n:
        size = min(_BATCH, n - done)
        rows = make_rows(size, seed=seed * 1_000_003 + done)
        table = pa.table(
            {
                "inputs": [{"question": f"q{done + i}"} for i in range(size)],
                "outputs": [r["outputs"] for r in rows],
                "expectations": [{"expected_response": r["expectations"]} for r in rows],
            }
        )
        if writer is None:
            writer = pq.ParquetWriter(tmp, table.schema)
        writer.write_table(table)
        done += size
    assert writer is not None
    writer.close()
    tmp.rename(path)


def _peak_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def _cpu() -> float:
    """CPU seconds of this process and its finished children (process pools): on a shared,
    loaded machine a fairer measure of the work than wall time."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def child(mode: str, path: str, chunk_size: int, workers: int) -> dict[str, Any]:
    """One evaluation in this (child) process; its numbers as a dict."""
    import evalkit

    evalkit.scorers  # noqa: B018 - warm imports outside the timing
    warm = evalkit.evaluate(
        [{"inputs": {"q": "w"}, "outputs": "a b.", "expectations": {"expected_response": "a"}}],
        scorers=METRICS,
        log=False,
    )
    del warm
    kwargs: dict[str, Any] = {}
    client = None
    if mode in ("chunked", "dask"):
        kwargs["chunk_size"] = chunk_size
    if mode == "dask":
        from evalkit.engine.executors import connect_dask

        client = kwargs["executor"] = connect_dask(workers=workers)
        client.run(lambda: __import__("evalkit.scorers.registry"))
    if client is not None:
        cpu_before = sum(client.run(_cpu).values())
    start, cpu = time.perf_counter(), _cpu()
    result = evalkit.evaluate(path, scorers=METRICS, progress=False, **kwargs)
    seconds = time.perf_counter() - start
    cpu = _cpu() - cpu
    if client is not None:
        cpu += sum(client.run(_cpu).values()) - cpu_before
    n = int(result.metrics["exact_match/count"] + result.metrics["exact_match/error_count"])
    own, children = _peak_mb()
    out: dict[str, Any] = {
        "mode": mode,
        "rows": n,
        "seconds": seconds,
        "us_per_row": seconds / n * 1e6,
        "cpu_us_per_row": cpu / n * 1e6,
        "peak_rss_mb": own,
        "peak_child_rss_mb": children,
        "metrics": result.metrics,
    }
    if client is not None:
        peaks = client.run(
            lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # type: ignore[no-any-return]
        )
        out["worker_peak_rss_mb"] = sorted(peaks.values())
        client.close()
        client.cluster.close()
    return out


def _run_child(mode: str, path: Path, args: argparse.Namespace, store: Path) -> dict[str, Any]:
    env = {
        **os.environ,
        "EVALKIT_TRACKING_URI": str(store / mode),
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    command = [
        sys.executable,
        __file__,
        "--child",
        mode,
        "--path",
        str(path),
        "--chunk-size",
        str(args.chunk_size),
        "--workers",
        str(args.workers),
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    print(
        f"  {mode:>10} {path.name}: {result['rows']:>10,} rows in {result['seconds']:8.1f} s "
        f"= {result['us_per_row']:7.1f} us/row (CPU {result['cpu_us_per_row']:6.1f} us/row); "
        f"peak RSS {result['peak_rss_mb']:,.0f} MB"
        + (
            f" (workers {', '.join(f'{m:,.0f}' for m in result['worker_peak_rss_mb'])} MB)"
            if "worker_peak_rss_mb" in result
            else ""
        ),
        flush=True,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--baseline-rows", type=int, default=100_000)
    parser.add_argument("--sample-rows", type=int, default=200_000)
    parser.add_argument("--chunk-size", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--dask-rows", type=int, default=1_000_000, help="rows of the Dask comparison"
    )
    parser.add_argument("--data", help="a folder to keep the generated files in between runs")
    parser.add_argument("--skip-dask", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.path, args.chunk_size, args.workers)))
        return

    with tempfile.TemporaryDirectory(prefix="evalkit-scale-") as tmp:
        folder = Path(args.data) if args.data else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        files = {}
        for label, n, seed in (
            ("baseline", args.baseline_rows, 1),
            ("sample", args.sample_rows, 2),
            ("big", args.rows, 3),
            ("dask", args.dask_rows, 3),
        ):
            if label == "dask" and (args.skip_dask or n == args.rows):
                files[label] = files["big"]
                continue
            files[label] = folder / f"{label}-{n}.parquet"
            if not files[label].exists():
                start = time.perf_counter()
                write_parquet(files[label], n, seed)
                print(f"wrote {files[label].name} in {time.perf_counter() - start:.0f} s")
        store = Path(tmp) / "stores"
        print(f"5 heuristic metrics ({', '.join(METRICS)}), chunk_size={args.chunk_size:,}")
        base = _run_child("in-memory", files["baseline"], args, store)
        big = _run_child("chunked", files["big"], args, store)
        sample_whole = _run_child("in-memory", files["sample"], args, store)
        sample_chunked = _run_child("chunked", files["sample"], args, store)
        same = sample_whole["metrics"] == sample_chunked["metrics"]
        print(
            f"chunked / in-memory per-row time: {big['us_per_row'] / base['us_per_row']:.2f}x "
            f"wall, {big['cpu_us_per_row'] / base['cpu_us_per_row']:.2f}x CPU "
            f"(target <= 1.2x); peak RSS {big['peak_rss_mb']:,.0f} MB at {big['rows']:,} rows "
            f"(target < 2,000 MB at 10M)"
        )
        print(
            f"{args.sample_rows:,}-row sample: aggregates identical in memory and chunked: "
            f"{same} ({len(sample_whole['metrics'])} metrics, median and p90 included)"
        )
        if not same:
            for key in sorted(sample_whole["metrics"]):
                a, b = sample_whole["metrics"][key], sample_chunked["metrics"].get(key)
                if a != b:
                    print(f"  {key}: {a!r} != {b!r}")
        if not args.skip_dask:
            alone = big
            if files["dask"] != files["big"]:
                alone = _run_child("chunked", files["dask"], args, store)
            dask = _run_child("dask", files["dask"], args, store)
            print(
                f"{alone['rows']:,} rows: LocalCluster ({args.workers} workers) "
                f"{dask['seconds']:.1f} s, one process {alone['seconds']:.1f} s "
                f"({alone['seconds'] / dask['seconds']:.2f}x faster on the cluster; CPU "
                f"{dask['cpu_us_per_row']:.0f} vs {alone['cpu_us_per_row']:.0f} us/row); metrics "
                f"identical: {dask['metrics'] == alone['metrics']}"
            )


if __name__ == "__main__":
    main()
