"""A few hundred varied (target, prediction) text pairs for golden tests, made deterministically."""

from __future__ import annotations

import random

_VOCABULARY = """
the cat sat on a mat running runs ran quickly quick dogs dog's isn't it's they're we'll
3.14 1,000 42 2024-01-05 e.g. U.S.A. co-operate re-evaluate naïve café Straße 日本語
данные émigré hello! world? yes. no, -- ... ; : " ' ( ) [x] {y} <b> &amp; &quot; x-ray
12-3 $5 50% a/b mlflow MLflow ML-flow platform platforms lifecycle lifecycles evaluation
evaluations generously generalization happiness computational 🤖 ✓ ½
"""
_WORDS = _VOCABULARY.split()

FIXED: list[tuple[str, str]] = [
    ("", ""),
    ("", "something"),
    ("something", ""),
    ("   ", "   "),
    ("\n", "\n\n"),
    ("...", "!!!"),
    ("The cat sat on the mat.", "The cat sat on the mat."),
    ("The cat sat on the mat.", "the CAT sat on the mat"),
    (
        "MLflow is an open-source platform for the ML lifecycle.",
        "MLflow is an open-source ML platform.",
    ),
    (
        "Apache Spark is an open-source, distributed computing system.",
        "Spark is a distributed engine.",
    ),
    ("1 2 3 4 5", "1 2 3 4 5 6"),
    ("3.14159 is pi, 2.71828 is e.", "pi is 3.14159 and e is 2.71828"),
    ("naïve café, Straße; 日本語のテキスト", "naive cafe strasse 日本語"),
    ("line one\nline two\nline three", "line two\nline one"),
    ("a b c\nd e f\n\ng h i", "g h i\na b c"),
    ("It isn't what they're saying, it's what we'll do.", "It's not what they say; we will do it."),
    ("word", "word"),
    ("a", "a b"),
    ("a b c d", "a b c d"),
    ("a b c", "a b c"),
    ("<skipped> tokens &amp; entities &quot;quoted&quot;", 'tokens & entities "quoted"'),
    ("hyphen-\nated words-\n", "hyphenated words"),
    ("Numbers: 1,000,000 and 12-3 and $5.00.", "numbers 1,000,000 12 - 3 $5.00"),
    ("the the the the the", "the the the"),
]


def pairs(n_random: int = 300, seed: int = 1234) -> list[tuple[str, str]]:
    """The fixed edge cases plus ``n_random`` generated pairs (some long, some identical)."""
    rnd = random.Random(seed)
    out = list(FIXED)
    for i in range(n_random):
        n = rnd.choice([1, 2, 3, 5, 8, 13, 21, 40, 80])
        if i % 50 == 0:
            n = 600  # very long texts
        target = " ".join(rnd.choice(_WORDS) for _ in range(n))
        kind = rnd.random()
        if kind < 0.1:
            prediction = target
        elif kind < 0.6:
            words = target.split(" ")
            prediction = " ".join(w for w in words if rnd.random() < 0.7)
            prediction += " " + " ".join(rnd.choice(_WORDS) for _ in range(rnd.randint(0, 5)))
        else:
            prediction = " ".join(rnd.choice(_WORDS) for _ in range(rnd.randint(0, 30)))
        if rnd.random() < 0.2:
            prediction = prediction.replace(". ", ".\n")
        if rnd.random() < 0.2:
            target = target.replace(", ", ",\n")
        out.append((target, prediction))
    return out
