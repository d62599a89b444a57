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


def _readme_blocks(heading: str) -> list[list[str]]:
    """The command lines of the ``bash`` blocks under ``## heading``, comments dropped."""
    text = (ROOT / "README.md").read_text()
    section = re.search(rf"^## {re.escape(heading)}\n(.+?)(?=^## )", text, re.S | re.M)
    assert section, f"README has no '## {heading}' section"
    blocks = re.findall(r"```bash\n(.+?)\n```", section.group(1), re.S)
    assert blocks, f"README's '## {heading}' has no command block"
    return [[line.split("#")[0].strip() for line in b.splitlines()] for b in blocks]


def _make_recipe(target: str) -> list[str]:
    text = (ROOT / "Makefile").read_text()
    match = re.search(rf"^{re.escape(target)}:.*\n((?:\t.+\n)+)", text, re.M)
    assert match, f"Makefile has no '{target}' target"
    return [line.strip() for line in match.group(1).splitlines()]


def test_readme_starts_with_make_run_and_make_test() -> None:
    two, spelled_out = _readme_blocks("Start here")
    assert two == ["make run", "make test"]
    setup, main_job, tests = spelled_out
    assert main_job == ".venv/bin/python examples/quickstart.py"
    # The Makefile runs exactly what the README spells out.
    venv, install = (part.strip() for part in setup.split("&&"))
    assert venv.replace("python3", "$(PYTHON)").replace(".venv", "$(VENV)") in _make_recipe(
        "$(STAMP)"
    )
    assert install.replace(".venv", "$(VENV)") in _make_recipe("$(STAMP)")
    assert _make_recipe("run") == [main_job.replace(".venv", "$(VENV)")]
    assert _make_recipe("test") == [tests.replace(".venv", "$(VENV)")]


def test_ci_runs_exactly_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert ci.rstrip().splitlines()[-1] == "make test"


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
