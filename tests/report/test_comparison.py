"""compare_runs: metric deltas, rows matched by inputs, better / worse / changed per scorer."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from evalkit.report import compare_runs
from evalkit.stats import UsageError


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


def test_paired_difference_per_scorer_on_shared_rows() -> None:
    # Booleans: McNemar. Row "d" errored in B and row "z" exists only in B: both left out.
    a = _table([("a", True, None), ("b", True, None), ("c", False, None), ("d", True, None)])
    b = _table([("b", False, None), ("a", True, None), ("c", True, None), ("d", None, "Timeout")])
    b = pd.concat([b, _table([("z", True, None)])], ignore_index=True)
    result = compare_runs({}, a, {}, b)
    d = result.differences["m"]
    assert (d.n, d.test, d.discordant) == (3, "mcnemar", (1, 1))
    assert d.difference == 0.0 and d.p_value == 1.0


def test_scores_get_t_test_and_wilcoxon_p_values() -> None:
    rows = [(f"q{i}", 0.5 + 0.01 * i, None) for i in range(12)]
    worse = [(q, v - 0.1, None) for q, v, _ in rows]
    result = compare_runs({}, _table(rows), {}, _table(worse), confidence=0.9)
    d = result.differences["m"]
    assert d.test == "t-test" and d.difference == pytest.approx(-0.1)
    assert d.p_value == 0.0 and d.confidence == 0.9  # every row dropped by exactly 0.1
    assert d.wilcoxon_p_value is not None and d.wilcoxon_p_value < 0.01


def test_labels_give_no_paired_difference() -> None:
    a = _table([("a", "red", None), ("b", "blue", None)])
    b = _table([("a", "blue", None), ("b", "blue", None)])
    assert compare_runs({}, a, {}, b).differences == {}


def test_rows_match_by_digest_also_when_inputs_are_json_text() -> None:
    a = _table([("a", 1, None), ("b", 0, None)])
    b = _table([("b", 1, None), ("a", 1, None)])
    b["inputs"] = pd.Series([json.dumps(i) for i in b["inputs"]], dtype=object)
    result = compare_runs({}, a, {}, b)
    assert result.same_dataset and result.row_pairs == [(1, 0), (0, 1)]


def test_bad_levels_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="confidence must be between 0 and 1"):
        compare_runs({}, None, {}, None, confidence=2.0)
    with pytest.raises(UsageError, match="significance level"):
        compare_runs({}, None, {}, None, alpha=0.0)


def test_the_report_shows_the_paired_difference() -> None:
    from evalkit.report import ReportRun, render_report

    a = _table([(f"q{i}", i % 3 != 0, None) for i in range(30)])
    b = _table([(f"q{i}", i % 5 != 0, None) for i in range(30)])
    html = render_report(
        ReportRun(run_id="b", metrics={}, table=b), ReportRun(run_id="a", metrics={}, table=a)
    )
    described = compare_runs({}, a, {}, b).differences["m"].describe()
    assert f'<p class="paired" data-scorer="m">Paired difference B − A: {described}</p>' in html
