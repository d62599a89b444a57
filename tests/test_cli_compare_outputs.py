"""``evalkit compare-outputs``: a pairwise judge over runs' matched rows, and a ranking."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

import evalkit
from evalkit.cli import main
from evalkit.testing import JudgeServer
from evalkit.testing.server import RecordedRequest


def _prefers_longer(request: RecordedRequest) -> dict[str, Any]:
    a = re.search(r"Response A:\s*<data>(.*?)</data>", request.prompt, re.S)
    b = re.search(r"Response B:\s*<data>(.*?)</data>", request.prompt, re.S)
    assert a is not None and b is not None
    if len(a.group(1)) == len(b.group(1)):
        return {"result": "tie", "rationale": "same"}
    return {"result": "A" if len(a.group(1)) > len(b.group(1)) else "B", "rationale": "longer"}


@evalkit.scorer
def _words(outputs: str) -> int:
    return len(outputs.split())


def _run(answers: list[str], questions: list[str] | None = None) -> str:
    questions = questions or [f"question {i}" for i in range(len(answers))]
    data = [{"inputs": {"q": q}, "outputs": a} for q, a in zip(questions, answers, strict=True)]
    result = evalkit.evaluate(data, [_words], progress=False)
    assert result.run_id is not None
    return result.run_id


def test_two_runs_win_tie_loss_with_an_interval(
    judge_server: JudgeServer, capsys: pytest.CaptureFixture[str]
) -> None:
    judge_server.add_rule(None, _prefers_longer)
    a = _run(["x", "yy", "zzz", "w", "v"])
    b = _run(["xx", "yy", "zzzz", "ww", "vv"])  # longer on 4 rows, the same on 1
    assert main(["compare-outputs", a, b, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    (c,) = out["comparisons"]
    assert (c["run_a"], c["run_b"], c["rows"]) == (a, b, 5)
    assert (c["wins_b"], c["ties"], c["wins_a"], c["errors"]) == (4, 1, 0, 0)
    assert c["win_rate_b"] == 0.9
    assert c["ci_low"] <= 0.9 <= c["ci_high"]
    # two calls per row (positions swapped); the tie row's two prompts are the same, so
    # its second call is served from the call cache
    assert out["usage"]["judge_calls"] == 10 and out["usage"]["cached_calls"] == 1
    assert judge_server.request_count == 9
    assert main(["compare-outputs", a, b]) == 0
    assert "4 wins, 1 ties, 0 losses over 5 rows" in capsys.readouterr().out


def test_three_runs_are_ranked(
    judge_server: JudgeServer, capsys: pytest.CaptureFixture[str]
) -> None:
    judge_server.add_rule(None, _prefers_longer)
    short = _run(["a", "b", "c", "d"])
    medium = _run(["aa", "bb", "cc", "d"])
    long = _run(["aaa", "bbb", "ccc", "ddd"])
    assert main(["compare-outputs", short, medium, long, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [r["run"] for r in out["ranking"]] == [long, medium, short]
    assert len(out["comparisons"]) == 3


def test_runs_with_no_rows_in_common_fail_before_any_call(
    judge_server: JudgeServer, capsys: pytest.CaptureFixture[str]
) -> None:
    a = _run(["x", "y"], ["one", "two"])
    b = _run(["x", "y"], ["three", "four"])
    assert main(["compare-outputs", a, b]) == 2
    assert "no rows in common" in capsys.readouterr().err
    assert judge_server.request_count == 0


def test_a_judge_that_is_not_pairwise_is_refused(
    judge_server: JudgeServer, capsys: pytest.CaptureFixture[str]
) -> None:
    a = _run(["x"])
    assert main(["compare-outputs", a, a, "--judge", "Correctness"]) == 2
    assert "does not compare two outputs" in capsys.readouterr().err
    assert main(["compare-outputs", a]) == 2
    assert judge_server.request_count == 0
