"""assert_evaluation and the evaluation marker: pass quietly, fail with the failing rows."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import evalkit
from evalkit import Feedback, scorer
from evalkit.gate import GateError
from evalkit.testing import assert_evaluation

ROOT = Path(__file__).resolve().parents[2]

DATA = [
    {"inputs": {"question": f"q{i}"}, "outputs": out, "expectations": {"expected_response": exp}}
    for i, (out, exp) in enumerate(
        [("4", "4"), ("Paris", "Paris"), ("blue", "red"), ("7", "7"), ("boom", "x")]
    )
]


@scorer
def exact(outputs: str, expectations: dict) -> Feedback:
    if outputs == "boom":
        raise RuntimeError("judge timed out")
    ok = outputs == expectations["expected_response"]
    return Feedback(
        value="yes" if ok else "no", rationale=f"expected {expectations['expected_response']}"
    )


@pytest.fixture(scope="module")
def result() -> evalkit.EvaluationResult:
    return evalkit.evaluate(DATA, scorers=[exact], progress=False, log=False)


def test_passing_thresholds_return_quietly(result: evalkit.EvaluationResult) -> None:
    assert result.metrics["exact/mean"] == 0.75
    assert_evaluation(result, {"exact/mean": ">= 0.75"})
    assert_evaluation(result, ["exact/mean>0.5", "exact/count==4"])


def test_failure_lists_the_threshold_and_the_failing_rows(result: evalkit.EvaluationResult) -> None:
    with pytest.raises(AssertionError) as info:
        assert_evaluation(result, {"exact/mean": ">= 0.8"})
    message = str(info.value)
    assert "exact/mean = 0.75, required >= 0.8" in message
    assert "failing rows for exact/mean (2 of 5):" in message
    assert "row 2: inputs=q2 outputs=blue exact='no' rationale=expected red" in message
    assert "row 4: inputs=q4 outputs=boom error=RuntimeError: judge timed out" in message
    assert "row 0:" not in message and "row 1:" not in message


def test_error_count_threshold_lists_errored_rows(result: evalkit.EvaluationResult) -> None:
    with pytest.raises(AssertionError) as info:
        assert_evaluation(result, ["exact/error_count==0"])
    lines = str(info.value).splitlines()
    assert "failing rows for exact/error_count (1 of 5):" in lines
    assert [line for line in lines if line.startswith("  row ")] == [
        "  row 4: inputs=q4 outputs=boom error=RuntimeError: judge timed out"
    ]


def test_max_rows_caps_the_listing(result: evalkit.EvaluationResult) -> None:
    with pytest.raises(AssertionError, match=r"\.\.\. and 1 more"):
        assert_evaluation(result, {"exact/mean": ">= 1"}, max_rows=1)


def test_baseline_drop_fails_the_assertion(result: evalkit.EvaluationResult) -> None:
    with pytest.raises(AssertionError, match=r"dropped by 0\.15 from baseline 0\.9"):
        assert_evaluation(
            result, {"exact/mean": ">= 0.5"}, baseline={"exact/mean": 0.9}, max_drop=0.1
        )


def test_unknown_metric_is_a_gate_error_not_a_failed_assertion(
    result: evalkit.EvaluationResult,
) -> None:
    with pytest.raises(GateError, match="no metric 'correctness/mean'"):
        assert_evaluation(result, {"correctness/mean": ">= 0.8"})


def test_marker_checks_the_returned_result(tmp_path: Path) -> None:
    test_file = tmp_path / "test_marked.py"
    test_file.write_text(
        textwrap.dedent(
            """
            import pytest
            import evalkit
            from evalkit import scorer

            DATA = [{"inputs": {"q": str(i)}, "outputs": str(i % 3), "expectations": "0"}
                    for i in range(6)]

            @scorer
            def is_zero(outputs, expectations):
                return outputs == expectations["expected_response"]

            @pytest.fixture
            def data():
                return DATA

            @pytest.mark.evaluation({"is_zero/mean": ">= 0.3"})
            def test_holds(data):
                return evalkit.evaluate(data, scorers=[is_zero], progress=False, log=False)

            @pytest.mark.evaluation({"is_zero/mean": ">= 0.9"}, max_rows=2)
            def test_misses(data):
                return evalkit.evaluate(data, scorers=[is_zero], progress=False, log=False)

            @pytest.mark.evaluation({"is_zero/mean": ">= 0.9"})
            def test_returns_nothing():
                pass
            """
        )
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:evalkit",  # where evalkit is installed, its entry point would load it too
            "-p",
            "evalkit.testing.pytest_plugin",
            "-q",
            "-p",
            "no:cacheprovider",
            str(test_file),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**__import__("os").environ, "PYTHONPATH": str(ROOT)},
    )
    out = done.stdout
    assert done.returncode == 1, out + done.stderr
    assert "2 failed, 1 passed" in out
    assert "is_zero/mean = 0.333333, required >= 0.9" in out
    assert "failing rows for is_zero/mean (4 of 6):" in out
    assert "row 1: inputs=1 outputs=1 is_zero=False" in out
    assert "... and 2 more" in out
    assert "must return the EvaluationResult" in out
