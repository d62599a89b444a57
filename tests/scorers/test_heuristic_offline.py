"""Every heuristic metric works with the network blocked, an empty home and empty caches."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import json, evalkit
data = [
    {"inputs": "q", "outputs": "MLflow is an open-source ML platform. It tracks runs!",
     "expectations": "MLflow is an open-source platform for the ML lifecycle."},
    {"inputs": "q", "outputs": "Spark is a distributed engine.",
     "expectations": "Apache Spark is a distributed computing system."},
]
names = ["rouge1", "rouge2", "rougeL", "rougeLsum", "bleu", "exact_match",
         "flesch_kincaid_grade_level", "ari_grade_level", "token_count"]
stemmed = evalkit.scorers.Rouge(name="stemmed", use_stemmer=True)
result = evalkit.evaluate(data=data, scorers=[*names, stemmed])
retrieved = evalkit.evaluate(
    data=[{"inputs": "q", "outputs": [1, 2, 3], "expectations": [2, 5]}],
    scorers=["precision_at_3", "recall_at_3", "ndcg_at_3"])
print(json.dumps({**result.metrics, **retrieved.metrics}))
"""


def test_all_metrics_offline_with_empty_home_and_caches(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("TIKTOKEN_CACHE_DIR", "DATA_GYM_CACHE_DIR", "NLTK_DATA", "HF_HOME")
    }
    env.update(
        HOME=str(home),
        XDG_CACHE_HOME=str(home / ".cache"),
        TMPDIR=str(home / "tmp"),  # tiktoken's default cache lives under the temp folder
        EVALKIT_BLOCK_NETWORK="1",
        PYTHONPATH=str(ROOT),
    )
    (home / "tmp").mkdir()
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    metrics = json.loads(done.stdout.strip().splitlines()[-1])
    for name in (
        "rouge1",
        "rougeLsum",
        "bleu",
        "flesch_kincaid_grade_level",
        "token_count",
        "stemmed",
    ):
        assert metrics[f"{name}/error_count"] == 0, name
        assert metrics[f"{name}/count"] == 2, name
    assert metrics["precision_at_3/mean"] == 1 / 3
    assert metrics["recall_at_3/mean"] == 0.5
    # nothing was downloaded or cached into the empty home
    assert [p for p in home.rglob("*") if p.is_file()] == []
