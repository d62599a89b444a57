"""What ``import evalkit`` and a first judge call load: guards of the cold start (issue 16).

Each check runs in a fresh interpreter and asserts WHICH modules are imported, not how long
it takes (timings are in ``benchmarks/transport.py``): ``import evalkit`` loads only the
exceptions, and a first ``complete()`` to an OpenAI-compatible server loads the model-call
layer and the standard library's HTTP client, none of litellm, httpx/httpcore (with the
trio, anyio and h2 they pull in), tenacity, pandas, numpy, jinja2, pydantic or SQL.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from evalkit.testing import JudgeServer

ROOT = Path(__file__).resolve().parents[1]

NEVER_AT_IMPORT = (
    "pandas",
    "numpy",
    "scipy",
    "pyarrow",
    "jinja2",
    "pydantic",
    "sqlalchemy",
    "alembic",
    "sqlite3",
    "yaml",
    "litellm",
    "openai",
    "httpx",
    "httpcore",
    "tenacity",
    "orjson",
    "asyncio",
    "http.client",
)
NEVER_ON_THE_LEAN_PATH = (
    "litellm",
    "openai",
    "httpx",
    "httpcore",
    "h11",
    "h2",
    "trio",
    "anyio",
    "tenacity",
    "pandas",
    "numpy",
    "scipy",
    "jinja2",
    "pydantic",
    "sqlalchemy",
    "sqlite3",
    "asyncio",
    "http.client",  # answers are parsed by httptools; http.client's email parser cost ~30 us
    "email.parser",
)


def _loaded(code: str) -> list[str]:
    """``sys.modules`` after running ``code`` in a fresh interpreter."""
    script = code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))\n"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "EVALKIT_CACHE": "off"}
    env.pop("EVALKIT_BLOCK_NETWORK", None)  # the guard's own module is not what is measured
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.fixture(scope="module")
def server() -> Iterator[JudgeServer]:
    with JudgeServer() as running:
        yield running


def test_import_evalkit_loads_only_the_exceptions() -> None:
    loaded = _loaded("import evalkit")
    assert [m for m in NEVER_AT_IMPORT if m in loaded] == []
    assert [m for m in loaded if m.startswith("evalkit")] == ["evalkit", "evalkit.errors"]


def test_public_names_load_on_first_use() -> None:
    loaded = _loaded(
        "import evalkit\n"
        "assert evalkit.evaluate.__module__ == 'evalkit.evaluate'\n"
        "assert evalkit.Feedback.__name__ == 'Feedback' and callable(evalkit.log_metric)\n"
        "import evalkit.evaluate\n"
        "assert callable(evalkit.evaluate) and evalkit.evaluate.__name__ == 'evaluate'\n"
    )
    assert "evalkit.engine" in loaded and "evalkit.tracking" in loaded
    assert "litellm" not in loaded and "pandas" not in loaded


def test_the_evaluate_submodule_imported_first_keeps_evalkit_evaluate_the_function() -> None:
    _loaded(
        "from evalkit.evaluate import estimate\n"  # the submodule, before evalkit.evaluate
        "import evalkit\n"
        "assert callable(evalkit.evaluate) and evalkit.evaluate.__name__ == 'evaluate'\n"
        "from evalkit import evaluate\n"
        "assert evaluate is evalkit.evaluate\n"
    )


def test_a_first_lean_judge_call_loads_no_heavy_library(server: JudgeServer) -> None:
    loaded = _loaded(
        "import evalkit\n"
        "from evalkit.llm import complete\n"
        f"answer = complete('openai:/gpt-4.1-mini', [{{'role': 'user', 'content': 'hi'}}],"
        f" api_base={server.url!r}, parameters={{'api_key': 'sk-test'}})\n"
        "assert answer.text and answer.cost is not None\n"
    )
    assert [m for m in NEVER_ON_THE_LEAN_PATH if m in loaded] == []
    ours = {m for m in loaded if m.startswith("evalkit")}
    allowed = {"evalkit", "evalkit.errors", "evalkit.redaction"}
    assert {m for m in ours if not m.startswith("evalkit.llm")} <= allowed, sorted(ours)


def test_a_retry_loads_tenacity_and_still_answers(server: JudgeServer) -> None:
    server.inject("server_error", first=1)
    loaded = _loaded(
        "from evalkit.llm import complete\n"
        f"answer = complete('openai:/gpt-4.1-mini', [{{'role': 'user', 'content': 'hi'}}],"
        f" api_base={server.url!r}, parameters={{'api_key': 'sk-test'}},"
        " initial_backoff=0.01)\n"
        "assert answer.attempts == 2, answer\n"
    )
    assert "tenacity" in loaded and "httpcore" not in loaded
