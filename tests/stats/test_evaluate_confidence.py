"""``evaluate(..., confidence=0.95)``: an interval on every mean, clustered by conversation."""

from __future__ import annotations

import pytest
from scipy import stats as scipy_stats

import evalkit
from evalkit import scorer
from evalkit.errors import UsageError
from evalkit.stats import mean_interval


@scorer
def correct(outputs: str, expectations: dict) -> bool:
    return outputs == expectations["expected_response"]


@scorer
def length(outputs: str) -> int:
    return len(outputs)


def _rows(n_right: int, n: int) -> list[dict]:
    return [
        {
            "inputs": {"q": i},
            "outputs": "yes" if i < n_right else "no" * (1 + i % 3),
            "expectations": {"expected_response": "yes"},
        }
        for i in range(n)
    ]


def test_booleans_get_scipys_exact_binomial_interval() -> None:
    result = evalkit.evaluate(_rows(13, 20), scorers=[correct], confidence=0.95, log=False)
    exact = scipy_stats.binomtest(13, 20).proportion_ci(0.95, method="exact")
    assert result.metrics["correct/mean"] == pytest.approx(0.65)
    assert result.metrics["correct/mean/ci_low"] == pytest.approx(exact.low)
    assert result.metrics["correct/mean/ci_high"] == pytest.approx(exact.high)


def test_scores_get_a_seeded_bootstrap_interval_around_the_mean() -> None:
    rows = _rows(5, 30)
    first = evalkit.evaluate(rows, scorers=[length], confidence=0.9, log=False).metrics
    again = evalkit.evaluate(rows, scorers=[length], confidence=0.9, log=False).metrics
    assert first == again  # the same numbers on every run
    assert first["length/mean/ci_low"] < first["length/mean"] < first["length/mean/ci_high"]
    lengths = [len(r["outputs"]) for r in rows]
    expected = mean_interval([float(x) for x in lengths], 0.9)
    assert (first["length/mean/ci_low"], first["length/mean/ci_high"]) == pytest.approx(
        (expected.low, expected.high)
    )


def test_rows_of_one_conversation_are_resampled_together() -> None:
    rows = _rows(5, 30)
    for i, r in enumerate(rows):
        r["session_id"] = f"s{i // 5}"  # 6 conversations of 5 turns
    sessions = [r["session_id"] for r in rows]
    metrics = evalkit.evaluate(rows, scorers=[length], confidence=0.95, log=False).metrics
    lengths = [float(len(r["outputs"])) for r in rows]
    clustered = mean_interval(lengths, 0.95, groups=sessions)
    plain = mean_interval(lengths, 0.95)
    got = (metrics["length/mean/ci_low"], metrics["length/mean/ci_high"])
    assert got == pytest.approx((clustered.low, clustered.high))
    assert got != pytest.approx((plain.low, plain.high))


@pytest.mark.parametrize("bad", [0, 1, 1.5, -0.1, True, "0.95"])
def test_a_confidence_outside_zero_one_is_refused_before_any_work(bad: object) -> None:
    called = []

    @scorer
    def spy(outputs: str) -> bool:
        called.append(outputs)
        return True

    with pytest.raises(UsageError, match="confidence must be between 0 and 1"):
        evalkit.evaluate(_rows(1, 3), scorers=[spy], confidence=bad, log=False)  # type: ignore[arg-type]
    assert called == []
