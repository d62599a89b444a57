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
from typing import Any

MAX_ORDER = 4

# mteval-v13a's first rule puts spaces around every character of the class
# [\{-\~\[-\` -\&\(-\+\:-\@\/]. That class includes the space itself; padding a space
# with spaces changes no token, so it is left out here, which makes the rule far cheaper.
_SPACED = re.compile(r"[\{-\~\[-\`!-\&\(-\+\:-\@\/]")
_PERIOD_COMMA_RULES = (
    # tokenize period and comma unless preceded by a digit
    (re.compile(r"([^0-9])([\.,])"), r"\1 \2 "),
    # tokenize period and comma unless followed by a digit
    (re.compile(r"([\.,])([^0-9])"), r" \1 \2"),
)
_DIGIT_DASH = re.compile(r"([0-9])(-)")  # tokenize dash when preceded by a digit


def _pad(match: re.Match[str]) -> str:
    return f" {match.group()} "


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
    line = _SPACED.sub(_pad, f" {line} ")
    if "." in line or "," in line:
        for pattern, repl in _PERIOD_COMMA_RULES:
            line = pattern.sub(repl, line)
    if "-" in line:
        line = _DIGIT_DASH.sub(r"\1 \2 ", line)
    return tuple(line.split())


def _ngrams(tokens: tuple[str, ...], order: int) -> Counter[Any]:
    if order == 1:
        return Counter(tokens)  # keyed by the token itself: same counts, less work
    return Counter(zip(*[tokens[i:] for i in range(order)], strict=False))


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
    if translation_length < MAX_ORDER:
        return 0.0  # no 4-grams: that precision is 0, and so is the geometric mean
    precisions = [0.0] * MAX_ORDER
    for i in range(MAX_ORDER):
        ref = _ngrams(reference, i + 1)
        matches = 0
        for ngram, count in _ngrams(translation, i + 1).items():
            other = ref.get(ngram)
            if other:
                matches += count if count < other else other
        if matches == 0:
            return 0.0  # a zero precision makes the geometric mean 0
        precisions[i] = float(matches) / (translation_length - i)
    p_log_sum = sum((1.0 / MAX_ORDER) * math.log(p) for p in precisions)
    geo_mean = math.exp(p_log_sum)
    ratio = float(translation_length) / reference_length
    bp = 1.0 if ratio > 1.0 else math.exp(1 - 1.0 / ratio)
    return float(geo_mean * bp)


def bleu_chunk(args: tuple[list[str], list[str]]) -> list[float]:
    """Score a chunk of (target, prediction) pairs; the unit of work sent to a process."""
    targets, predictions = args
    return [bleu(t, p) for t, p in zip(targets, predictions, strict=True)]
