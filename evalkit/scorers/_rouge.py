"""ROUGE-1/2/L/Lsum F-measures, value for value the ``rouge-score`` package's.

This is the computation Hugging Face's ``rouge`` metric (and so ``mlflow.metrics.rougeL()``)
runs: ``RougeScorer(rouge_types, use_stemmer=...).score(target, prediction).fmeasure``, with
rouge-score's default tokenizer (lower-case, non-alphanumerics to spaces, optional Porter
stemming of tokens longer than three characters). What differs is only how fast it runs:

* tokens of a text are computed once and shared by the four ROUGE types (memoised);
* Porter stems are memoised per word (stemming is most of rouge-score's time);
* the LCS length for ROUGE-L uses a bit-parallel algorithm instead of a full DP table.

ROUGE-Lsum keeps rouge-score's exact summary-level algorithm (union LCS with its
backtracking tie-breaks), because its hit count depends on which LCS is chosen.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from functools import lru_cache
from itertools import pairwise
from typing import Any

from evalkit.scorers._common import clipped_counts, clipped_matches

ROUGE_TYPES: tuple[str, ...] = ("rouge1", "rouge2", "rougeL", "rougeLsum")

_NON_ALPHANUM = re.compile(r"[^a-z0-9]+")
_ALPHANUM_RUN = re.compile(r"[a-z0-9]+")
_SPACES = re.compile(r"\s+")
_VALID_TOKEN = re.compile(r"^[a-z0-9]+$")
_ASCII_TOKENS = bytes(
    c + 32 if 65 <= c <= 90 else c if 97 <= c <= 122 or 48 <= c <= 57 else 32 for c in range(256)
)
"""For ASCII text: A-Z to a-z, a-z and 0-9 kept, every other byte a space."""


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    from nltk.stem import porter

    return porter.PorterStemmer()  # rouge-score's tokenizer uses the default (NLTK) mode


@lru_cache(maxsize=1 << 18)
def _stem(word: str) -> str:
    return str(_stemmer().stem(word))


def _tokenize(text: str, use_stemmer: bool) -> tuple[str, ...]:
    """rouge-score's default tokenizer (``rouge_score.tokenize.tokenize``)."""
    if not use_stemmer:
        if text.isascii():
            # lower() changes only A-Z here: one byte table lower-cases and blanks the rest
            return tuple(text.encode("ascii").translate(_ASCII_TOKENS).decode("ascii").split())
        # The substitution below leaves the runs of [a-z0-9] between spaces; finding those
        # runs directly gives the same tokens at half the cost.
        return tuple(_ALPHANUM_RUN.findall(text.lower()))
    text = _NON_ALPHANUM.sub(" ", text.lower())
    tokens = [_stem(x) if len(x) > 3 else x for x in _SPACES.split(text)]
    return tuple(x for x in tokens if _VALID_TOKEN.match(x))


class _Memo(dict[Any, Any]):
    """A memo that starts over when full: the four ROUGE types of one batch meet the same
    texts in turn, so what was seen last is what the next type asks for. A plain dict:
    a hit is one lookup in C (``functools.lru_cache`` costs a call and a key tuple)."""

    LIMIT = 1 << 16

    def remember(self, key: Any, value: Any) -> None:
        if len(self) >= self.LIMIT:
            self.clear()
        self[key] = value


class _Tokens(_Memo):
    """Tokens per text, for one ``use_stemmer``."""

    def __init__(self, use_stemmer: bool) -> None:
        super().__init__()
        self.use_stemmer = use_stemmer

    def __missing__(self, text: str) -> tuple[str, ...]:
        tokens = _tokenize(text, self.use_stemmer)
        self.remember(text, tokens)
        return tokens


_PLAIN, _STEMMED = _Tokens(False), _Tokens(True)
_LCS = _Memo()
"""LCS length per (target, prediction, use_stemmer): ROUGE-L's, reused by ROUGE-Lsum."""


def tokenize(text: str, use_stemmer: bool) -> tuple[str, ...]:
    """rouge-score's default tokenizer (``rouge_score.tokenize.tokenize``), memoised."""
    return (_STEMMED if use_stemmer else _PLAIN)[text]


def _fmeasure(precision: float, recall: float) -> float:
    if precision + recall > 0:
        return 2 * precision * recall / (precision + recall)
    return 0.0


def _ngrams(tokens: Sequence[str], n: int) -> Sequence[Any]:
    if n == 1:
        return tokens  # unigrams as the tokens themselves: same counts, less work
    if n == 2:
        return list(pairwise(tokens))
    return list(zip(*[tokens[i:] for i in range(n)], strict=False))


def _bigram_overlap(target: Sequence[str], prediction: Sequence[str]) -> int:
    """Clipped overlap of the two sides' bigrams. Bigrams rarely repeat: when the target's
    do not (its set is as long as its bigrams), each common bigram counts once, and the
    prediction's bigrams are only looked up, straight from ``pairwise`` (no lists)."""
    target_set = set(pairwise(target))
    if len(target_set) == len(target) - 1:
        return len(target_set.intersection(pairwise(prediction)))
    return clipped_matches(list(pairwise(target)), list(pairwise(prediction)))


def rouge_n(target: Sequence[str], prediction: Sequence[str], n: int) -> float:
    """ROUGE-N F-measure of two token sequences (rouge-score's ``_score_ngrams``)."""
    if n == 1:
        overlap = clipped_counts(target, prediction)  # unigrams usually repeat (the, a, of)
    elif n == 2:
        overlap = _bigram_overlap(target, prediction) if len(target) > 1 else 0
    else:
        overlap = clipped_matches(_ngrams(target, n), _ngrams(prediction, n))
    precision = overlap / max(max(len(prediction) - n + 1, 0), 1)
    recall = overlap / max(max(len(target) - n + 1, 0), 1)
    return _fmeasure(precision, recall)


def _masks(tokens: Sequence[str]) -> tuple[Callable[[str], int | None], int]:
    """The bit-parallel LCS's match masks of ``tokens`` (bit ``k`` set in a token's mask where
    ``tokens[k]`` is that token), as a lookup, and the mask of every position."""
    masks: dict[str, int] = {}
    get = masks.get
    bit = 1
    for token in tokens:
        masks[token] = get(token, 0) | bit
        bit <<= 1
    return get, bit - 1


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence (bit-parallel, Hyyrö 2004)."""
    if len(a) < len(b):
        a, b = b, a
    get, full = _masks(b)
    v = full
    for m in map(get, a):
        if m:
            u = v & m
            v = ((v + u) | (v - u)) & full
    return len(b) - v.bit_count()


def rouge_l(target: Sequence[str], prediction: Sequence[str]) -> float:
    """ROUGE-L F-measure (rouge-score's ``_score_lcs``)."""
    if not target or not prediction:
        return 0.0
    lcs = lcs_length(target, prediction)
    return _fmeasure(lcs / len(prediction), lcs / len(target))


def _text_lcs(target: str, prediction: str, use_stemmer: bool) -> int:
    """LCS length of two texts' tokens, memoised: ROUGE-L and the ROUGE-Lsum of two
    one-sentence texts (the usual case) are the same LCS, computed once for both."""
    key = (target, prediction, use_stemmer)
    lcs = _LCS.get(key)
    if lcs is None:
        tokens = _STEMMED if use_stemmer else _PLAIN
        lcs = lcs_length(tokens[target], tokens[prediction])
        _LCS.remember(key, lcs)
    return int(lcs)


def clear_caches() -> None:
    """Forget every memoised tokenisation, stem and LCS (benchmarks start cold with it)."""
    _stem.cache_clear()
    for memo in (_PLAIN, _STEMMED, _LCS):
        memo.clear()


def _lcs_indices(ref: Sequence[str], can: Sequence[str]) -> list[int]:
    """Indices into ``ref`` of one LCS, chosen exactly as rouge-score's backtracking does.

    rouge-score fills the full DP table ``T[i][j] = LCS(ref[:i], can[:j])`` and walks back
    from the corner (a match: diagonal; else left if ``T[i][j-1] > T[i-1][j]``, else up).
    The walk reads few cells, so instead of the table this keeps the bit-parallel rows of
    :func:`lcs_length` (one int per row of ``ref``): ``T[i][j]`` is ``j`` minus the set bits
    of row ``i`` below bit ``j``. Same cells, same choices, O(len(ref) + len(can)) steps.
    """
    get, full = _masks(can)
    v = full
    rows = [v]
    for m in map(get, ref):
        if m:
            u = v & m
            v = ((v + u) | (v - u)) & full
        rows.append(v)
    i, j = len(ref), len(can)
    picked: list[int] = []
    while i > 0 and j > 0:
        if ref[i - 1] == can[j - 1]:
            picked.append(i - 1)
            i -= 1
            j -= 1
        else:
            left = j - 1 - (rows[i] & ((1 << (j - 1)) - 1)).bit_count()  # T[i][j-1]
            up = j - (rows[i - 1] & ((1 << j) - 1)).bit_count()  # T[i-1][j]
            if left > up:
                j -= 1
            else:
                i -= 1
    picked.reverse()
    return picked


def rouge_lsum(target: str, prediction: str, use_stemmer: bool) -> float:
    """ROUGE-Lsum F-measure: summary-level LCS over newline-separated sentences."""
    if "\n" not in target and "\n" not in prediction:
        # One sentence each (or none): the union LCS is one LCS, every token of it counts,
        # so this is ROUGE-L, whose LCS is memoised
        tokens = _STEMMED if use_stemmer else _PLAIN
        target_tokens, prediction_tokens = tokens[target], tokens[prediction]
        if not target_tokens or not prediction_tokens:
            return 0.0
        hits = _text_lcs(target, prediction, use_stemmer)
        return _fmeasure(hits / len(prediction_tokens), hits / len(target_tokens))
    ref_sents = [tokenize(s, use_stemmer) for s in target.split("\n") if s]
    can_sents = [tokenize(s, use_stemmer) for s in prediction.split("\n") if s]
    if not ref_sents or not can_sents:
        return 0.0
    m = sum(map(len, ref_sents))
    n = sum(map(len, can_sents))
    if not n or not m:
        return 0.0
    if len(ref_sents) == 1 and len(can_sents) == 1:
        # One sentence each: the union LCS is one LCS and every token of it is counted.
        # The other lines are empty, so the texts' tokens are the sentences': ROUGE-L's LCS.
        hits = _text_lcs(target, prediction, use_stemmer)
    else:
        ref_counts: Counter[str] = Counter()
        can_counts: Counter[str] = Counter()
        for s in ref_sents:
            ref_counts.update(s)
        for s in can_sents:
            can_counts.update(s)
        hits = 0
        for ref in ref_sents:
            union: set[int] = set()
            for can in can_sents:
                union.update(_lcs_indices(ref, can))
            for t in (ref[i] for i in sorted(union)):
                if can_counts[t] > 0 and ref_counts[t] > 0:
                    hits += 1
                    can_counts[t] -= 1
                    ref_counts[t] -= 1
    return _fmeasure(hits / n, hits / m)


def rouge_score(rouge_type: str, target: str, prediction: str, use_stemmer: bool) -> float:
    """One ROUGE F-measure of ``prediction`` against ``target``."""
    if rouge_type == "rougeLsum":
        return rouge_lsum(target, prediction, use_stemmer)
    if rouge_type == "rougeL":
        return _rouge_l_texts(target, prediction, use_stemmer)
    return rouge_n(
        tokenize(target, use_stemmer), tokenize(prediction, use_stemmer), int(rouge_type[5:])
    )


def _rouge_l_texts(target: str, prediction: str, use_stemmer: bool) -> float:
    """ROUGE-L of two texts: ``rouge_l`` of their tokens, sharing the memoised LCS."""
    tokens = _STEMMED if use_stemmer else _PLAIN
    t, p = tokens[target], tokens[prediction]
    if not t or not p:
        return 0.0
    key = (target, prediction, use_stemmer)  # _text_lcs, without looking the tokens up again
    lcs = _LCS.get(key)
    if lcs is None:
        lcs = lcs_length(t, p)
        _LCS.remember(key, lcs)
    return _fmeasure(lcs / len(p), lcs / len(t))


def rouge_chunk(args: tuple[str, bool, list[str], list[str]]) -> list[float]:
    """Score a chunk of (target, prediction) pairs; the unit of work sent to a process."""
    rouge_type, use_stemmer, targets, predictions = args
    pairs = zip(targets, predictions, strict=True)
    if rouge_type == "rougeLsum":
        return [rouge_lsum(t, p, use_stemmer) for t, p in pairs]
    if rouge_type == "rougeL":
        return [_rouge_l_texts(t, p, use_stemmer) for t, p in pairs]
    n = int(rouge_type[5:])
    tokens = _STEMMED if use_stemmer else _PLAIN
    return [rouge_n(tokens[t], tokens[p], n) for t, p in pairs]
