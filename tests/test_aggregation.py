"""Aggregation: named aggregations match numpy; bool, yes/no and labels are handled."""

from __future__ import annotations

import math

import numpy as np
import pytest

from evalkit.stats import aggregate, to_number

VALUES = [0.1, 0.5, 0.5, 0.9, 1.0, 3.0, 7.5]


@pytest.mark.parametrize(
    ("name", "reference"),
    [
        ("min", np.min),
        ("max", np.max),
        ("mean", np.mean),
        ("median", np.median),
        ("variance", np.var),
        ("p90", lambda v: np.percentile(v, 90)),
    ],
)
def test_named_aggregations_match_numpy(name: str, reference: object) -> None:
    out = aggregate("m", VALUES, 0, [name])  # type: ignore[list-item]
    assert out[f"m/{name}"] == pytest.approx(float(reference(VALUES)), abs=1e-12)  # type: ignore[operator]


def test_counts_are_reported() -> None:
    out = aggregate("m", [1, 2, None], 4, ["mean"])
    assert out == {"m/mean": 1.5, "m/count": 2.0, "m/error_count": 4.0}


def test_no_values_gives_counts_only() -> None:
    assert aggregate("m", [], 3, ["mean"]) == {"m/count": 0.0, "m/error_count": 3.0}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, 1.0),
        (False, 0.0),
        ("yes", 1.0),
        ("No", 0.0),
        (" YES ", 1.0),
        ("4", 4.0),
        ("2.5", 2.5),
        (3, 3.0),
        (None, None),
        (float("nan"), None),
        ("good", "good"),
        ("nan", "nan"),
        ({"a": 1}, None),
    ],
)
def test_to_number(value: object, expected: object) -> None:
    assert to_number(value) == expected


def test_mixed_numbers_and_labels() -> None:
    out = aggregate("tone", ["yes", "no", "yes", "unsure", "unsure", "angry"], 0, ["mean"])
    assert out["tone/mean"] == pytest.approx(2 / 3)
    assert out["tone/count/unsure"] == 2.0
    assert out["tone/count/angry"] == 1.0
    assert out["tone/count"] == 6.0


def test_failing_custom_aggregation_warns_and_keeps_the_rest() -> None:
    def broken(values: list[float]) -> float:
        raise RuntimeError("nope")

    with pytest.warns(UserWarning, match="aggregation 'm/broken' failed"):
        out = aggregate("m", [1.0, 2.0], 0, [broken, "max"])
    assert out["m/max"] == 2.0
    assert "m/broken" not in out


def test_lambda_aggregation_gets_a_stable_name() -> None:
    out = aggregate("m", [1.0, 3.0], 0, [lambda v: math.fsum(v)])
    assert out["m/aggregation_0"] == 4.0
