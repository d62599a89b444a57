"""compare_runs: metric deltas, rows matched by inputs, better / worse / changed per scorer."""

from __future__ import annotations

import pandas as pd

from evalkit.report import compare_runs


def _table(rows: list[tuple[str, object, str | None]], metric: str = "m") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "inputs": pd.Series([{"question": q} for q, _, _ in rows], dtype=object),
            "outputs": pd.Series([f"answer to {q}" for q, _, _ in rows], dtype=object),
            f"{metric}/value": pd.Series([v for _, v, _ in rows], dtype=object),
            f"{metric}/error_code": pd.Series([e for _, _, e in rows], dtype=object),
        }
    )


def test_metric_deltas_cover_both_runs() -> None:
    result = compare_runs({"m/mean": 0.5, "old/mean": 1.0}, None, {"m/mean": 0.75}, None)
    deltas = {m.key: (m.a, m.b, m.delta) for m in result.metrics}
    assert deltas == {"m/mean": (0.5, 0.75, 0.25), "old/mean": (1.0, None, None)}
    assert result.matched_rows == 0 and not result.same_dataset and result.changes == {}


def test_rows_that_got_better_worse_or_changed() -> None:
    a = _table(
        [
            ("a", "yes", None),
            ("b", "no", None),
            ("c", 0.5, None),
            ("d", None, "Timeout"),
            ("e", True, None),
            ("f", "red", None),
        ]
    )
    b = _table(
        [
            ("a", "no", None),
            ("b", "yes", None),
            ("c", 0.5, None),
            ("d", 1.0, None),
            ("e", None, "RateLimit"),
            ("f", "blue", None),
        ]
    )
    result = compare_runs({}, a, {}, b)
    assert result.same_dataset and result.matched_rows == 6
    changes = [(c.row_b, c.before, c.after, c.direction) for c in result.changes["m"]]
    assert changes == [
        (0, "yes", "no", "worse"),
        (1, "no", "yes", "better"),
        (3, "error: Timeout", 1.0, "better"),
        (4, True, "error: RateLimit", "worse"),
        (5, "red", "blue", "changed"),
    ]
    assert result.counts("m") == {"better": 2, "worse": 2, "changed": 1}


def test_rows_are_matched_by_inputs_not_position() -> None:
    a = _table([("a", 1, None), ("b", 0, None), ("b", 1, None)])
    b = _table([("b", 0, None), ("a", 1, None), ("b", 0, None)])
    result = compare_runs({}, a, {}, b)
    assert result.same_dataset and result.row_pairs == [(1, 0), (0, 1), (2, 2)]
    assert [(c.row_a, c.row_b, c.direction) for c in result.changes["m"]] == [(2, 2, "worse")]
    assert result.changes["m"][0].inputs == {"question": "b"}


def test_different_datasets_compare_only_shared_rows() -> None:
    a = _table([("a", 1, None), ("b", 1, None)])
    b = _table([("a", 0, None), ("z", 1, None)])
    result = compare_runs({}, a, {}, b)
    assert not result.same_dataset and result.matched_rows == 1
    assert [c.row_b for c in result.changes["m"]] == [0]


def test_scorers_only_in_one_run_are_not_compared() -> None:
    a = _table([("a", 1, None)], metric="m")
    b = _table([("a", 0, None)], metric="other")
    assert compare_runs({}, a, {}, b).changes == {}
