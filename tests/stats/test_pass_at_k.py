"""pass@k (Chen et al. 2021's unbiased estimator) and pass^k on fixed data."""

from __future__ import annotations

import numpy as np
import pytest

from evalkit.stats import UsageError, mean_pass_at_k, pass_at_k, pass_hat_k


def _chen_reference(n: int, c: int, k: int) -> float:
    """The numerically stable estimator as published with HumanEval (Chen et al. 2021)."""
    if n - c < k:
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


@pytest.mark.parametrize(
    ("n", "c", "k"),
    [(10, 3, 1), (10, 3, 5), (10, 0, 3), (10, 10, 10), (200, 13, 10), (200, 13, 100), (5, 4, 2)],
)
def test_pass_at_k_equals_the_published_estimator(n: int, c: int, k: int) -> None:
    assert pass_at_k(n, c, k) == pytest.approx(_chen_reference(n, c, k), abs=1e-12)


def test_pass_at_k_known_values() -> None:
    assert pass_at_k(10, 3, 1) == 0.3  # pass@1 is the fraction passed
    assert pass_at_k(10, 3, 5) == pytest.approx(1 - 21 / 252)
    assert pass_at_k(10, 8, 3) == 1.0  # fewer than 3 failures: any 3 trials include a pass


def test_pass_hat_k_known_values() -> None:
    assert pass_hat_k(10, 7, 3) == pytest.approx(35 / 120)
    assert pass_hat_k(10, 3, 1) == pytest.approx(0.3)
    assert pass_hat_k(10, 2, 3) == 0.0
    assert pass_hat_k(4, 4, 4) == 1.0


def test_mean_over_rows() -> None:
    trials = [[True, False, False, True], ["yes", "no", "no", "no"], [0, 0, 0, 0]]
    expected = (pass_at_k(4, 2, 2) + pass_at_k(4, 1, 2) + 0.0) / 3
    assert mean_pass_at_k(trials, 2) == pytest.approx(expected)
    assert mean_pass_at_k(trials, 2, all_pass=True) == pytest.approx(pass_hat_k(4, 2, 2) / 3)


def test_bad_k_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="k must be 1 or more, got 0"):
        pass_at_k(10, 3, 0)
    with pytest.raises(UsageError, match="at least k trials"):
        pass_hat_k(3, 1, 5)
    with pytest.raises(UsageError, match="between 0 and 10"):
        pass_at_k(10, 11, 1)
    with pytest.raises(UsageError, match="at least one row"):
        mean_pass_at_k([], 1)
