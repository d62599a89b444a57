"""Paired differences between two runs: p-values equal scipy's on fixed data; detectable sizes."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from evalkit.stats import (
    UsageError,
    mcnemar_p_value,
    minimum_detectable_difference,
    paired_difference,
)

# Darwin's maize data as scipy's wilcoxon documentation uses it (differences in height).
DARWIN = [6, 8, 14, 16, 23, 24, 28, 29, 41, -48, 49, 56, 60, -67, 75]


def test_wilcoxon_p_value_equals_scipy() -> None:
    a = [100.0] * len(DARWIN)
    b = [100.0 + d for d in DARWIN]
    result = paired_difference(a, b)
    assert result.test == "t-test"
    assert result.wilcoxon_p_value == pytest.approx(0.041259765625, abs=1e-12)
    assert result.wilcoxon_p_value == scipy_stats.wilcoxon(DARWIN).pvalue
    assert result.difference == pytest.approx(float(np.mean(DARWIN)))


def test_t_test_p_value_equals_scipy() -> None:
    a = [0.2, 0.5, 0.35, 0.8, 0.6, 0.4, 0.9, 0.1]
    b = [0.3, 0.55, 0.3, 0.95, 0.7, 0.45, 0.92, 0.2]
    result = paired_difference(a, b)
    assert result.test == "t-test"
    assert result.p_value == pytest.approx(scipy_stats.ttest_rel(b, a).pvalue, abs=1e-15)
    assert result.wilcoxon_p_value == scipy_stats.wilcoxon(np.subtract(b, a)).pvalue


def test_a_constant_change_is_certain() -> None:
    result = paired_difference([0.1, 0.2, 0.3], [0.2, 0.3, 0.4])
    assert result.p_value == 0.0 and result.difference == pytest.approx(0.1)


def test_mcnemar_p_value_equals_the_exact_binomial_test() -> None:
    # 1 row lost, 6 gained: two-sided exact p = 2 * (1 + 7) / 2**7 = 0.125.
    a = [1] * 1 + [0] * 6 + [1] * 10 + [0] * 3
    b = [0] * 1 + [1] * 6 + [1] * 10 + [0] * 3
    assert mcnemar_p_value(a, b) == pytest.approx(0.125)
    result = paired_difference(a, b)
    assert result.test == "mcnemar" and result.wilcoxon_p_value is None
    assert result.discordant == (1, 6)
    assert result.p_value == pytest.approx(0.125)


def test_mcnemar_on_agrestis_table_equals_scipy() -> None:
    # Agresti's presidential approval table: 794 / 150 / 86 / 570.
    a = [1] * 794 + [1] * 150 + [0] * 86 + [0] * 570
    b = [1] * 794 + [0] * 150 + [1] * 86 + [0] * 570
    result = paired_difference(a, b)
    assert result.discordant == (150, 86)
    assert result.p_value == scipy_stats.binomtest(86, 236, 0.5).pvalue
    # the chi-square form of the same test (statistic 17.36) gives nearly the same p
    assert result.p_value == pytest.approx(scipy_stats.chi2.sf(17.356, 1), rel=0.3)
    assert result.difference == pytest.approx((86 - 150) / 1600)
    assert result.ci_low < result.difference < result.ci_high < 0


def test_no_change_is_not_significant() -> None:
    result = paired_difference([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    assert result.p_value == 1.0 and result.difference == 0.0
    assert (result.ci_low, result.ci_high) == (0.0, 0.0)
    assert result.minimum_detectable > 0  # from the runs' spread, not zero


def test_paired_difference_is_deterministic_and_describes_itself() -> None:
    rng = np.random.default_rng(5)
    a = rng.random(40)
    b = a - 0.05 + rng.normal(scale=0.1, size=40)
    first, second = paired_difference(a, b), paired_difference(a, b)
    assert first == second
    assert first.describe().startswith(f"{first.difference:+.3g} [")
    assert "(95% CI), p=" in first.describe()


def test_minimum_detectable_difference_known_answer() -> None:
    # A two-sided paired t-test on 50 rows detects d = 0.404 standard deviations with power
    # 0.8 at alpha 0.05 (G*Power / statsmodels TTestPower: 0.4042).
    assert minimum_detectable_difference(50, 1.0) == pytest.approx(0.4042, abs=5e-4)
    assert minimum_detectable_difference(50, 0.3) == pytest.approx(0.3 * 0.4042, abs=5e-4)
    # it shrinks like 1/sqrt(n)
    ratio = minimum_detectable_difference(400, 1.0) / minimum_detectable_difference(100, 1.0)
    assert ratio == pytest.approx(0.5, abs=0.01)


@pytest.mark.slow
def test_minimum_detectable_difference_has_the_promised_power() -> None:
    rng = np.random.default_rng(7)
    n, sd = 30, 0.2
    mdd = minimum_detectable_difference(n, sd)
    samples = rng.normal(mdd, sd, size=(4000, n))
    rejected = scipy_stats.ttest_1samp(samples, 0.0, axis=1).pvalue < 0.05
    assert float(rejected.mean()) == pytest.approx(0.8, abs=0.02)


def test_bad_input_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="no rows in common"):
        paired_difference([], [])
    with pytest.raises(UsageError, match="one value per row"):
        paired_difference([1.0], [1.0, 2.0])
    with pytest.raises(UsageError, match="confidence must be between 0 and 1"):
        paired_difference([1.0, 2.0], [1.0, 3.0], confidence=95)
    with pytest.raises(UsageError, match="at least 2 rows"):
        minimum_detectable_difference(1, 1.0)
    with pytest.raises(UsageError, match="power must be between 0 and 1"):
        minimum_detectable_difference(10, 1.0, power=80)
    with pytest.raises(UsageError, match="0/1 values"):
        mcnemar_p_value([0.5], [1.0])


def test_one_row_has_no_detectable_size() -> None:
    result = paired_difference([0.0], [1.0])
    assert math.isinf(result.minimum_detectable)
