"""The `evalkit` command: evaluation from the command line, and one clear line per user error."""

from __future__ import annotations

import json
import shutil
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from evalkit.cli import main

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A project folder as the current directory, with the QA fixtures and a scorer module."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    sys.modules.pop("my_scorers", None)
    shutil.copy(FIXTURES / "qa_small.jsonl", tmp_path / "qa.jsonl")
    shutil.copy(FIXTURES / "qa_small_v2.jsonl", tmp_path / "qa_v2.jsonl")
    (tmp_path / "my_scorers.py").write_text(
        textwrap.dedent(
            """
            from evalkit import scorer

            @scorer
            def same(outputs, expectations):
                return outputs.strip() == expectations["expected_response"].strip()

            def words(outputs):
                return len(outputs.split())

            def shout(question):
                return question.upper()
            """
        )
    )
    yield tmp_path
    sys.modules.pop("my_scorers", None)


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    err = [line for line in err if not line.startswith("evalkit: evaluating")]
    assert len(err) == 1, err
    assert "Traceback" not in err[0]
    assert err[0].startswith("evalkit: error: ")
    return err[0]


def test_eval_with_module_function_scorers_prints_a_summary(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["eval", "qa.jsonl", "-s", "my_scorers:same", "-s", "my_scorers:words", "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["rows"] == 10
    assert out["metrics"]["same/mean"] == 0.4
    assert out["metrics"]["words/count"] == 10


def test_eval_discovers_plugin_folders(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "scorers").mkdir()
    shutil.copy(ROOT / "scorers" / "style.py", project / "scorers" / "style.py")
    assert main(["eval", "qa.jsonl"]) == 0
    captured = capsys.readouterr()
    assert "2 scorer(s): no_apology, sentence_count" in captured.err
    assert "qa.jsonl: 10 rows" in captured.out
    lines = {line.split()[1]: line for line in captured.out.splitlines() if "│" in line[:2]}
    assert lines["no_apology"].split("│")[2].strip() == "1"
    assert lines["sentence_count"].split("│")[2].strip() == "1.2"


def test_eval_with_predict_fn_and_config(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "evalkit.toml").write_text(
        'scorers = ["my_scorers:same"]\npredict = "my_scorers:shout"\ndata = "qa.jsonl"\n'
    )
    (project / "inputs.jsonl").write_text('{"inputs": {"question": "hi"}, "expectations": "HI"}\n')
    assert main(["eval", "inputs.jsonl", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["metrics"]["same/mean"] == 1.0


def test_eval_writes_a_report(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "qa.jsonl", "-s", "my_scorers:same", "--report", "out/r.html"]) == 0
    html = (project / "out" / "r.html").read_text()
    assert html.count('<tr class="row') == 10 and '<svg class="chart"' in html


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["eval", "qa.jsonl", "-s", "no_such_metric"], "unknown scorer 'no_such_metric'"),
        (
            ["eval", "missing.jsonl", "-s", "my_scorers:same"],
            "data file 'missing.jsonl' does not exist",
        ),
        (["eval", "qa.jsonl", "-s", "nomodule:f"], "no module named 'nomodule'"),
        (["eval", "qa.jsonl", "-s", "my_scorers:nothing"], "has no attribute 'nothing'"),
        (
            ["eval", "qa.jsonl", "-s", "judges/missing.yaml"],
            "judge spec file 'judges/missing.yaml' does not exist",
        ),
        (
            ["eval", "qa.jsonl", "-s", "my_scorers:same", "--predict", "my_scorers:nope"],
            "has no attribute 'nope'",
        ),
        (["eval", "qa.jsonl", "-s", "scorers/"], "scorer path 'scorers/' does not exist"),
        (["eval"], "no data"),
        (["gate", "some-run", "--require", "same/mean>=high"], "'high' is not a number"),
        (
            ["gate", "some-run", "--require", "same/mean=>0.5"],
            "is not of the form METRIC OP NUMBER",
        ),
        (
            ["gate", "some-run", "--require", "a>=1", "--max-drop", "0.1"],
            "--max-drop needs --baseline",
        ),
        (["--config", "nope.toml", "runs", "list"], "config file 'nope.toml' does not exist"),
    ],
)
def test_user_errors_give_one_line_and_exit_2(
    project: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(argv) == 2
    assert message in _one_error_line(capsys)


def test_bad_config_key_is_named(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pyproject.toml").write_text('[tool.evalkit]\nscorer = ["x"]\n')
    assert main(["eval", "qa.jsonl"]) == 2
    assert "unknown key 'scorer'" in _one_error_line(capsys)
