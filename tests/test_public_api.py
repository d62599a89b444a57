"""The public surface: __all__ matches the public names, and import evalkit stays fast."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import evalkit

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "numpy", "litellm", "sklearn", "textstat", "tiktoken", "sqlalchemy", "nltk")


def test_all_matches_public_names() -> None:
    public = {  # dir(): the names loaded so far and those loaded on first use
        name
        for name in dir(evalkit)
        if not name.startswith("_") and not isinstance(getattr(evalkit, name), type(sys))
    }
    # evalkit.metrics.rougeL() etc., as mlflow.metrics; evalkit.genai.evaluate, as mlflow.genai
    exported_modules = {"metrics", "genai"}
    assert set(evalkit.__all__) - {"__version__"} == public | exported_modules
    assert len(set(evalkit.__all__)) == len(evalkit.__all__), "a name is listed twice"
    assert all(hasattr(evalkit, name) for name in evalkit.__all__)


def test_all_is_sorted() -> None:
    # as ruff's RUF022 keeps it: one sorted list, so a new name has exactly one place
    assert evalkit.__all__ == sorted(evalkit.__all__)


def test_every_public_name_has_a_docstring() -> None:
    for name in evalkit.__all__:
        value = getattr(evalkit, name)
        if callable(value):
            assert value.__doc__, f"evalkit.{name} has no docstring"


def test_errors_share_one_root() -> None:
    for name in evalkit.__all__:
        value = getattr(evalkit, name)
        if isinstance(value, type) and issubclass(value, Exception):
            assert issubclass(value, evalkit.EvalkitError), name


def test_import_loads_no_heavy_library() -> None:
    # what is imported, not how long it takes (benchmarks/transport.py measures the time)
    code = f"import sys, evalkit; print([m for m in {HEAVY!r} if m in sys.modules])"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert done.stdout.strip() == "[]", f"import evalkit loaded {done.stdout.strip()}"


def test_mlflow_style_module_paths_work_after_import_evalkit() -> None:
    import evalkit.metrics

    assert evalkit.metrics.genai.answer_correctness is not None
    assert evalkit.metrics.rougeL().name == "rougeL"


def test_subpackages_are_reachable_after_a_plain_import() -> None:
    import subprocess
    import sys

    code = (
        "import evalkit; print(evalkit.judges.make_judge.__name__, evalkit.llm.complete.__name__)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["make_judge", "complete"]
