"""From a fresh clone: `evalkit eval` on the QA set with built-in metrics, then `evalkit gate`.

Run as a user runs it: a subprocess from the repository root, offline (the network guard is
on), with an empty home directory.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _evalkit(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,  # EVALKIT_TRACKING_URI: this test's throwaway store (tests/conftest.py)
        "EVALKIT_BLOCK_NETWORK": "1",
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.run(
        [sys.executable, "-m", "evalkit", *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_eval_prints_the_table_and_run_id_and_gate_exits_0_or_1(tmp_path: Path) -> None:
    done = _evalkit(
        tmp_path, "eval", "datasets/acme_qa.jsonl", "--scorer", "exact_match", "--scorer", "rougeL"
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    rows = {line.split("│")[1].strip(): line for line in done.stdout.splitlines() if "│" in line}
    assert set(rows) == {"exact_match", "rougeL"}
    assert rows["rougeL"].split("│")[2].strip() == "0.4691"
    assert rows["exact_match"].split("│")[2].strip() == "0.02703"
    assert "datasets/acme_qa.jsonl: 74 rows" in done.stdout
    match = re.search(r"^Run id: ([0-9a-f]{32})$", done.stdout, re.M)
    assert match, done.stdout
    run_id = match.group(1)

    holds = _evalkit(tmp_path, "gate", run_id, "--require", "rougeL/mean>=0.4")
    assert holds.returncode == 0, holds.stderr
    assert holds.stdout == f"PASS {run_id}: rougeL/mean>=0.4\n"

    fails = _evalkit(
        tmp_path, "gate", run_id, "--require", "rougeL/mean>=0.9", "--require", "exact_match>0"
    )
    assert fails.returncode == 1, fails.stderr
    assert fails.stdout == f"FAIL {run_id}: rougeL/mean = 0.469125, required >= 0.9\n"
