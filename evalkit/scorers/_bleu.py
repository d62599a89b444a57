"""Sentence BLEU exactly as Hugging Face's ``bleu`` metric computes it for one pair.

``mlflow.metrics.bleu()`` calls ``evaluate.load("bleu").compute(predictions=[p],
references=[[t]])`` row by row: the "13a" tokenizer (mteval-v13a, as in sacrebleu), the
TensorFlow NMT ``compute_bleu`` with ``max_order=4`` and no smoothing. MLflow scores a row
0 when the prediction or the target is an empty string, or when BLEU cannot be computed
(a side with no tokens divides by zero in the brevity penalty).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import lru_cache

MAX_ORDER = 4

_RULES = (
    # language-dependent part (assuming Western languages)
    (re.compile(r"([\{-\~\[-\` -\&\(-\+\:-\@\/])"), r" \1 "),
    # tokenize period and comma unless preceded by a digit
    (re.compile(r"([^0-9])([\.,])"), r"\1 \2 "),
    # tokenize period and comma unless followed by a digit
    (re.compile(r"([\.,])([^0-9])"), r" \1 \2"),
    # tokenize dash when preceded by a digit
    (re.compile(r"([0-9])(-)"), r"\1 \2 "),
)


@lru_cache(maxsize=1 << 16)
def tokenize_13a(line: str) -> tuple[str, ...]:
    """The mteval-v13a tokenizer (Hugging Face's ``Tokenizer13a``), memoised."""
    line = line.replace("<skipped>", "")
    line = line.replace("-\n", "")
    line = line.replace("\n", " ")
    if "&" in line:
        line = line.replace("&quot;", '"')
        line = line.replace("&amp;", "&")
        line = line.replace("&lt;", "<")
        line = line.replace("&gt;", ">")
    line = f" {line} "
    for pattern, repl in _RULES:
        line = pattern.sub(repl, line)
    return tuple(line.split())


@lru_cache(maxsize=4096)  # a repeated reference (one target for many rows) is counted once
def _ngram_counts(tokens: tuple[str, ...]) -> Counter[tuple[str, ...]]:
    counts: Counter[tuple[str, ...]] = Counter()
    n_tokens = len(tokens)
    for order in range(1, MAX_ORDER + 1):
        for i in range(n_tokens - order + 1):
            counts[tokens[i : i + order]] += 1
    return counts


def bleu(target: str, prediction: str) -> float:
    """BLEU of one prediction against one reference, on MLflow's 0..1 scale."""
    if len(target) == 0 or len(prediction) == 0:
        return 0.0
    reference = tokenize_13a(target)
    translation = tokenize_13a(prediction)
    reference_length = len(reference)
    translation_length = len(translation)
    if reference_length == 0 or translation_length == 0:
        return 0.0  # the reference divides by zero in its brevity penalty; MLflow records 0
    overlap = _ngram_counts(translation) & _ngram_counts(reference)
    matches = [0] * MAX_ORDER
    for ngram, count in overlap.items():
        matches[len(ngram) - 1] += count
    precisions = [0.0] * MAX_ORDER
    for i in range(MAX_ORDER):
        possible = translation_length - i
        if possible > 0:
            precisions[i] = float(matches[i]) / possible
    if min(precisions) > 0:
        p_log_sum = sum((1.0 / MAX_ORDER) * math.log(p) for p in precisions)
        geo_mean = math.exp(p_log_sum)
    else:
        geo_mean = 0
    ratio = float(translation_length) / reference_length
    bp = 1.0 if ratio > 1.0 else math.exp(1 - 1.0 / ratio)
    return float(geo_mean * bp)


def bleu_chunk(args: tuple[list[str], list[str]]) -> list[float]:
    """Score a chunk of (target, prediction) pairs; the unit of work sent to a process."""
    targets, predictions = args
    return [bleu(t, p) for t, p in zip(targets, predictions, strict=True)]
