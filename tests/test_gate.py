"""Gates: thresholds parsed as users type them, baselines with max-drop, clear errors."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from evalkit import EvalkitError
from evalkit.gate import (
    GateError,
    Requirement,
    check_gate,
    gate_verdict,
    parse_requirement,
    parse_requirements,
)

METRICS = {
    "correctness/mean": 0.75,
    "correctness/count": 8.0,
    "correctness/error_count": 2.0,
    "latency/mean": 1.5,
    "rougeL/mean": 0.5,
}


@pytest.mark.parametrize(
    ("text", "op", "threshold"),
    [
        ("correctness/mean>=0.8", ">=", 0.8),
        ("correctness/mean > 0.8", ">", 0.8),
        ("  latency/mean<=2  ", "<=", 2.0),
        ("latency/mean<2.5", "<", 2.5),
        ("correctness/error_count==0", "==", 0.0),
        ("correctness/count != 0", "!=", 0.0),
        ("rougeL/mean>=-1e-3", ">=", -0.001),
    ],
)
def test_parse_requirement_reads_every_operator(text: str, op: str, threshold: float) -> None:
    req = parse_requirement(text)
    assert (req.op, req.threshold) == (op, threshold)
    assert req.metric == text.strip().split(op)[0].strip()


@pytest.mark.parametrize(
    "text", ["correctness/mean", "correctness/mean=>0.8", ">=0.8", "correctness/mean>=", "a=0.8"]
)
def test_malformed_requirements_say_the_expected_form(text: str) -> None:
    with pytest.raises(GateError, match="METRIC OP NUMBER"):
        parse_requirement(text)


def test_a_threshold_that_is_not_a_number_is_named() -> None:
    with pytest.raises(GateError, match="'high' is not a number"):
        parse_requirement("correctness/mean>=high")
    with pytest.raises(GateError, match="NaN"):
        parse_requirement("correctness/mean>=nan")


def test_gate_error_is_an_evalkit_error() -> None:
    assert issubclass(GateError, EvalkitError)


@pytest.mark.parametrize(
    ("requirement", "passed"),
    [
        ("correctness/mean>=0.75", True),
        ("correctness/mean>0.75", False),
        ("correctness/mean<=0.75", True),
        ("correctness/mean<0.75", False),
        ("correctness/error_count==0", False),
        ("correctness/error_count!=0", True),
        ("latency/mean<2", True),
    ],
)
def test_check_gate_applies_the_operator(requirement: str, passed: bool) -> None:
    assert check_gate(METRICS, [requirement])[0] is passed


def test_failed_thresholds_each_get_a_line_saying_why() -> None:
    passed, reasons = check_gate(
        METRICS, ["correctness/mean>=0.8", "rougeL/mean>=0.4", "correctness/error_count==0"]
    )
    assert not passed
    assert reasons == [
        "correctness/mean = 0.75, required >= 0.8",
        "correctness/error_count = 2, required == 0",
    ]


def test_a_key_without_aggregation_means_its_mean() -> None:
    assert check_gate(METRICS, ["rougeL>=0.5"]) == (True, [])
    assert check_gate(METRICS, ["rougeL>0.5"]) == (False, ["rougeL/mean = 0.5, required > 0.5"])


def test_mapping_form_and_bare_numbers() -> None:
    assert parse_requirements({"correctness/mean": ">= 0.8", "rougeL/mean": 0.3}) == [
        Requirement(metric="correctness/mean", op=">=", threshold=0.8),
        Requirement(metric="rougeL/mean", op=">=", threshold=0.3),
    ]
    with pytest.raises(GateError, match=r"'about 0.8' is not a condition"):
        parse_requirements({"correctness/mean": "about 0.8"})


def test_unknown_metric_is_an_error_with_suggestions() -> None:
    with pytest.raises(
        GateError, match=r"no metric 'corectness/mean'; did you mean correctness/mean"
    ):
        check_gate(METRICS, ["corectness/mean>=0.8"])


def test_nan_metric_never_passes() -> None:
    passed, reasons = check_gate({"x/mean": math.nan}, ["x/mean>=0"])
    assert not passed and reasons == ["x/mean = nan, required >= 0"]


def test_baseline_drop_within_max_drop_passes_and_beyond_fails() -> None:
    baseline = {**METRICS, "correctness/mean": 0.76}
    assert check_gate(METRICS, ["correctness/mean>=0.5"], baseline, max_drop=0.02) == (True, [])
    passed, reasons = check_gate(METRICS, ["correctness/mean>=0.5"], baseline, max_drop=0.005)
    assert not passed
    assert reasons == [
        "correctness/mean dropped by 0.01 from baseline 0.76 to 0.75, more than the allowed 0.005"
    ]


def test_baseline_direction_follows_the_operator() -> None:
    baseline = {**METRICS, "latency/mean": 1.0}
    passed, reasons = check_gate(METRICS, ["latency/mean<=5"], baseline, max_drop=0.1)
    assert not passed
    assert reasons == ["latency/mean rose by 0.5 from baseline 1 to 1.5, more than the allowed 0.1"]
    # an improvement (lower latency) is never a regression
    assert check_gate(baseline, ["latency/mean<=5"], METRICS, max_drop=0)[0]


def test_baseline_without_requirements_holds_every_baseline_mean() -> None:
    baseline = {"a/mean": 0.9, "b/mean": 0.5, "c/mean": 0.1, "a/count": 3.0}
    current = {"a/mean": 0.8, "b/mean": 0.6, "new/mean": 0.0, "a/count": 1.0}
    passed, reasons = check_gate(current, [], baseline, max_drop=0.05)
    assert not passed
    assert reasons == [
        "a/mean dropped by 0.1 from baseline 0.9 to 0.8, more than the allowed 0.05",
        "c/mean is missing from the run: the run did not report it; the baseline has 0.1",
    ]


def test_max_drop_needs_a_baseline_and_must_not_be_negative() -> None:
    with pytest.raises(GateError, match="needs a baseline"):
        check_gate(METRICS, ["rougeL/mean>=0"], max_drop=0.1)
    with pytest.raises(GateError, match="zero or more"):
        check_gate(METRICS, ["rougeL/mean>=0"], METRICS, max_drop=-0.1)


def test_nothing_to_check_is_an_error() -> None:
    with pytest.raises(GateError, match="nothing to check"):
        check_gate(METRICS, [])


# Issue 18.2: a judge that failed on every row of the candidate must not pass the gate.
BASELINE_RUN = {"correctness/mean": 0.8, "correctness/count": 50.0, "correctness/error_count": 0.0}
ALL_ERRORED = {"correctness/count": 0.0, "correctness/error_count": 50.0}


def test_a_judge_failing_on_every_row_fails_the_baseline_gate() -> None:
    passed, reasons = check_gate(ALL_ERRORED, [], BASELINE_RUN, max_drop=0.02)
    assert not passed
    assert reasons == [
        "correctness/mean is missing from the run: no row produced a value (50 of 50 rows "
        "errored); the baseline has 0.8",
        "correctness errored on 50 of 50 rows (100%), baseline 0 of 50 (0%): the error rate rose",
    ]


def test_a_required_metric_whose_rows_all_errored_fails_rather_than_erroring() -> None:
    passed, reasons = check_gate(ALL_ERRORED, ["correctness/mean>=0.5"])
    assert not passed
    assert reasons == [
        "correctness/mean is missing from the run: no row produced a value (50 of 50 rows errored)"
    ]
    passed, reasons = check_gate(ALL_ERRORED, ["correctness>=0.5"], BASELINE_RUN)
    assert not passed and reasons[0].startswith("correctness/mean is missing from the run")


def test_a_rise_in_errors_fails_even_when_the_mean_holds() -> None:
    some_errored = {
        "correctness/mean": 0.8,
        "correctness/count": 40.0,
        "correctness/error_count": 10.0,
    }
    passed, reasons = check_gate(some_errored, ["correctness/mean>=0.5"], BASELINE_RUN)
    assert not passed
    assert reasons == [
        "correctness errored on 10 of 50 rows (20%), baseline 0 of 50 (0%): the error rate rose"
    ]
    assert check_gate(some_errored, [], BASELINE_RUN, max_error_rise=0.2) == (True, [])
    passed, reasons = check_gate(some_errored, [], BASELINE_RUN, max_error_rise=0.1)
    assert reasons[0].endswith("the error rate rose (allowed: 10%)")


def test_fewer_errors_than_the_baseline_pass() -> None:
    baseline = {**BASELINE_RUN, "correctness/count": 45.0, "correctness/error_count": 5.0}
    assert check_gate(BASELINE_RUN, [], baseline) == (True, [])


def test_errors_without_a_baseline_are_noted() -> None:
    metrics = {"correctness/mean": 1.0, "correctness/count": 1.0, "correctness/error_count": 49.0}
    verdict = gate_verdict(metrics, ["correctness/mean>=0.8"])
    assert verdict.passed
    assert verdict.notes == ["correctness/mean covers 1 of 50 rows: 49 errored and are left out"]


def test_an_unknown_metric_is_still_a_usage_error() -> None:
    with pytest.raises(GateError, match="no metric 'nothing/mean'"):
        check_gate(ALL_ERRORED, ["nothing/mean>=0.5"], BASELINE_RUN)


# --significance: a drop fails only when it is larger than max_drop and significant.
def _runs(lost: int, gained: int, n: int = 50) -> tuple[dict[str, float], dict[str, float], dict]:
    from evalkit.stats import paired_difference

    a = [1.0] * 40 + [0.0] * (n - 40)
    b = list(a)
    for i in range(lost):
        b[i] = 0.0
    for i in range(gained):
        b[40 + i] = 1.0
    metrics = {"correctness/mean": sum(b) / n, "correctness/count": n, "correctness/error_count": 0}
    base = {"correctness/mean": sum(a) / n, "correctness/count": n, "correctness/error_count": 0}
    return metrics, base, {"correctness": paired_difference(a, b, alpha=0.05)}


def test_a_drop_within_noise_passes_and_says_so() -> None:
    metrics, base, differences = _runs(lost=3, gained=1)
    kwargs = {"significance": 0.05, "differences": differences}
    verdict = gate_verdict(metrics, [], base, max_drop=0.02, **kwargs)  # type: ignore[arg-type]
    assert verdict.passed and verdict.reasons == []
    mdd = differences["correctness"].minimum_detectable
    assert verdict.notes == [
        "a drop of 0.04 in correctness/mean is within noise, p=0.62; the smallest detectable "
        f"drop at n=50 is {mdd:.2g}"
    ]
    # the point-estimate gate blocks the same change
    assert not check_gate(metrics, [], base, max_drop=0.02)[0]


def test_a_significant_drop_beyond_max_drop_fails() -> None:
    metrics, base, differences = _runs(lost=12, gained=0)
    passed, reasons = check_gate(
        metrics, [], base, max_drop=0.02, significance=0.05, differences=differences
    )
    assert not passed
    assert reasons == [
        "correctness/mean dropped by 0.24 from baseline 0.8 to 0.56, more than the allowed "
        "0.02, and the drop is significant (p=0.00049 < 0.05, mcnemar test on 50 paired rows)"
    ]


def test_a_significant_drop_within_max_drop_passes() -> None:
    metrics, base, differences = _runs(lost=12, gained=0)
    assert check_gate(
        metrics, [], base, max_drop=0.3, significance=0.05, differences=differences
    ) == (True, [])


def test_significance_without_per_row_values_falls_back_to_the_point_estimate() -> None:
    metrics, base, _ = _runs(lost=3, gained=1)
    passed, reasons = check_gate(metrics, [], base, significance=0.05, differences={})
    assert not passed
    assert reasons[0].endswith("(no per-row values of both runs to test: point estimate)")


def test_significance_arguments_are_checked() -> None:
    metrics, base, differences = _runs(lost=1, gained=0)
    with pytest.raises(GateError, match="needs a baseline"):
        check_gate(metrics, ["correctness>=0"], significance=0.05, differences=differences)
    with pytest.raises(GateError, match="between 0 and 1"):
        check_gate(metrics, [], base, significance=5, differences=differences)
    with pytest.raises(GateError, match="paired differences"):
        check_gate(metrics, [], base, significance=0.05)


# The command: `evalkit gate --significance` and `runs compare` on logged runs.
@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    import evalkit

    monkeypatch.setenv("EVALKIT_TRACKING_URI", str(tmp_path / "store"))
    monkeypatch.chdir(tmp_path)
    evalkit.set_tracking_uri(str(tmp_path / "store"))
    yield tmp_path
    evalkit.set_tracking_uri(None)


def _logged_run(correct: list[bool], *, fail: bool = False) -> str:
    import evalkit

    data = [
        {"inputs": {"q": f"question {i}"}, "outputs": "right" if ok else "wrong"}
        for i, ok in enumerate(correct)
    ]

    @evalkit.scorer(name="correct")
    def judge(outputs: str) -> bool:
        if fail:
            raise TimeoutError("the judge did not answer")
        return outputs == "right"

    run_id = evalkit.evaluate(data, scorers=[judge]).run_id
    assert run_id
    return run_id


def test_cli_gate_with_significance_says_within_noise(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from evalkit.cli import main

    base = [True] * 40 + [False] * 10
    noisy = [False, False, False, *base[3:40], True, *base[41:]]  # 3 lost, 1 gained
    a, b = _logged_run(base), _logged_run(noisy)
    argv = ["gate", b, "--baseline", a, "--max-drop", "0.02"]
    assert main(argv) == 1  # the point estimate alone blocks it
    capsys.readouterr()
    assert main([*argv, "--significance", "0.05"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(
        f"NOTE {b}: a drop of 0.04 in correct/mean is within noise, p=0.62; the smallest "
        "detectable drop at n=50 is "
    )
    assert out[1] == f"PASS {b}: no significant drop beyond 0.02 from {a}"

    assert main(["runs", "compare", a, b, "--json"]) == 0
    difference = json.loads(capsys.readouterr().out)["differences"]["correct"]
    assert difference["test"] == "mcnemar" and difference["n"] == 50
    assert difference["p_value"] == pytest.approx(0.625)
    assert main(["runs", "compare", a, b]) == 0
    assert "B − A: -0.04 [" in capsys.readouterr().out


def test_cli_gate_fails_when_the_judge_failed_on_every_row(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from evalkit.cli import main

    a = _logged_run([True] * 8 + [False] * 2)
    b = _logged_run([True] * 10, fail=True)
    assert main(["gate", b, "--baseline", a]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"FAIL {b}: correct/mean is missing from the run: no row produced a value "
        "(10 of 10 rows errored); the baseline has 0.8",
        f"FAIL {b}: correct errored on 10 of 10 rows (100%), baseline 0 of 10 (0%): the "
        "error rate rose",
    ]


def test_cli_significance_needs_shared_rows(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import evalkit
    from evalkit.cli import main

    a = _logged_run([True, False])
    other = [{"inputs": {"q": "elsewhere"}, "outputs": "right"}]
    b = evalkit.evaluate(other, scorers=[evalkit.scorer(name="correct")(lambda outputs: True)])
    argv = ["gate", str(b.run_id), "--baseline", a, "--significance", "0.05"]
    assert main(argv) == 2
    assert "the runs have no rows in common" in capsys.readouterr().err
