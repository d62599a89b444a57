"""Example plug-in scorers: small style checks any answer can be held to."""

from __future__ import annotations

from evalkit import Feedback, scorer


@scorer
def no_apology(outputs: str) -> bool:
    """The answer does not start with an apology."""
    return not outputs.lower().lstrip().startswith(("sorry", "i apologize", "i'm sorry"))


@scorer(aggregations=["mean", "max"])
def sentence_count(outputs: str) -> Feedback:
    """Sentences in the answer (a rough count of terminal punctuation)."""
    n = sum(outputs.count(mark) for mark in ".!?") or 1
    return Feedback(value=n, rationale=f"{n} sentence(s)")
