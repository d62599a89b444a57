"""The README's commands and the examples work as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*.py") if not p.name.startswith("_"))


def _readme_block(heading: str) -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(rf"## {re.escape(heading)}\n+```bash\n(.+?)\n```", text, re.S)
    assert match, f"README has no '## {heading}' command block"
    return match.group(1).strip()


def test_ci_runs_exactly_the_readme_commands() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert _readme_block("Set up") in ci
    assert _readme_block("Run the tests") in ci


def test_readme_main_job_is_the_quickstart() -> None:
    assert _readme_block("The main job") == ".venv/bin/python examples/quickstart.py"


@pytest.mark.slow
@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs_offline(example: Path, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "EVALKIT_BLOCK_NETWORK": "1",
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, str(example)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    assert done.stdout.strip(), f"{example.name} printed nothing"
    assert "Traceback" not in done.stderr


def test_constraints_pin_every_declared_dependency() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    pinned = {
        re.split(r"==", line)[0].lower().replace("_", "-")
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if line and not line.startswith("#")
    }
    names = {re.split(r"[<>=!\[; ]", d, maxsplit=1)[0].lower().replace("_", "-") for d in declared}
    assert names - pinned == set(), "add these to constraints.txt (see its header)"
