"""The `evalkit` command: evaluation from the command line, and one clear line per user error."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import evalkit
import evalkit.judges
from evalkit.cli import main
from evalkit.testing import JudgeServer

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture
def judges_up() -> Iterator[JudgeServer]:
    """A loopback judge server that OPENAI_BASE_URL points at for the test."""
    with JudgeServer() as server, server.env():
        yield server


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A project folder as the current directory, with the QA fixtures and a scorer module."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EVALKIT_TRACKING_URI", str(tmp_path / "store"))
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

            def picky(outputs):
                if "TLS" in outputs:
                    raise ValueError("cannot read [bold]TLS[/bold] answers")
                return 1.0
            """
        )
    )
    yield tmp_path
    sys.modules.pop("my_scorers", None)
    evalkit.set_tracking_uri(None)
    evalkit.judges.set_default_model(None)


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
        (["runs", "list", "--experiment", "nope"], "no experiment named 'nope'"),
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


def _eval(capsys: pytest.CaptureFixture[str], data: str, *extra: str) -> str:
    assert main(["eval", data, "-s", "my_scorers:same", "--json", *extra]) == 0
    run_id = json.loads(capsys.readouterr().out)["run_id"]
    assert isinstance(run_id, str) and run_id
    return run_id


def test_eval_logs_a_run_and_prints_its_id(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval", "qa.jsonl", "-s", "my_scorers:same", "--run-name", "first"]) == 0
    out = capsys.readouterr().out
    run_id = out.strip().splitlines()[-1].removeprefix("Run id: ")
    run = evalkit.get_run(run_id)
    assert run.info.run_name == "first"
    assert run.data.metrics["same/mean"] == 0.4


def test_runs_list_and_show(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = _eval(capsys, "qa.jsonl")
    second = _eval(capsys, "qa_v2.jsonl")
    assert main(["runs", "list", "--json"]) == 0
    runs = json.loads(capsys.readouterr().out)
    assert [r["run_id"] for r in runs] == [second, first]
    assert runs[1]["metrics"]["same/mean"] == 0.4
    assert main(["runs", "list"]) == 0
    listing = capsys.readouterr().out
    assert first in listing and "same/mean=0.5" in listing
    assert main(["runs", "list", "--experiment", "Default", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 2
    assert main(["runs", "show", "latest"]) == 0
    shown = capsys.readouterr().out
    assert f"Run {second}" in shown and "10 rows" in shown
    assert "dataset.name = qa_v2.jsonl" in shown


def test_runs_compare_shows_the_rows_that_changed(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = _eval(capsys, "qa.jsonl")
    second = _eval(capsys, "qa_v2.jsonl")
    assert main(["runs", "compare", first, second]) == 0
    out = capsys.readouterr().out
    assert "│ same/mean        │ 0.4 │ 0.5 │ +0.1 │" in out
    assert "10 rows matched by their inputs." in out
    assert "same: 2 better, 1 worse" in out
    changed = [line.split("│") for line in out.splitlines() if line.count("│") == 4]
    assert [(c[0].strip(), c[2].strip(), c[3].strip(), c[4].strip()) for c in changed] == [
        ("1", "False", "True", "better"),
        ("4", "False", "True", "better"),
        ("6", "True", "False", "worse"),
    ]
    assert main(["runs", "compare", first, second, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["same_dataset"] is True
    assert [c["row"] for c in data["changes"]["same"]] == [1, 4, 6]


def test_gate_exit_codes_and_reasons(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = _eval(capsys, "qa.jsonl")
    second = _eval(capsys, "qa_v2.jsonl")
    assert main(["gate", second, "--require", "same/mean>=0.5"]) == 0
    assert capsys.readouterr().out == f"PASS {second}: same/mean>=0.5\n"
    assert main(["gate", second, "-r", "same/mean>=0.6", "-r", "same/error_count==0"]) == 1
    assert capsys.readouterr().out == f"FAIL {second}: same/mean = 0.5, required >= 0.6\n"
    # the baseline: run 2 improved on run 1, but run 1 fell behind run 2
    assert main(["gate", second, "--baseline", first, "--max-drop", "0"]) == 0
    capsys.readouterr()
    assert main(["gate", first, "--baseline", second, "--max-drop", "0.05", "--json"]) == 1
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["passed"] is False and verdict["baseline_run_id"] == second
    assert verdict["reasons"] == [
        "same/mean dropped by 0.1 from baseline 0.5 to 0.4, more than the allowed 0.05"
    ]


def test_gate_reads_default_thresholds_from_config(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_id = _eval(capsys, "qa.jsonl")
    (project / "evalkit.toml").write_text('require = ["same/mean>=0.9"]\n')
    assert main(["gate", run_id]) == 1
    assert "required >= 0.9" in capsys.readouterr().out


def test_report_writes_a_comparison(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = _eval(capsys, "qa.jsonl")
    second = _eval(capsys, "qa_v2.jsonl")
    assert main(["report", second, "--compare", first, "-o", "out.html"]) == 0
    html = (project / "out.html").read_text()
    assert html.count('<tr class="row') == 10
    assert '<h3 data-scorer="same">same: <span class="better">2 better</span>' in html
    assert f'<code class="run-id">{first}</code>' in html


@pytest.mark.parametrize(
    "argv",
    [
        ["runs", "show", "no-such-run"],
        ["runs", "compare", "no-such-run", "latest"],
        ["gate", "no-such-run", "-r", "same/mean>=0.5"],
        ["report", "no-such-run"],
    ],
)
def test_unknown_run_is_one_line(
    project: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    _eval(capsys, "qa.jsonl")
    assert main(argv) == 2
    assert "run 'no-such-run' not found in the tracking store" in _one_error_line(capsys)


def test_gate_on_an_unknown_metric_is_a_usage_error(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_id = _eval(capsys, "qa.jsonl")
    assert main(["gate", run_id, "-r", "correctness/mean>=0.8"]) == 2
    assert "has no metric 'correctness/mean'" in _one_error_line(capsys)


def test_latest_with_no_runs_is_one_line(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gate", "latest", "-r", "same/mean>=0.5"]) == 2
    assert "no runs in the tracking store yet" in _one_error_line(capsys)


def test_ui_serves_the_run_list_reports_and_comparisons(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import warnings

    from evalkit.ui import build_app

    with warnings.catch_warnings():  # starlette asks for httpx2; httpx is what the venv has
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    first = _eval(capsys, "qa.jsonl")
    second = _eval(capsys, "qa_v2.jsonl")
    client = TestClient(build_app("127.0.0.1"), base_url="http://127.0.0.1:8765")
    assert 'href="/experiments/0"' in client.get("/").text
    runs = client.get("/experiments/0").text
    assert runs.count('<tr class="run"') == 2
    assert f'href="/runs/{first}"' in runs
    page = client.get(f"/runs/{first}")
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert page.text.count('<tr class="row') == 10
    compared = client.get(f"/compare?run={first}&run={second}").text
    assert compared.count('<tr class="side-row') == 3
    for path, status in (("/runs/nope", 404), ("/compare?run=x", 400), ("/other", 404)):
        assert client.get(path).status_code == status


def test_eval_reads_a_stored_dataset_by_name(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dataset = evalkit.create_dataset("acme-small")
    dataset.merge_records(
        [json.loads(line) for line in (project / "qa.jsonl").read_text().splitlines()]
    )
    assert main(["eval", "acme-small", "-s", "my_scorers:same", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["metrics"]["same/mean"] == 0.4
    assert main(["eval", "no-such-dataset", "-s", "my_scorers:same"]) == 2
    assert "'no-such-dataset' is neither a data file nor a stored dataset" in _one_error_line(
        capsys
    )


def test_the_evalkit_command_is_declared() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"] == {"evalkit": "evalkit.cli:main"}
    assert any(dep.startswith("rich") for dep in project["dependencies"])


def test_eval_with_built_in_and_spec_judges_against_the_local_server(
    project: Path, capsys: pytest.CaptureFixture[str], judges_up: JudgeServer
) -> None:
    shutil.copytree(ROOT / "judges", project / "judges")
    judges_up.add_rule(match=r"TLS 1\.2 and TLS 1\.3", reply={"result": "no", "rationale": "x"})
    judges_up.add_rule(match=r"cite its sources", reply={"result": False, "rationale": "none"})
    judges_up.add_rule(match=None, reply={"result": "yes", "rationale": "matches"})
    argv = ["eval", "qa.jsonl", "-s", "Correctness", "-s", "judges/cites_sources.yaml"]
    assert main([*argv, "--judge-model", "openai:/gpt-4.1-mini", "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)["metrics"]
    assert metrics["correctness/mean"] == 0.9  # the TLS row's answer is judged wrong
    assert metrics["cites_sources/mean"] == 0.0
    assert judges_up.request_count == 20


def test_eval_discovers_judge_specs(
    project: Path, capsys: pytest.CaptureFixture[str], judges_up: JudgeServer
) -> None:
    (project / "judges").mkdir()
    shutil.copy(ROOT / "judges" / "professionalism.yaml", project / "judges")
    judges_up.add_rule(match=None, reply={"result": "casual", "rationale": "informal"})
    assert main(["eval", "qa.jsonl", "--judge-model", "openai:/gpt-4.1-mini", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["metrics"]["professionalism/mean"] == 0.5


def test_eval_says_why_rows_failed_and_prints_user_text_verbatim(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval", "qa.jsonl", "-s", "my_scorers:picky"]) == 0
    out = capsys.readouterr().out
    assert (
        "picky: 1 row(s) failed; most often (e.g. row 6) ValueError: cannot read "
        "[bold]TLS[/bold] answers" in out
    )


def test_eval_dry_run_estimates_and_calls_nothing(
    project: Path, capsys: pytest.CaptureFixture[str], judges_up: JudgeServer
) -> None:
    argv = ["eval", "qa.jsonl", "-s", "Correctness", "--judge-model", "openai:/gpt-4.1-mini"]
    assert main([*argv, "--dry-run", "--json"]) == 0
    usage = json.loads(capsys.readouterr().out)["estimate"]
    assert usage["judge_calls"] == 10 and usage["estimate"] is True
    assert usage["input_tokens"] > 10 * 100 and usage["cost"] > 0
    assert main([*argv, "--dry-run"]) == 0
    assert "Estimate (nothing was called): 10 judge call(s)" in capsys.readouterr().out
    assert judges_up.request_count == 0
    assert evalkit.search_runs(search_all_experiments=True).empty


def test_eval_resume_retries_only_the_errored_rows_in_the_same_run(
    project: Path, capsys: pytest.CaptureFixture[str], judges_up: JudgeServer
) -> None:
    judges_up.add_rule(match=r"TLS 1\.2 and TLS 1\.3", reply="I cannot answer that", times=2)
    judges_up.add_rule(match=None, reply={"result": "yes", "rationale": "matches"})
    argv = ["eval", "qa.jsonl", "-s", "Correctness", "--judge-model", "openai:/gpt-4.1-mini"]
    assert main([*argv, "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["metrics"]["correctness/error_count"] == 1
    assert judges_up.request_count == 11  # the unreadable answer is asked about once more

    assert main([*argv, "--resume", "latest", "--json"]) == 0  # nothing is missing
    assert judges_up.request_count == 11

    assert main([*argv, "--resume", first["run_id"], "--retry-errors"]) == 0
    out = capsys.readouterr().out
    assert f"Run id: {first['run_id']}" in out
    assert judges_up.request_count == 12  # only the errored row was judged again
    metrics = evalkit.get_run(first["run_id"]).data.metrics
    assert metrics["correctness/mean"] == 1.0
    assert metrics["correctness/error_count"] == 0


def test_eval_retry_errors_needs_resume(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "qa.jsonl", "-s", "my_scorers:same", "--retry-errors"]) == 2
    assert "--retry-errors needs --resume RUN" in _one_error_line(capsys)


def test_ctrl_c_during_eval_says_how_to_resume_and_resume_latest_finishes(
    project: Path, capsys: pytest.CaptureFixture[str], judges_up: JudgeServer
) -> None:
    judges_up.add_rule(match=None, reply={"result": "yes", "rationale": "ok"}, latency=0.2)
    argv = ["eval", "qa.jsonl", "-s", "Correctness", "--judge-model", "openai:/gpt-4.1-mini"]
    child = subprocess.Popen(
        [sys.executable, "-m", "evalkit", *argv, "--max-workers", "2"],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while judges_up.request_count < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=60)
    assert child.returncode == 130, err
    assert "interrupted; the rows scored so far are kept" in err and "--resume latest" in err
    asked = judges_up.request_count
    assert asked < 10

    assert main([*argv, "--resume", "latest", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["metrics"]["correctness/count"] == 10
    assert judges_up.request_count == 10  # the interrupted call was finished, not asked again
    assert evalkit.get_run(result["run_id"]).info.status == "FINISHED"


# --- failures count: a scorer that failed everywhere fails the command (issue 13) ---


def test_eval_exits_1_when_a_judge_failed_on_every_row(
    project: Path, capsys: pytest.CaptureFixture[str], judges_up: JudgeServer
) -> None:
    judges_up.inject("unauthorized")
    argv = ["eval", "qa.jsonl", "-s", "Correctness", "-s", "my_scorers:same"]
    assert main([*argv, "--judge-model", "openai:/gpt-4.1-mini"]) == 1
    captured = capsys.readouterr()
    assert "Run id: " in captured.out  # the run is still logged and summarised
    assert "evalkit: failed: correctness errored on 100% of the rows" in captured.err
    assert main([*argv, "--judge-model", "openai:/gpt-4.1-mini", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["failed"] == [
        "correctness errored on 100% of the rows"
    ]


def test_max_error_rate_sets_how_many_failed_rows_fail_the_command(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["eval", "qa.jsonl", "-s", "my_scorers:picky"]  # fails on 1 row of 10
    assert main(argv) == 0
    capsys.readouterr()
    assert main([*argv, "--max-error-rate", "0.05"]) == 1
    assert "picky errored on 10% of the rows, more than --max-error-rate 0.05" in (
        capsys.readouterr().err
    )
    (project / "evalkit.toml").write_text("max_error_rate = 0.0\n")
    assert main(argv) == 1
    assert main([*argv, "--max-error-rate", "0.1"]) == 0  # the option wins over the file
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:  # argparse's usage error
        main([*argv, "--max-error-rate", "2"])
    assert exited.value.code == 2
    assert "2 is not a share of rows between 0 and 1" in capsys.readouterr().err


def test_an_unavailable_metric_says_why_once(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "missing.py").write_text(
        textwrap.dedent(
            """
            from evalkit import scorer
            from evalkit.errors import MissingDependencyError

            @scorer
            def needs_a_model(outputs):
                raise MissingDependencyError("the model is not on this machine; " + "x" * 300)
            """
        )
    )
    assert main(["eval", "qa.jsonl", "-s", "missing:needs_a_model"]) == 1
    out = capsys.readouterr().out
    assert out.count("the model is not on this machine") == 1
    assert "needs_a_model: no row scored; every row failed with MissingDependencyError" in out
    assert "x" * 300 in out.replace("\n", "")  # in full, not cut at 200 characters


# --- judge call settings from the command line (issue 18.16) ---


def test_timeout_and_max_retries_reach_the_judges(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["eval", "qa.jsonl", "-s", "Correctness", "--judge-model", "openai:/gpt-4.1-mini"]
    with JudgeServer(hang_seconds=30) as server, server.env():
        server.inject("server_error")
        assert main([*argv, "--max-retries", "0", "--cache", "off", "--json"]) == 1
        assert server.request_count == 10  # one attempt per row, no retry
        capsys.readouterr()
    with JudgeServer(hang_seconds=30) as server, server.env():
        server.inject("hang", first=1)
        started = time.monotonic()
        argv += ["--timeout", "0.5", "--max-retries", "0", "--cache", "off", "--json"]
        assert main(argv) == 0
        assert time.monotonic() - started < 20  # not the default timeout of a minute
        result = json.loads(capsys.readouterr().out)
        assert result["metrics"]["correctness/error_count"] == 1
        table = evalkit.load_table("eval_results_table.json", run_ids=[result["run_id"]])
        assert table["correctness/error_code"].dropna().tolist() == ["TIMEOUT"]


# --- an untrusted checkout: project code only when needed, never first (issue 18.9) ---


def test_named_scorers_do_not_load_the_plugin_folders(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "scorers").mkdir()
    (project / "scorers" / "evil.py").write_text("raise SystemExit('plug-in code ran')\n")
    assert main(["eval", "qa.jsonl", "-s", "my_scorers:same", "--json"]) == 0


def test_dry_run_does_not_import_the_predict_function(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "app.py").write_text("raise SystemExit('the app was imported')\n")
    (project / "evalkit.toml").write_text('predict = "app:answer"\n')
    (project / "questions.jsonl").write_text('{"inputs": {"question": "hi"}}\n')
    assert main(["eval", "questions.jsonl", "-s", "my_scorers:words", "--dry-run", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["estimate"]["judge_calls"] == 0


def test_a_project_file_never_shadows_an_installed_library(project: Path) -> None:
    (project / "tenacity.py").write_text("raise RuntimeError('the local tenacity.py ran')\n")
    (project / "uses_tenacity.py").write_text(
        "import tenacity\nfrom evalkit import scorer\n\n"
        "@scorer\ndef real(outputs):\n    return hasattr(tenacity, 'retry')\n"
    )
    sys.modules.pop("uses_tenacity", None)
    assert main(["eval", "qa.jsonl", "-s", "uses_tenacity:real"]) == 0
    assert sys.path[0] != str(project)
    done = subprocess.run(  # `python -m` puts the current directory first: evalkit moves it
        [sys.executable, "-m", "evalkit", "eval", "qa.jsonl", "-s", "uses_tenacity:real", "--json"],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["metrics"]["real/mean"] == 1.0


def test_the_environment_tracking_uri_wins_over_the_config_file(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "evalkit.toml").write_text(f'tracking_uri = "{project / "elsewhere"}"\n')
    assert main(["eval", "qa.jsonl", "-s", "my_scorers:same", "--json"]) == 0
    captured = capsys.readouterr()
    assert "using EVALKIT_TRACKING_URI=" in captured.err
    run_id = json.loads(captured.out)["run_id"]
    assert evalkit.get_run(run_id).info.run_id == run_id  # in the environment's store
    assert not (project / "elsewhere").exists()
    assert main(["--tracking-uri", str(project / "chosen"), "runs", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []  # the option wins over both


# --- what the runs commands print (issues 17 and 18.13) ---

_HOSTILE = "\x1b]0;pwned\x07nice\x1b[2J\x9b31m"


def test_stored_names_cannot_send_terminal_control_sequences(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = _eval(capsys, "qa.jsonl", "--run-name", _HOSTILE)
    second = _eval(capsys, "qa_v2.jsonl", "--run-name", _HOSTILE)
    for argv in (
        ["runs", "list"],
        ["runs", "show", first, "--rows", "2"],
        ["runs", "compare", first, second],
        ["gate", first, "-r", "same/mean>=0"],
    ):
        assert main(argv) == 0
        out = capsys.readouterr().out
        assert not any(c in out for c in "\x1b\x07\x9b"), argv
    assert main(["runs", "show", first]) == 0
    assert "\\x1b]0;pwned\\x07nice\\x1b[2J\\x9b31m" in capsys.readouterr().out


def test_runs_list_shows_experiment_names_and_whole_numbers(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _eval(capsys, "qa.jsonl", "--experiment", "acme-support-bot")
    assert main(["runs", "list"]) == 0
    out = capsys.readouterr().out
    assert "acme-support-bot" in out
    assert re.search(r"same/mean=0\.4\b", out)
    assert main(["runs", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["experiment"] == "acme-support-bot"


def test_runs_show_prints_rows(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_id = _eval(capsys, "qa.jsonl")
    assert main(["runs", "show", run_id, "--rows", "3"]) == 0
    out = capsys.readouterr().out
    assert "First 3 of 10 rows" in out
    assert "What port does Acme Cache listen on" in out
    assert "What is the maximum key size?" in out
    assert main(["runs", "show", run_id, "--rows", "2", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["table"]) == 2


def test_eval_says_where_the_run_is_and_how_to_see_it(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval", "qa.jsonl", "-s", "my_scorers:same"]) == 0
    out = capsys.readouterr().out
    run_id = out.strip().splitlines()[-1].removeprefix("Run id: ")
    assert f"Logged to sqlite:///{project / 'store'}" in out
    assert f"evalkit runs show {run_id}" in out and "evalkit ui" in out


def test_the_ci_gate_example_writes_outside_the_checkout(tmp_path: Path) -> None:
    checkout, temporary = tmp_path / "checkout", tmp_path / "tmp"
    checkout.mkdir()
    temporary.mkdir()
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "ci_gate.py")],
        cwd=checkout,
        env={**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(temporary)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert list(checkout.iterdir()) == []
    assert (temporary / "evalkit-ci-gate" / "report.html").is_file()
    assert f"Report: {temporary / 'evalkit-ci-gate' / 'report.html'}" in done.stdout


def test_the_quickstart_says_where_the_run_is(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py")],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    found = re.search(r"Logged as run ([0-9a-f]{32}) to (\S+)", done.stdout)
    assert found, done.stdout
    assert found.group(2) == f"sqlite:///{Path(os.environ['EVALKIT_TRACKING_URI'])}/evalkit.db"
    assert f"evalkit runs show {found.group(1)}" in done.stdout and "evalkit ui" in done.stdout
