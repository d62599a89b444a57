"""A small, deterministic TF-IDF retriever over the Acme Cache docs that ship in ``datasets/``.

It is the retriever of the RAG examples and the generator of ``datasets/acme_retrieval.jsonl``:
plain Python (no model, no download), so the same query always returns the same ranking on
every machine. Like any lexical retriever it finds the right page for most questions and
misses some that are phrased in other words than the docs, which is what makes retrieval
metrics on its output worth reading.

Run:
    python examples/acme_retriever.py                      # score it on the QA questions
    python examples/acme_retriever.py "How do I enable TLS?"  # the top 5 pages for a query
    python examples/acme_retriever.py --write               # regenerate acme_retrieval.jsonl

Use from code::

    from acme_retriever import retrieve
    retrieve("Which TLS versions are supported?", k=3)
    # [{'doc_id': 'doc-12', 'content': 'Acme Cache can encrypt ...', 'score': 0.35}, ...]
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

DATASETS = Path(__file__).resolve().parents[1] / "datasets"
DOCS_PATH = DATASETS / "acme_docs.jsonl"
QA_PATH = DATASETS / "acme_qa.jsonl"
RETRIEVAL_PATH = DATASETS / "acme_retrieval.jsonl"

# Words that say nothing about which page answers a question.
_STOP_TEXT = """
    a about after again all also an and any are as at be because been before being both but
    by can could did do does doing done each else for from had has have how i if in into is it
    its just me more most my no not of on once one only or other our out own same should so
    some such than that the their them then there these they this those through to too under
    until up use used using very was we were what when where which while who why will with
    would you your acme cache"""
_STOP_WORDS = frozenset(_STOP_TEXT.split())
_TOKEN = re.compile(r"[a-z0-9]+")


def _stem(word: str) -> str:
    """Strip a few English suffixes so that 'replicas' and 'replica' match."""
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def tokenize(text: str) -> list[str]:
    """Lower-cased, stemmed content words of ``text``."""
    return [_stem(w) for w in _TOKEN.findall(text.lower()) if w not in _STOP_WORDS]


def load_docs(path: Path = DOCS_PATH) -> list[dict[str, str]]:
    """The document collection: dicts with ``id``, ``title`` and ``text``."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


class TfidfRetriever:
    """Cosine similarity of TF-IDF vectors (sublinear tf, smoothed idf) over title and text.

    Args:
        docs: Documents with ``id``, ``title`` and ``text``. The title counts twice, as a
            page's title names its subject.
    """

    def __init__(self, docs: Sequence[dict[str, str]]) -> None:
        self.docs = list(docs)
        counts = [Counter(tokenize(f"{d['title']} {d['title']} {d['text']}")) for d in self.docs]
        df = Counter(term for c in counts for term in c)
        n = len(self.docs)
        self.idf = {term: math.log((1 + n) / (1 + k)) + 1.0 for term, k in df.items()}
        self.vectors = [self._vector(c) for c in counts]

    def _vector(self, counts: Counter[str]) -> dict[str, float]:
        weights = {
            t: (1.0 + math.log(c)) * self.idf[t] for t, c in sorted(counts.items()) if t in self.idf
        }
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {t: w / norm for t, w in weights.items()}

    def retrieve(self, query: str, k: int = 5) -> list[dict[str, Any]]:
        """The ``k`` best documents for ``query``, best first.

        Returns:
            Dicts with ``doc_id``, ``content`` (the page text) and ``score`` (cosine
            similarity rounded to 4 places). Ties are broken by document id, so the ranking
            is the same on every run.
        """
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        q = self._vector(Counter(tokenize(query)))
        scored = [
            (round(sum(w * vec.get(t, 0.0) for t, w in q.items()), 4), doc["id"], doc)
            for vec, doc in zip(self.vectors, self.docs, strict=True)
        ]
        scored.sort(key=lambda s: (-s[0], s[1]))
        return [
            {"doc_id": doc_id, "content": doc["text"], "score": score}
            for score, doc_id, doc in scored[:k]
        ]


@functools.cache
def _default_retriever() -> TfidfRetriever:
    return TfidfRetriever(load_docs())


def retrieve(query: str, k: int = 5) -> list[dict[str, Any]]:
    """The ``k`` Acme Cache pages that best match ``query``, best first.

    Args:
        query: A question in natural language.
        k: How many pages to return.

    Returns:
        Dicts with ``doc_id``, ``content`` and ``score``; see :meth:`TfidfRetriever.retrieve`.
    """
    return _default_retriever().retrieve(query, k=k)


def to_retrieved_context(hits: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Hits in MLflow's retrieved-context shape: ``{"doc_uri", "content", "score"}``."""
    return [{"doc_uri": h["doc_id"], "content": h["content"], "score": h["score"]} for h in hits]


def build_retrieval_records(k: int = 5, qa_path: Path = QA_PATH) -> list[dict[str, Any]]:
    """One retrieval record per QA question: the query, the ground truth and the ranking.

    The ground-truth pages are the QA record's ``source_docs`` tag: every page that supports
    the expected answer, the main one first.
    """
    with qa_path.open(encoding="utf-8") as fh:
        qa = [json.loads(line) for line in fh if line.strip()]
    records = []
    for row in qa:
        question = row["inputs"]["question"]
        truth = row["tags"]["source_docs"].split(",")
        records.append(
            {
                "inputs": {"question": question},
                "outputs": {"retrieved_context": to_retrieved_context(retrieve(question, k=k))},
                "expectations": {
                    "expected_retrieved_context": [{"doc_uri": d} for d in truth],
                    "expected_response": row["expectations"]["expected_response"],
                    "expected_facts": row["expectations"]["expected_facts"],
                },
                "tags": {"topic": row["tags"]["topic"], "difficulty": row["tags"]["difficulty"]},
            }
        )
    return records


def write_retrieval_dataset(path: Path = RETRIEVAL_PATH, k: int = 5) -> int:
    """Write :func:`build_retrieval_records` to ``path`` as JSONL; returns the record count."""
    records = build_retrieval_records(k=k)
    with path.open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return len(records)


def retrieved_doc_ids(record: dict[str, Any]) -> list[str]:
    """The ranked document ids of a retrieval record (the legacy ``predictions`` column)."""
    return [c["doc_uri"] for c in record["outputs"]["retrieved_context"]]


def ground_truth_doc_ids(record: dict[str, Any]) -> list[str]:
    """The ground-truth document ids of a retrieval record (the legacy ``targets`` column)."""
    return [c["doc_uri"] for c in record["expectations"]["expected_retrieved_context"]]


def legacy_retriever_frame(records: Iterable[dict[str, Any]]) -> Any:
    """The records as the DataFrame that ``mlflow.evaluate(model_type="retriever")`` reads.

    Columns: ``question``, ``retrieved_context`` (ranked doc ids) and ``ground_truth``
    (relevant doc ids); pass ``predictions="retrieved_context", targets="ground_truth"``.
    """
    import pandas as pd

    return pd.DataFrame(
        [
            {
                "question": r["inputs"]["question"],
                "retrieved_context": retrieved_doc_ids(r),
                "ground_truth": ground_truth_doc_ids(r),
            }
            for r in records
        ]
    )


def _summary(records: list[dict[str, Any]], k: int) -> dict[str, float]:
    """Hit rate at 1 and k, and mean precision/recall at k, computed plainly."""
    hit1 = hitk = precision = recall = 0.0
    for r in records:
        got, truth = retrieved_doc_ids(r)[:k], set(ground_truth_doc_ids(r))
        relevant = sum(d in truth for d in got)
        hit1 += got[0] in truth
        hitk += relevant > 0
        precision += relevant / len(got)
        recall += len(truth & set(got)) / len(truth)
    n = len(records)
    return {
        "hit_rate@1": hit1 / n,
        f"hit_rate@{k}": hitk / n,
        f"precision@{k}": precision / n,
        f"recall@{k}": recall / n,
    }


def main(argv: Sequence[str] | None = None) -> None:
    """Command-line entry point; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("query", nargs="?", help="print the top pages for this query")
    parser.add_argument("-k", type=int, default=5, help="pages per query (default 5)")
    parser.add_argument("--write", action="store_true", help=f"regenerate {RETRIEVAL_PATH.name}")
    args = parser.parse_args(argv)

    if args.query:
        titles = {d["id"]: d["title"] for d in load_docs()}
        for hit in retrieve(args.query, k=args.k):
            print(f"{hit['score']:.4f}  {hit['doc_id']}  {titles[hit['doc_id']]}")
        return
    if args.write:
        n = write_retrieval_dataset(k=args.k)
        print(f"wrote {n} records to {RETRIEVAL_PATH}")
        return

    records = build_retrieval_records(k=args.k)
    print(f"{len(records)} questions, {len(load_docs())} pages")
    for name, value in _summary(records, args.k).items():
        print(f"  {name:14} {value:.3f}")
    misses = [r for r in records if retrieved_doc_ids(r)[0] not in ground_truth_doc_ids(r)]
    print(f"\nTop page wrong on {len(misses)} questions, for example:")
    for r in misses[:5]:
        print(f"  {r['inputs']['question']}")
        print(f"    got {retrieved_doc_ids(r)[:3]}, relevant {ground_truth_doc_ids(r)}")


if __name__ == "__main__":
    main()
