"""Win / tie / loss with an interval, and Bradley-Terry rankings, against known answers."""

from __future__ import annotations

import math

import pytest
from scipy import stats as scipy_stats

from evalkit.stats import UsageError, bradley_terry, preference


def test_preference_counts_and_exact_interval_without_ties() -> None:
    summary = preference(["B"] * 7 + ["A"] * 3 + [None, "error"])
    assert (summary.wins, summary.ties, summary.losses, summary.n) == (7, 0, 3, 10)
    assert summary.win_rate == 0.7
    ci = scipy_stats.binomtest(7, 10).proportion_ci(0.95, method="exact")
    assert (summary.ci_low, summary.ci_high) == pytest.approx((ci.low, ci.high))


def test_preference_with_ties_counts_them_half() -> None:
    summary = preference(["B", "B", "tie", "A"])
    assert summary.win_rate == 0.625 and summary.ties == 1
    assert summary.ci_low <= 0.625 <= summary.ci_high
    assert math.isnan(preference([]).win_rate)


def test_bradley_terry_two_systems_is_the_log_odds() -> None:
    comparisons = [("x", "y", "A")] * 30 + [("x", "y", "B")] * 10
    ranking = bradley_terry(comparisons, n_resamples=200)
    assert ranking.names == ("x", "y")
    difference = ranking.scores[0] - ranking.scores[1]
    assert difference == pytest.approx(math.log(30 / 10), abs=0.01)  # the MLE
    assert ranking.probability("x", "y") == pytest.approx(0.75, abs=0.005)
    assert ranking.ci_low[0] < ranking.scores[0] < ranking.ci_high[0]
    assert sum(ranking.scores) == pytest.approx(0.0, abs=1e-9)


def test_bradley_terry_three_systems_order_and_ties() -> None:
    comparisons = (
        [("good", "ok", "A")] * 8
        + [("good", "ok", "tie")] * 4
        + [("ok", "bad", "A")] * 9
        + [("good", "bad", 1.0)] * 10
        + [("bad", "good", "tie")] * 1
    )
    ranking = bradley_terry(comparisons, n_resamples=200)
    assert ranking.names == ("good", "ok", "bad")
    assert ranking.comparisons == 32
    assert all(
        lo <= s <= hi
        for s, lo, hi in zip(ranking.scores, ranking.ci_low, ranking.ci_high, strict=True)
    )


def test_bradley_terry_bad_input() -> None:
    with pytest.raises(UsageError, match="at least two systems"):
        bradley_terry([])
    with pytest.raises(UsageError, match=r"comparisons\[0\]: outcome 'C'"):
        bradley_terry([("a", "b", "C")])
