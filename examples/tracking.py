"""Tracking: log a training-style run and an evaluation, then compare them with search_runs.

Run: .venv/bin/python examples/tracking.py
The runs go to ./evalkit-runs/ (set EVALKIT_TRACKING_URI to use another store, e.g.
postgresql://user@host/db). Run it twice and search_runs shows four runs.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import evalkit
from evalkit import scorer


def write_png(path: str, width: int = 64, height: int = 16) -> None:
    """A small real PNG (a loss-curve-coloured gradient), made without any plotting library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(
        b"\x00" + bytes(v for x in range(width) for v in (255 - 4 * x, 80, 4 * x))
        for _ in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
    Path(path).write_bytes(png + chunk(b"IEND", b""))


@scorer
def exact_match(outputs: str, expectations: dict) -> bool:
    return outputs == expectations["expected_response"]


DATA = [
    {
        "inputs": {"question": "Which iris species has the smallest petals?"},
        "outputs": "setosa",
        "expectations": {"expected_response": "setosa"},
    },
    {
        "inputs": {"question": "How many species are in the iris dataset?"},
        "outputs": "3",
        "expectations": {"expected_response": "3"},
    },
    {
        "inputs": {"question": "Which species has the longest sepals?"},
        "outputs": "versicolor",
        "expectations": {"expected_response": "virginica"},
    },
]

write_png("plot.png")

evalkit.set_experiment("Iris Experiment")
with evalkit.start_run(run_name="baseline") as run:
    evalkit.log_param("n_estimators", 100)
    for i in range(10):
        evalkit.log_metric("loss", i * 0.1, step=i)
    evalkit.log_artifact("plot.png")
with evalkit.start_run():
    result = evalkit.evaluate(data=DATA, scorers=[exact_match])
print(evalkit.search_runs(experiment_names=["Iris Experiment"]))

runs = evalkit.search_runs(experiment_names=["Iris Experiment"], order_by=["start_time ASC"])
print(runs[["tags.mlflow.runName", "status", "metrics.loss", "metrics.exact_match/mean"]])

Path("plot.png").unlink()  # it is kept as the baseline run's artifact
print(f"\nexact_match/mean = {result.metrics['exact_match/mean']:.3f} (run {result.run_id})")
print("per-row table read back from the store:")
table = evalkit.load_table("eval_results_table.json", run_ids=[result.run_id])
print(table[["inputs", "outputs", "exact_match/value"]].to_string())
print(f"\nstore: {evalkit.get_tracking_uri()}")
