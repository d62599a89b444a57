"""Reference definitions the built-in metrics are checked against (tests) and timed against
(benchmarks): written from the published definition, independently of evalkit's scorers."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable

__all__ = ["hf_bleu"]


def hf_bleu(target: str, prediction: str, tokenize: Callable[[str], str] | None = None) -> float:
    """Hugging Face ``bleu`` (TF NMT ``compute_bleu``: max order 4, no smoothing, one
    reference) for one pair, as MLflow's ``bleu`` metric runs it.

    Args:
        target: The ground truth.
        prediction: The output.
        tokenize: sacrebleu's 13a tokenizer (an instance); one is made when not given.

    Returns:
        The BLEU score; 0 for an empty target or prediction (MLflow records 0 where the
        definition divides by zero).
    """
    if not target or not prediction:
        return 0.0
    if tokenize is None:
        from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

        tokenize = Tokenizer13a()
    ref, hyp = tokenize(target).split(), tokenize(prediction).split()

    def grams(tokens: list[str]) -> Counter[tuple[str, ...]]:
        out: Counter[tuple[str, ...]] = Counter()
        for order in range(1, 5):
            for i in range(len(tokens) - order + 1):
                out[tuple(tokens[i : i + order])] += 1
        return out

    overlap = grams(hyp) & grams(ref)
    matches, possible = [0] * 4, [0] * 4
    for g, c in overlap.items():
        matches[len(g) - 1] += c
    for order in range(1, 5):
        if len(hyp) - order + 1 > 0:
            possible[order - 1] += len(hyp) - order + 1
    precisions = [matches[i] / possible[i] if possible[i] > 0 else 0.0 for i in range(4)]
    geo = math.exp(sum(0.25 * math.log(p) for p in precisions)) if min(precisions) > 0 else 0.0
    try:
        ratio = len(hyp) / len(ref)
        bp = 1.0 if ratio > 1.0 else math.exp(1 - 1.0 / ratio)
    except ZeroDivisionError:  # MLflow catches it and records 0
        return 0.0
    return geo * bp
