"""Every Python example of the reference documents runs with ``mlflow`` replaced by ``evalkit``.

The documents are ``../shared/reference/*.txt`` (relative to the repository root; found in
an ancestor folder's ``shared/reference`` too). Their examples are taken as the pages have
them: fenced blocks (000, 001, 004), code set out line by line in the text (003), and, for
002 whose text lost its line breaks, the laid-out copy in ``reference_002_transcribed.py.txt``,
checked here against the page character for character (whitespace aside).

Each example's text has ``mlflow`` replaced by ``evalkit`` and is executed; the examples of one
page share one namespace, in order, as in a notebook, which starts with ``evalkit`` imported
(the pages assume ``import mlflow``). Judges talk to
:class:`evalkit.testing.JudgeServer` (the default judge model and the OpenAI base URL come
from the environment). Examples that cannot run are listed, each with why, in
``reference_examples_not_run.toml``; every other one must run without an exception.
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import evalkit
from evalkit.testing import JudgeServer

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
NOT_RUN_FILE = HERE / "reference_examples_not_run.toml"
TRANSCRIBED_002 = HERE / "reference_002_transcribed.py.txt"

LAYOUT = {"000": "fenced", "001": "fenced", "002": "flattened", "003": "lines", "004": "fenced"}
"""How each page holds its code; a new page must be added here."""

PYTHON_FENCES = ("", "python", "py")
_START = re.compile(r"(?:(?<=- )|(?<=\n))(?:from [a-z_.]+ import|import [a-z_.]+)")
_CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


def _reference_dir() -> Path | None:
    for folder in (ROOT, *ROOT.parents):
        candidate = folder.parent / "shared" / "reference"
        if candidate.is_dir():
            return candidate
    return None


REFERENCE = _reference_dir()


@dataclass(frozen=True)
class Example:
    id: str
    page: str
    code: str | None
    """The example as the page has it (MLflow's names); ``None``: not laid out (002)."""


def _fenced(text: str, page: str) -> list[Example]:
    blocks = re.findall(r"```([\w-]*)\n(.*?)```", text, re.S)
    return [
        Example(f"{page}:{i}", page, code)
        for i, (lang, code) in enumerate(blocks)
        if lang.lower() in PYTHON_FENCES
    ]


def _parses(code: str) -> bool:
    try:
        ast.parse(code)
    except SyntaxError:
        return False
    return True


def _lines(text: str, page: str) -> list[Example]:
    """Code set out line by line: from an import line to the next prose line, trimmed until
    it parses."""
    lines = text.split("\n")
    out: list[Example] = []
    i = 0
    while i < len(lines):
        if not re.match(r"(?:from [a-z_.]+ import|import [a-z_.]+)", lines[i]):
            i += 1
            continue
        end = i
        while end < len(lines) and not _CJK.search(lines[end]):
            end += 1
        block = lines[i:end]
        while block and not _parses("\n".join(block)):
            block.pop()
        code = "\n".join(block).strip() if block else lines[i]
        out.append(Example(f"{page}:{len(out)}", page, code))
        i = max(end, i + 1)
    return out


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _transcriptions() -> dict[str, str]:
    sections: dict[str, str] = {}
    current: str | None = None
    for line in TRANSCRIBED_002.read_text("utf-8").split("\n"):
        header = re.match(r"### (002:\d+)\b", line)
        if header:
            current = header.group(1)
            sections[current] = ""
        elif current is not None:
            sections[current] += line + "\n"
    return {k: v.strip() + "\n" for k, v in sections.items()}


def _flattened(text: str, page: str) -> list[Example]:
    laid_out = _transcriptions()
    starts = [m.start() for m in _START.finditer(text)]
    out = []
    for n, start in enumerate(starts):
        ident = f"{page}:{n}"
        code = laid_out.get(ident)
        if code is not None:
            page_code = _squash(text[start:])
            assert page_code.startswith(_squash(code)), (
                f"the transcription of {ident} is not what the page has at that example"
            )
        out.append(Example(ident, page, code))
    unknown = set(laid_out) - {e.id for e in out}
    assert not unknown, f"transcriptions of examples the page does not have: {unknown}"
    return out


def collect() -> list[Example]:
    """Every Python example of every reference page, in page order."""
    if REFERENCE is None:
        return []
    examples: list[Example] = []
    for path in sorted(REFERENCE.glob("*.txt")):
        page = path.name[:3]
        layout = LAYOUT.get(page)
        assert layout, f"reference page {path.name} is new: say in LAYOUT how it holds its code"
        text = path.read_text("utf-8")
        examples += {"fenced": _fenced, "flattened": _flattened, "lines": _lines}[layout](
            text, page
        )
    return examples


EXAMPLES = collect()
NOT_RUN: dict[str, str] = {
    key: entry["why"] for key, entry in tomllib.loads(NOT_RUN_FILE.read_text("utf-8")).items()
}
RUNNABLE = [e for e in EXAMPLES if e.id not in NOT_RUN]


def _missing_reference() -> None:
    if REFERENCE is None:
        if os.environ.get("CI"):
            pytest.fail("the reference documents (../shared/reference) are missing in CI")
        pytest.skip("the reference documents (../shared/reference) are not present locally")


def test_every_example_runs_or_says_why_not() -> None:
    _missing_reference()
    ids = {e.id for e in EXAMPLES}
    stale = sorted(set(NOT_RUN) - ids)
    assert not stale, f"{NOT_RUN_FILE.name} lists examples the pages do not have: {stale}"
    unlaid = [e.id for e in RUNNABLE if e.code is None]
    assert not unlaid, f"examples neither transcribed nor listed as not run: {unlaid}"
    assert all(reason.strip() for reason in NOT_RUN.values())
    # the count that runs, kept in step with the list (raise it as evalkit grows)
    assert (len(EXAMPLES), len(RUNNABLE)) == (EXPECTED_TOTAL, EXPECTED_RUN)


EXPECTED_TOTAL = 120
EXPECTED_RUN = 45


def _answer(request: Any) -> dict[str, Any]:
    """The fake judge's verdict: one that fits the response format the judge asked for."""
    body = request.body or {}
    schema = json.dumps(body.get("response_format") or {})
    enum = re.search(r'"enum": \[([^\]]*)\]', schema)
    # without a response schema (models litellm sends none to), read the system prompt's words
    spoken = re.search(r"exactly one of ((?:\"[^\"]*\"(?:, )?)+)", request.prompt)
    result: Any = "yes"
    if enum:
        result = json.loads(f"[{enum.group(1)}]")[-1]
    elif spoken:
        result = json.loads(f"[{spoken.group(1)}]")[-1]
    elif '"result": {"type": "integer"' in schema:
        result = 5
    elif '"result": {"type": "number"' in schema:
        result = 4.5
    elif '"result": {"type": "boolean"' in schema:
        result = True
    return {
        "result": result,
        "rationale": "JudgeServer's scripted verdict.",
        "score": 4,
        "justification": "JudgeServer's scripted verdict.",
    }


@pytest.fixture(scope="module")
def judge_server() -> Iterator[JudgeServer]:
    with JudgeServer() as server, server.env():
        server.add_rule(match=None, reply=_answer)
        saved = os.environ.get("EVALKIT_JUDGE_MODEL")
        os.environ["EVALKIT_JUDGE_MODEL"] = "openai:/gpt-4.1-mini"
        try:
            yield server
        finally:
            if saved is None:
                os.environ.pop("EVALKIT_JUDGE_MODEL", None)
            else:
                os.environ["EVALKIT_JUDGE_MODEL"] = saved


_namespaces: dict[str, dict[str, Any]] = {}
_done: set[str] = set()


def _run(example: Example) -> None:
    assert example.code is not None
    # the pages assume `import mlflow` was run first, as their opening examples do
    namespace = _namespaces.setdefault(
        example.page, {"__name__": f"reference_{example.page}", "evalkit": evalkit}
    )
    code = example.code.replace("mlflow", "evalkit")
    exec(compile(code, f"<reference example {example.id}>", "exec"), namespace)


@pytest.mark.parametrize("example", RUNNABLE, ids=[e.id for e in RUNNABLE])
def test_reference_example_runs(
    example: Example,
    judge_server: JudgeServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    saved_environ = dict(os.environ)  # an example may set variables (API keys, URIs)
    try:
        _run_in_order(example)
    finally:
        os.environ.clear()
        os.environ.update(saved_environ)


def _run_in_order(example: Example) -> None:
    # a page's examples build on each other: run the earlier ones first (once)
    for earlier in RUNNABLE:
        if earlier is example:
            break
        if earlier.page == example.page and earlier.id not in _done:
            _done.add(earlier.id)
            with contextlib.suppress(Exception):  # its own test reports it
                _run(earlier)
    _done.add(example.id)
    before = {k: id(v) for k, v in _namespaces.get(example.page, {}).items()}
    _run(example)
    namespace = _namespaces[example.page]
    made = {k: v for k, v in namespace.items() if before.get(k) != id(v)}
    _check_results(made, EXPECTED_ERRORS.get(example.id, {}))


EXPECTED_ERRORS: dict[str, dict[str, str]] = {
    "002:40": {
        "expectations_guidelines": "the record has no expectations['guidelines']",
        "retrieval_groundedness": "the record has no trace with retriever spans",
        "retrieval_relevance": "the record has no trace with retriever spans",
        "retrieval_sufficiency": "the record has no trace with retriever spans",
    },
}
"""Metrics an example's own data cannot give (per-row errors, as MLflow's), and why."""


def _check_results(made: dict[str, Any], expected: dict[str, str]) -> None:
    """The judges' verdicts the example kept are values, not errors."""
    for name, value in made.items():
        if isinstance(value, evalkit.Feedback):
            assert value.error is None, f"{name}: {value.error}"
        elif isinstance(value, evalkit.EvaluationResult):
            failed = {
                k: v
                for k, v in value.metrics.items()
                if k.endswith("/error_count") and v and k.split("/")[0] not in expected
            }
            assert not failed, f"{name}: rows failed: {failed}"
