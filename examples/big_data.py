"""A parquet file evaluated chunk by chunk, and on a local Dask cluster when Dask is installed.

`evaluate(..., chunk_size=N)` reads, scores and journals N rows at a time: memory is bounded
by the chunk, the per-row table is written in Parquet parts and read lazily, and the
aggregates (median and p90 included) equal an in-memory run's exactly.

Run: .venv/bin/python examples/big_data.py
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import pandas as pd

import evalkit

WORDS = [
    "the",
    "model",
    "answers",
    "questions",
    "about",
    "data",
    "quality",
    "latency",
    "and",
    "cost",
]


def write_data(path: Path, n: int) -> None:
    rnd = random.Random(7)
    rows = []
    for i in range(n):
        truth = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(3, 9)))
        answer = truth if rnd.random() < 0.3 else " ".join(rnd.sample(WORDS, 5))
        rows.append(
            {
                "inputs": {"question": f"question {i}"},
                "outputs": answer,
                "expectations": {"expected_response": truth},
            }
        )
    pd.DataFrame(rows).to_parquet(path)


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="evalkit-big-data-"))
    evalkit.set_tracking_uri(str(folder / "runs"))
    data = folder / "answers.parquet"
    write_data(data, 20_000)
    scorers = ["exact_match", "rouge1", "token_count"]

    chunked = evalkit.evaluate(data, scorers=scorers, chunk_size=5_000, progress=False)
    whole = evalkit.evaluate(data, scorers=scorers, log=False, progress=False)
    print(
        f"rouge1 p90 {chunked.metrics['rouge1/p90']:.4f}, mean {chunked.metrics['rouge1/mean']:.4f}"
    )
    print("aggregates equal to the in-memory run:", chunked.metrics == whole.metrics)

    parts = chunked.tables.parts("eval_results_table")  # type: ignore[attr-defined]
    print(f"per-row table: {len(parts)} rows in {len(parts.paths)} Parquet parts")
    worst = min(f["rouge1/value"].min() for f in parts.iter_frames(columns=["rouge1/value"]))
    print(f"lowest rouge1, read part by part: {worst:.4f}; run {chunked.run_id}")

    try:
        from evalkit.engine.executors import connect_dask

        client = connect_dask(workers=2)  # a LocalCluster of 2 processes on 127.0.0.1
    except evalkit.EvalkitError as exc:  # the dask extra is not installed
        print(f"skipping the Dask part: {exc}")
        return
    try:
        on_cluster = evalkit.evaluate(
            data, scorers=scorers, executor=client, chunk_size=5_000, log=False, progress=False
        )
        print("on a 2-worker Dask cluster, aggregates equal:", on_cluster.metrics == whole.metrics)
    finally:
        client.close()
        client.cluster.close()


if __name__ == "__main__":
    main()
