"""Every import path the README, the contributor guide and docs/ show still works.

Moving a module (issue 12's reorganisation, or any later one) must keep what users were told
to type: each ``from evalkit... import ...`` / ``import evalkit...`` line of the documents'
code blocks, and each ``evalkit.a.b`` name they mention in backticks, resolves.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]

_FROM = re.compile(r"^\s*from\s+(evalkit[\w.]*)\s+import\s+\(?([\w\s,]+?)\)?\s*(?:#.*)?$", re.M)
_IMPORT = re.compile(r"^\s*import\s+(evalkit[\w.]*)(?:\s+as\s+\w+)?\s*$", re.M)
_NAME = re.compile(r"`(evalkit(?:\.\w+)+)`")
NOT_PATHS = {
    "evalkit.toml",  # the project's configuration file
    "evalkit.truncated",  # a span attribute's name, not a module path
    # CONTRIBUTING's worked examples of a new built-in, which does not exist
    "evalkit.judges.Conciseness",
    "evalkit.scorers.Conciseness",
    "evalkit.scorers.Chrf",
    "evalkit.metrics.chrf",
}


def _code(text: str) -> str:
    return "\n".join(re.findall(r"```(?:python|py)\n(.*?)```", text, re.S))


def _documented() -> list[tuple[str, str]]:
    """(document, what it shows) for every import line and dotted evalkit name."""
    found: set[tuple[str, str]] = set()
    for doc in DOCUMENTS:
        text = doc.read_text()
        code = _code(text)
        for module, names in _FROM.findall(code):
            for name in (n.strip() for n in names.split(",")):
                if name:
                    found.add((doc.name, f"{module}:{name}"))
        for module in _IMPORT.findall(code):
            found.add((doc.name, module))
        for dotted in _NAME.findall(text):
            if dotted not in NOT_PATHS:
                found.add((doc.name, dotted))
    return sorted(found)


def _resolve(dotted: str) -> Any:
    """Import the longest importable module prefix of ``dotted``, then get the attributes."""
    module, _, attribute = dotted.partition(":")
    parts = module.split(".") + ([attribute] if attribute else [])
    for cut in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for part in parts[cut:]:
            obj = getattr(obj, part)
        return obj
    raise ModuleNotFoundError(dotted)


CASES = _documented()


def test_the_documents_show_imports() -> None:
    # the scan itself works: the README's quick start imports evalkit and evalkit.judges
    shown = {what for _, what in CASES}
    assert "evalkit" in shown
    assert "evalkit.judges.client:complete" in shown


@pytest.mark.parametrize(("document", "dotted"), CASES, ids=[f"{d}:{w}" for d, w in CASES])
def test_documented_import_works(document: str, dotted: str) -> None:
    assert _resolve(dotted) is not None, f"{document} shows {dotted}, which no longer resolves"
