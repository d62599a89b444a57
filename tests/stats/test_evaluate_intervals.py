"""A scorer's "ci95" aggregation reaches result.metrics and the command's summary table."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from scipy import stats as scipy_stats

import evalkit
from evalkit.cli.output import print_summary


def test_ci95_on_a_scorer_gives_the_interval_keys() -> None:
    @evalkit.scorer(aggregations=["mean", "ci95"])
    def correct(outputs: str) -> bool:
        return outputs == "right"

    data = [{"inputs": {"q": i}, "outputs": "right" if i % 4 else "wrong"} for i in range(40)]
    result = evalkit.evaluate(data, scorers=[correct])
    reference = scipy_stats.binomtest(30, 40).proportion_ci(0.95, method="exact")
    assert result.metrics["correct/mean"] == 0.75
    assert result.metrics["correct/mean/ci_low"] == pytest.approx(reference.low)
    assert result.metrics["correct/mean/ci_high"] == pytest.approx(reference.high)

    out = Console(file=io.StringIO(), width=120, no_color=True)
    print_summary(out, result.metrics, "summary")
    text = out.file.getvalue()  # type: ignore[attr-defined]
    assert f"0.75 [{reference.low:.4g}, {reference.high:.4g}]" in text
    assert "ci_low" not in text
