"""Distribution charts: bars per value or histogram bins, an error bar, escaped labels."""

from __future__ import annotations

import re

from evalkit.report.charts import ERROR, bins_for, distribution_svg


def _counts(svg: str) -> list[tuple[str, int]]:
    return [
        (label, int(n)) for label, n in re.findall(r'data-label="([^"]*)" data-count="(\d+)"', svg)
    ]


def test_few_distinct_values_get_one_bar_each_in_numeric_order() -> None:
    svg = distribution_svg("exact_match", [True, False, True, True, ERROR, None])
    assert _counts(svg) == [("False", 1), ("True", 3), ("error", 1)]
    assert 'data-metric="exact_match"' in svg and 'data-rows="5"' in svg
    assert 'class="bar error series-a"' in svg


def test_yes_no_and_scores_sort_numerically() -> None:
    assert [b.label for b in bins_for([["yes", "no", "yes"]])] == ["no", "yes"]
    assert [b.label for b in bins_for([[5, 1, 3, 10]])] == ["1", "3", "5", "10"]


def test_many_values_make_a_ten_bin_histogram() -> None:
    values = [i / 100 for i in range(101)]
    counts = _counts(distribution_svg("rougeL", values))
    assert [label for label, _ in counts] == [f"{i / 10:g}–{(i + 1) / 10:g}" for i in range(10)]
    assert [n for _, n in counts] == [10] * 9 + [11]  # [0, 0.1), ..., [0.9, 1]
    assert ">0.3</text>" in distribution_svg("rougeL", values)  # ticks show the lower edges


def test_histogram_edges_are_round_numbers() -> None:
    bins = bins_for([[0.0645, 0.5, 0.97, 0.33, 0.2, *(0.11 + i / 100 for i in range(8))]])
    assert (bins[0].low, bins[-1].high, len(bins)) == (0.0, 1.0, 10)
    bins = bins_for([[float(v) for v in range(3, 250, 7)]])
    assert (bins[0].low, bins[1].low, bins[-1].high) == (0.0, 25.0, 250.0)


def test_labels_are_counted_and_escaped() -> None:
    svg = distribution_svg("tone", ["<b>rude</b>", "polite", "polite"])
    assert _counts(svg) == [("polite", 2), ("&lt;b&gt;rude&lt;/b&gt;", 1)]
    assert "<b>" not in svg


def test_comparison_draws_both_runs_in_shared_bins() -> None:
    svg = distribution_svg("m", [0, 0, 1], [1, 1, 1])
    assert re.findall(r'class="bar series-(\w)"[^>]*data-label="(\w+)" data-count="(\d)"', svg) == [
        ("a", "0", "2"),
        ("b", "0", "0"),
        ("a", "1", "1"),
        ("b", "1", "3"),
    ]


def test_no_values_says_so() -> None:
    assert "no values" in distribution_svg("m", [None, None])
