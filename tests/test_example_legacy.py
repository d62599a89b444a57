"""examples/legacy_evaluate.py runs offline and prints MLflow's keys."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_legacy_example_prints_mlflow_keys() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "EVALKIT_BLOCK_NETWORK": "1"}
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "legacy_evaluate.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    for key in (
        "flesch_kincaid_grade_level/v1/p90",
        "exact_match/v1",
        "rougeL/v1/mean",
        "bleu/v1/mean",
        "precision_at_5/mean",
        "ndcg_at_5/mean",
        "rougeL/v1/score",
    ):
        assert key in done.stdout, key
    assert done.stderr.count("toxicity unavailable") <= 1
