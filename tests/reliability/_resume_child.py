"""Run by test_resume.py in a subprocess: 500 rows x 2 judges against the test's JudgeServer
(OPENAI_BASE_URL comes from the environment); the test kills it with SIGKILL half-way."""

from __future__ import annotations

import sys

from _reliability_judges import mini_judge, rows

import evalkit

n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
evalkit.evaluate(
    rows(n),
    scorers=[mini_judge("right"), mini_judge("polite", "Polite? Q: {q} A: {a}")],
    max_workers=4,
    progress=False,
)
