"""Intervals on the mean: known answers, coverage at the nominal rate, determinism, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from evalkit.errors import EvalkitError
from evalkit.stats import UsageError, aggregate, mean_interval, validate_aggregations


def test_booleans_get_the_exact_binomial_interval() -> None:
    # Clopper-Pearson for 7 of 10: the textbook (0.3475, 0.9333).
    ci = mean_interval([True] * 7 + [False] * 3, 0.95)
    assert ci.method == "clopper-pearson"
    assert (round(ci.low, 4), round(ci.high, 4)) == (0.3475, 0.9333)
    reference = scipy_stats.binomtest(7, 10).proportion_ci(0.95, method="exact")
    assert (ci.low, ci.high) == (reference.low, reference.high)


def test_yes_no_values_are_booleans_in_aggregate() -> None:
    out = aggregate("judge", ["yes", "no", "yes", "yes"], 1, ["mean", "ci95"])
    reference = scipy_stats.binomtest(3, 4).proportion_ci(0.95, method="exact")
    assert out == {
        "judge/mean": 0.75,
        "judge/mean/ci_low": reference.low,
        "judge/mean/ci_high": reference.high,
        "judge/count": 4.0,
        "judge/error_count": 1.0,
    }


def test_scores_get_a_bootstrap_interval_matching_scipy() -> None:
    values = [0.1, 0.4, 0.35, 0.8, 0.55, 0.9, 0.2, 0.65]
    ci = mean_interval(values, 0.9, seed=3)
    reference = scipy_stats.bootstrap(
        (np.array(values),), np.mean, confidence_level=0.9, rng=np.random.default_rng(3)
    ).confidence_interval
    assert ci.method == "bootstrap"
    assert ci.low == pytest.approx(reference.low) and ci.high == pytest.approx(reference.high)
    assert ci.low < float(np.mean(values)) < ci.high


def test_intervals_are_deterministic() -> None:
    values = list(np.random.default_rng(0).normal(size=40))
    first = aggregate("m", values, 0, ["mean", "ci95"])
    assert aggregate("m", values, 0, ["mean", "ci95"]) == first
    assert aggregate("m", values, 0, ["mean"], confidence=0.95) == first


def test_confidence_knob_and_ci_level() -> None:
    values = [1.0, 2.0, 4.0, 8.0, 3.0, 5.0]
    narrow = aggregate("m", values, 0, ["mean"], confidence=0.5)
    wide = aggregate("m", values, 0, ["mean", "ci99"])
    assert wide["m/mean/ci_low"] < narrow["m/mean/ci_low"] < narrow["m/mean/ci_high"]
    assert narrow["m/mean/ci_high"] < wide["m/mean/ci_high"]
    # the scorer's own ciNN wins over the evaluation-wide level
    assert aggregate("m", values, 0, ["mean", "ci99"], confidence=0.5) == wide
    assert "m/mean/ci_low" not in aggregate("m", values, 0, ["mean"])


def test_degenerate_inputs() -> None:
    same = mean_interval([0.5, 0.5, 0.5], 0.95)
    assert (same.low, same.high) == (0.5, 0.5)
    one = mean_interval([0.5], 0.95)
    assert math.isnan(one.low) and one.method == "none"
    labels_only = aggregate("m", ["red", "blue"], 0, ["mean", "ci95"])
    assert "m/mean/ci_low" not in labels_only


def test_groups_resample_whole_conversations() -> None:
    # Two turns per conversation that agree: the rows are not independent, and the cluster
    # interval is wider than the one that treats 2n rows as n independent ones would be.
    rng = np.random.default_rng(1)
    per_conversation = rng.normal(size=30)
    values = np.repeat(per_conversation, 2) + rng.normal(scale=0.05, size=60)
    groups = np.repeat(np.arange(30), 2).tolist()
    clustered = mean_interval(values, 0.95, groups=groups)
    naive = mean_interval(values, 0.95)
    assert clustered.method == "cluster-bootstrap"
    assert clustered.high - clustered.low > 1.2 * (naive.high - naive.low)
    out = aggregate("m", list(values), 0, ["mean", "ci95"], groups=groups)
    assert (out["m/mean/ci_low"], out["m/mean/ci_high"]) == (clustered.low, clustered.high)


def test_groups_skip_label_rows_in_step() -> None:
    out = aggregate("m", [1.0, "n/a", 2.0, 3.0, 5.0], 0, ["ci95"], groups=["a", "a", "b", "c", "c"])
    assert set(out) == {
        "m/mean/ci_low",
        "m/mean/ci_high",
        "m/count/n/a",
        "m/count",
        "m/error_count",
    }


@pytest.mark.parametrize("confidence", [0.0, 1.0, 1.5, -0.1, math.nan, True])
def test_confidence_outside_zero_one_is_a_usage_error(confidence: float) -> None:
    with pytest.raises(UsageError, match="confidence must be between 0 and 1"):
        aggregate("m", [1.0, 2.0], 0, ["mean"], confidence=confidence)
    with pytest.raises(UsageError):
        mean_interval([1.0, 2.0], confidence)
    assert issubclass(UsageError, EvalkitError) and issubclass(UsageError, ValueError)


def test_groups_of_the_wrong_length_are_a_usage_error() -> None:
    with pytest.raises(UsageError, match="one per value"):
        aggregate("m", [1.0, 2.0], 0, ["ci95"], groups=["a"])


def test_interval_aggregations_are_validated() -> None:
    assert validate_aggregations(["mean", "ci95", "ci99.9"], "s") == ["mean", "ci95", "ci99.9"]
    with pytest.raises(EvalkitError, match="level must be between 0 and 100"):
        validate_aggregations(["ci100"], "s")
    with pytest.raises(EvalkitError, match="'ci95' \\(a 95% interval on the mean\\)"):
        validate_aggregations(["ci_95"], "s")


# --- coverage: 1,000 synthetic datasets each, the true mean inside ~95% of the intervals ---

DATASETS = 1000


@pytest.mark.slow
def test_bootstrap_interval_covers_at_the_nominal_rate() -> None:
    rng = np.random.default_rng(2026)
    true_mean = 1.0  # a skewed score distribution: exponential with mean 1
    hits = 0
    for i in range(DATASETS):
        ci = mean_interval(rng.exponential(true_mean, size=80), 0.95, n_resamples=2000, seed=i)
        hits += ci.low <= true_mean <= ci.high
    assert abs(hits / DATASETS - 0.95) <= 0.02, hits / DATASETS


@pytest.mark.slow
def test_binomial_interval_covers_at_the_nominal_rate() -> None:
    rng = np.random.default_rng(2027)
    p = 0.35
    hits = 0
    for _ in range(DATASETS):
        ci = mean_interval(rng.random(250) < p, 0.95)
        hits += ci.low <= p <= ci.high
    # Clopper-Pearson is exact, hence conservative: at or above 95%, and within 2 points.
    assert 0.95 <= hits / DATASETS <= 0.97, hits / DATASETS


@pytest.mark.slow
def test_cluster_bootstrap_covers_at_the_nominal_rate() -> None:
    rng = np.random.default_rng(2028)
    hits = 0
    for i in range(DATASETS):
        conversation = rng.normal(size=60)
        turns = rng.integers(1, 5, size=60)
        values = np.repeat(conversation, turns) + rng.normal(scale=0.5, size=int(turns.sum()))
        groups = np.repeat(np.arange(60), turns).tolist()
        ci = mean_interval(values, 0.95, groups=groups, n_resamples=2000, seed=i)
        hits += ci.low <= 0.0 <= ci.high
    assert abs(hits / DATASETS - 0.95) <= 0.02, hits / DATASETS


@pytest.mark.parametrize(("n", "p"), [(30, 0.5), (100, 0.1), (250, 0.35)])
def test_binomial_interval_exact_coverage(n: int, p: float) -> None:
    # The coverage itself, summed over every possible count: no simulation noise.
    coverage = 0.0
    for k in range(n + 1):
        ci = mean_interval([1.0] * k + [0.0] * (n - k), 0.95)
        if ci.low <= p <= ci.high:
            coverage += float(scipy_stats.binom.pmf(k, n, p))
    assert 0.95 <= coverage <= 0.97, coverage
