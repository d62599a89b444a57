"""Custom scorers: every shape a scorer can take, on the Acme Cache QA set, offline.

Shows a bare ``@scorer``, a configured ``Scorer`` subclass, a ``BatchScorer`` that sees a
whole column, a scorer returning several metrics at once, a label scorer, and how a scorer
that fails on some rows leaves the other rows' results intact.

Run: .venv/bin/python examples/custom_scorers.py
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import evalkit
from evalkit import BatchScorer, Feedback, Scorer, scorer

DATA = Path(__file__).resolve().parents[1] / "datasets" / "acme_qa.jsonl"


@scorer
def mentions_expected_numbers(outputs: str, expectations: dict[str, Any]) -> bool:
    """Every number in the expected response also appears in the answer."""
    expected = set(re.findall(r"\d+", expectations["expected_response"]))
    return expected <= set(re.findall(r"\d+", outputs))


class FactCoverage(Scorer):
    """Share of expected facts whose key words the answer mentions."""

    min_word_length: int = 4

    def __call__(self, *, outputs: str, expectations: dict[str, Any]) -> Feedback:
        facts = expectations.get("expected_facts") or []
        answer = outputs.lower()
        covered = []
        for fact in facts:
            words = [
                w for w in re.findall(r"[\w`-]+", fact.lower()) if len(w) >= self.min_word_length
            ]
            if words and sum(w in answer for w in words) / len(words) >= 0.5:
                covered.append(fact)
        share = len(covered) / len(facts) if facts else 1.0
        return Feedback(value=share, rationale=f"{len(covered)}/{len(facts)} facts covered")


class RelativeLength(BatchScorer):
    """Answer length relative to the dataset's median answer length, computed in one pass."""

    def score_batch(self, *, outputs: Sequence[str]) -> list[float]:
        lengths = sorted(len(o.split()) for o in outputs)
        median = lengths[len(lengths) // 2] or 1
        return [len(o.split()) / median for o in outputs]


@scorer(aggregations=["mean", "max"])
def style(outputs: str) -> list[Feedback]:
    """Two metrics from one pass over the answer."""
    return [
        Feedback(name="uses_code", value="`" in outputs),
        Feedback(name="sentences", value=max(1, len(re.findall(r"[.!?](\s|$)", outputs)))),
    ]


@scorer
def answer_kind(outputs: str) -> str:
    """A label: how the answer is phrased."""
    if outputs.lower().startswith(("yes", "no")):
        return "yes-no"
    return "command" if "`" in outputs else "prose"


@scorer
def strict_parse(outputs: str) -> int:
    """Fails on answers without a digit: those rows get an error, the others a value."""
    return int(re.findall(r"\d+", outputs)[0])


def main() -> None:
    result = evalkit.evaluate(
        data=DATA,
        scorers=[
            mentions_expected_numbers,
            FactCoverage(min_word_length=5),
            RelativeLength(),
            style,
            answer_kind,
            strict_parse,
        ],
    )
    print(f"Evaluated {len(result.result_df)} answers from {DATA.name}\n")
    for key, value in sorted(result.metrics.items()):
        print(f"  {key:38} {value:8.3f}")
    table = result.result_df
    failed = table[table["strict_parse/error_code"].notna()]
    print(f"\nstrict_parse failed on {len(failed)} rows, e.g. row {failed.index[0]}:")
    first = failed.iloc[0]
    print(f"  {first['strict_parse/error_code']}: {first['strict_parse/error_message']}")
    print("\nLowest fact coverage:")
    worst = table.nsmallest(3, "fact_coverage/value")
    for _, row in worst.iterrows():
        print(f"  {row['inputs']['question'][:60]:60}  {row['fact_coverage/rationale']}")


if __name__ == "__main__":
    main()
