"""A gate that knows noise from a regression: the paired test behind ``--significance``.

A point-estimate gate compares two means: any drop beyond ``--max-drop`` fails, even one a
different random sample of rows would not show. This example evaluates a baseline and two
candidates of a (synthetic) QA app on the same 200 questions, offline, with a code scorer:

* a prompt tweak that loses 9 answers and gains 4 (a drop of 0.025): the point-estimate gate
  with ``max_drop=0.02`` blocks it, but McNemar's test on the rows says it is within noise;
* a real regression that loses 30 answers and gains 5 (a drop of 0.125): both gates block it,
  and the significance gate says how sure it is.

The same from the command line, after logging the runs::

    evalkit runs compare BASELINE CANDIDATE
    evalkit gate CANDIDATE --baseline BASELINE --max-drop 0.02 --significance 0.05

Run: .venv/bin/python examples/gate_significance.py
"""

from __future__ import annotations

import random
import sys

import evalkit
from evalkit.gate import check_gate, gate_verdict
from evalkit.report import compare_runs

ROWS = 200
MAX_DROP = 0.02
SIGNIFICANCE = 0.05


@evalkit.scorer
def correct(outputs: str, expectations: dict[str, str]) -> bool:
    """Whether the answer is the expected one."""
    return outputs == expectations["expected_response"]


def _answers(right: list[bool]) -> list[dict[str, object]]:
    return [
        {
            "inputs": {"question": f"What is {i} + {i}?"},
            "outputs": str(2 * i) if ok else "I am not sure.",
            "expectations": {"expected_response": str(2 * i)},
        }
        for i, ok in enumerate(right)
    ]


def _change(baseline: list[bool], lose: int, gain: int, seed: int) -> list[bool]:
    """The baseline with ``lose`` right answers turned wrong and ``gain`` wrong ones right."""
    rng = random.Random(seed)
    right = [i for i, ok in enumerate(baseline) if ok]
    wrong = [i for i, ok in enumerate(baseline) if not ok]
    changed = list(baseline)
    for i in rng.sample(right, lose):
        changed[i] = False
    for i in rng.sample(wrong, gain):
        changed[i] = True
    return changed


def _gate(name: str, baseline: evalkit.EvaluationResult, candidate: list[bool]) -> bool:
    """Print both gates' verdicts; return whether the significance gate passed."""
    result = evalkit.evaluate(_answers(candidate), scorers=[correct])
    base_table = baseline.tables["eval_results_table"]
    table = result.tables["eval_results_table"]
    comparison = compare_runs(baseline.metrics, base_table, result.metrics, table)
    point_passed, _ = check_gate(result.metrics, [], baseline.metrics, max_drop=MAX_DROP)
    verdict = gate_verdict(
        result.metrics,
        [],
        baseline.metrics,
        max_drop=MAX_DROP,
        significance=SIGNIFICANCE,
        differences=comparison.differences,
    )
    mean, base = result.metrics["correct/mean"], baseline.metrics["correct/mean"]
    print(f"\n{name}: correct/mean {base:.3f} -> {mean:.3f}")
    print(f"  paired difference: {comparison.differences['correct'].describe()}")
    print(f"  point-estimate gate (max drop {MAX_DROP}): {'PASS' if point_passed else 'FAIL'}")
    print(f"  significance gate (p < {SIGNIFICANCE}): {'PASS' if verdict.passed else 'FAIL'}")
    for line in verdict.reasons + verdict.notes:
        print(f"    {line}")
    return verdict.passed


def main() -> int:
    evalkit.set_experiment("gate-significance")
    rng = random.Random(2026)
    baseline_right = [rng.random() < 0.8 for _ in range(ROWS)]
    baseline = evalkit.evaluate(_answers(baseline_right), scorers=[correct])
    print(f"Baseline: {ROWS} questions, correct/mean {baseline.metrics['correct/mean']:.3f}")

    tweak_passed = _gate("A prompt tweak", baseline, _change(baseline_right, 9, 4, seed=1))
    regression_passed = _gate("A regression", baseline, _change(baseline_right, 30, 5, seed=2))
    as_expected = tweak_passed and not regression_passed
    print(
        "\nThe significance gate let the noise through and caught the regression."
        if as_expected
        else "\nUnexpected: the gates did not behave as this example describes."
    )
    return 0 if as_expected else 1


if __name__ == "__main__":
    sys.exit(main())
