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
from itertools import chain

from evalkit.scorers._common import clipped_counts

MAX_ORDER = 4

# mteval-v13a's first rule puts spaces around every character of the class
# [\{-\~\[-\`!-\&\(-\+\:-\@\/]. That class includes the space itself; padding a space
# with spaces changes no token, so it is left out here. What is left maps each of 28 ASCII
# characters to itself between spaces: one str.translate (C, no regex, no call per match).
_SPACED = re.compile(r"[\{-\~\[-\`!-\&\(-\+\:-\@\/]")
_PAD = str.maketrans({chr(c): f" {chr(c)} " for c in range(128) if _SPACED.match(chr(c))})
_PERIOD_COMMA_RULES = (
    # tokenize period and comma unless preceded by a digit
    (re.compile(r"([^0-9])([\.,])"), r"\1 \2 "),
    # tokenize period and comma unless followed by a digit
    (re.compile(r"([\.,])([^0-9])"), r" \1 \2"),
)
"""The two period/comma rules as regular expressions (what :func:`_periods_and_commas` does)."""
_PERIOD_COMMA = re.compile(r"[.,]")
_DIGITS = frozenset("0123456789")
_DIGIT_DASH = re.compile(r"([0-9])(-)")  # tokenize dash when preceded by a digit


def _replace(line: str) -> str:
    """13a's line-level replacements: ``<skipped>``, ``-\\n`` and newlines, then entities
    (each only where its first character occurs: most lines have none)."""
    if "<" in line:
        line = line.replace("<skipped>", "")
    if "\n" in line:
        line = line.replace("-\n", "")
        line = line.replace("\n", " ")
    if "&" in line:
        line = line.replace("&quot;", '"')
        line = line.replace("&amp;", "&")
        line = line.replace("&lt;", "<")
        line = line.replace("&gt;", ">")
    return line


def _split(line: str) -> tuple[str, ...]:
    """13a's rules after the replacements: padded punctuation, periods and commas, dashes."""
    line = f" {line} ".translate(_PAD)
    if "." in line or "," in line:
        line = _periods_and_commas(line)
    if "-" in line:
        line = _DIGIT_DASH.sub(r"\1 \2 ", line)
    return tuple(line.split())


def _tokenize_line(line: str) -> tuple[str, ...]:
    """The mteval-v13a tokenizer (Hugging Face's ``Tokenizer13a``) over a whole line."""
    return _split(_replace(line))


_LAST_ALONE = frozenset('.,!"#$%&()*+/:;<=>?@[\\]^_`{|}~')
"""A word's last character that 13a always makes a token of its own (the padded
punctuation, and a period or comma, which rule 2 splits off before the padding space)."""


class _WordTokens(dict[str, tuple[str, ...]]):
    """13a tokens per whitespace-separated word, filled on first sight.

    After the line-level replacements (``<skipped>``, ``-\\n``, entities), 13a's rules act
    within a run of non-space characters: padding is per character, and each of the
    period/comma and dash rules matches two adjacent characters, where a space on either
    side counts as the non-digit it is to every rule, and a match that takes a space never
    keeps the next word's first character from matching. So a line's tokens are its words'
    tokens in turn, and text repeats words: ``map(cache.__getitem__, words)`` stays in C
    for every word seen before. A word of letters and digits only is one token; a word
    of them plus one final punctuation character is two.
    """

    LIMIT = 1 << 18

    def __missing__(self, word: str) -> tuple[str, ...]:
        if word.isalnum():
            tokens: tuple[str, ...] = (word,)
        elif word[-1] in _LAST_ALONE and word[:-1].isalnum():
            tokens = (word[:-1], word[-1])
        else:
            tokens = _split(word)  # the replacements were made on the line, once
        if len(self) < self.LIMIT:
            self[word] = tokens
        return tokens


_word_tokens = _WordTokens()


def tokenize_13a(line: str) -> tuple[str, ...]:
    """The mteval-v13a tokenizer (Hugging Face's ``Tokenizer13a``), memoised per word."""
    words = _replace(line).split()
    return tuple(chain.from_iterable(map(_word_tokens.__getitem__, words)))


def _periods_and_commas(line: str) -> str:
    """``_PERIOD_COMMA_RULES`` applied in turn, 3x faster than ``re.sub``.

    Each rule matches two characters, one of them a period or comma, and ``re.sub`` takes
    the leftmost match, then searches again after it. So the matches are found by visiting
    only the periods and commas, left to right, skipping one whose neighbour the previous
    match consumed. (``[^0-9]`` makes the regex engine try a match at almost every
    character; 4,000 short answers took 34 ms that way and take 11 ms here.)
    """
    # rule 1: ([^0-9])([.,]) -> "\1 \2 "
    parts: list[str] = []
    last = 0  # the text before `last` is in parts; the next match may start at last - 1
    for match in _PERIOD_COMMA.finditer(line):
        i = match.start()
        if i >= last + 1 and line[i - 1] not in _DIGITS:
            parts += (line[last:i], " ", line[i], " ")
            last = i + 1
    if parts:
        parts.append(line[last:])
        line = "".join(parts)
    # rule 2: ([.,])([^0-9]) -> " \1 \2"
    parts = []
    last, free, end = 0, 0, len(line) - 1  # `free`: where the next match may start
    for match in _PERIOD_COMMA.finditer(line):
        j = match.start()
        if j >= free and j < end and line[j + 1] not in _DIGITS:
            parts += (line[last:j], " ", line[j], " ")
            last, free = j + 1, j + 2
    if parts:
        parts.append(line[last:])
        line = "".join(parts)
    return line


def clear_caches() -> None:
    """Forget every memoised tokenisation (benchmarks start cold with it)."""
    _word_tokens.clear()


def _matches(reference: tuple[str, ...], translation: tuple[str, ...]) -> list[int] | None:
    """Clipped matches of each order 1..4, or ``None`` when an order has none.

    When no n-gram of the reference repeats (its set is as long as its n-grams), each
    common n-gram counts once whatever the translation repeats: the clipped count is the
    size of the reference's set intersected with the translation's n-grams, straight from
    ``zip`` (no Counters, no set of the translation's). Once no bigram repeats, no longer
    n-gram does. Repeats are counted. 4-grams come first: a 4-gram match is the one most
    often missing (which makes BLEU 0 at once), and one implies matches of every lower
    order.
    """
    r = len(reference)
    ref_set = set(reference)
    common = ref_set.intersection(translation)
    if not common:
        return None
    ref1, ref2, ref3 = reference[1:], reference[2:], reference[3:]
    hyp1, hyp2, hyp3 = translation[1:], translation[2:], translation[3:]
    grams: set[tuple[str, ...]] = set(zip(reference, ref1, ref2, ref3, strict=False))
    if len(grams) == r - 3:
        m4 = len(grams.intersection(zip(translation, hyp1, hyp2, hyp3, strict=False)))
    else:
        m4 = _counted(reference, translation, 4)
    if m4 == 0:
        return None
    if len(ref_set) < r and len(set(translation)) < len(translation):
        m1 = clipped_counts(reference, translation)  # both sides repeat a token
    else:
        m1 = len(common)  # a common token's smaller count is 1
    grams = set(zip(reference, ref1, strict=False))
    if len(grams) == r - 1:  # then no 3-gram of the reference repeats either
        m2 = len(grams.intersection(zip(translation, hyp1, strict=False)))
        grams = set(zip(reference, ref1, ref2, strict=False))
        m3 = len(grams.intersection(zip(translation, hyp1, hyp2, strict=False)))
    else:
        m2 = _counted(reference, translation, 2)
        m3 = _counted(reference, translation, 3)
    return [m1, m2, m3, m4]


def _counted(reference: tuple[str, ...], translation: tuple[str, ...], n: int) -> int:
    """Clipped matches of order ``n`` by counting (the reference repeats an n-gram)."""
    return clipped_counts(
        list(zip(*[reference[i:] for i in range(n)], strict=False)),
        list(zip(*[translation[i:] for i in range(n)], strict=False)),
    )


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
    matches = _matches(reference, translation)
    if matches is None:
        return 0.0  # a zero precision makes the geometric mean 0
    p_log_sum = sum(
        (1.0 / MAX_ORDER) * math.log(float(matches[i]) / (translation_length - i))
        for i in range(MAX_ORDER)
    )
    geo_mean = math.exp(p_log_sum)
    ratio = float(translation_length) / reference_length
    bp = 1.0 if ratio > 1.0 else math.exp(1 - 1.0 / ratio)
    return float(geo_mean * bp)


def bleu_chunk(args: tuple[list[str], list[str]]) -> list[float]:
    """Score a chunk of (target, prediction) pairs; the unit of work sent to a process."""
    targets, predictions = args
    return [bleu(t, p) for t, p in zip(targets, predictions, strict=True)]
