"""The shipped datasets load, keep their promised sizes and stay true to the Acme Cache docs.

Also checks the example retriever that generated ``acme_retrieval.jsonl``: it must reproduce
the file exactly and be right on some queries and wrong on others.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from evalkit.data import normalize_data

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT / "datasets"


def _load(name: str) -> list[dict[str, Any]]:
    with (DATASETS / name).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _import_retriever() -> ModuleType:
    path = ROOT / "examples" / "acme_retriever.py"
    spec = importlib.util.spec_from_file_location("acme_retriever", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("acme_retriever", module)
    spec.loader.exec_module(module)
    return module


retriever = _import_retriever()
DOCS = {d["id"]: d for d in _load("acme_docs.jsonl")}
QA = _load("acme_qa.jsonl")
RETRIEVAL = _load("acme_retrieval.jsonl")
SUMMARIES = _load("acme_summaries.jsonl")
GUIDELINES = _load("acme_guidelines.jsonl")


def _words(text: str) -> list[str]:
    return re.findall(r"\S+", text)


# --- key-term check of facts against the docs -------------------------------------------------

_FACT_STOP_TEXT = (
    "the a an and or of to in on at is are be it its by for with as that this from was one can "
    "may not no any all every only also then than when which what who how does do has have use "
    "uses used using"
)
_FACT_STOP = frozenset(_FACT_STOP_TEXT.split())


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _key_terms(text: str) -> set[str]:
    return {
        _stem(w)
        for w in re.findall(r"[a-z0-9]+", text.lower())
        if w not in _FACT_STOP and (len(w) >= 3 or w.isdigit())
    }


def _unsupported(fact: str, doc_ids: list[str]) -> list[str]:
    """What in ``fact`` the referenced docs do not contain: code spans verbatim, then words."""
    corpus = "\n".join(f"{DOCS[d]['title']}\n{DOCS[d]['text']}" for d in doc_ids).lower()
    missing = [f"`{s}`" for s in re.findall(r"`([^`]+)`", fact) if s.lower() not in corpus]
    return missing + sorted(_key_terms(fact) - _key_terms(corpus))


def test_fact_check_rejects_an_unsupported_fact() -> None:
    assert _unsupported("The default port is 6380", ["doc-03"]) == []
    assert _unsupported("The default port is 6379", ["doc-03"]) == ["6379"]
    assert _unsupported("Run `acme reboot` to restart", ["doc-03"])[0] == "`acme reboot`"


# --- every dataset loads ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "minimum"),
    [
        ("acme_qa.jsonl", 60),
        ("acme_retrieval.jsonl", 40),
        ("acme_summaries.jsonl", 20),
        ("acme_guidelines.jsonl", 20),
    ],
)
def test_dataset_loads_through_normalize_data(name: str, minimum: int) -> None:
    rows = normalize_data(DATASETS / name)
    assert len(rows) >= minimum
    for row in rows:
        assert isinstance(row.inputs, dict) and row.inputs
        assert row.outputs is not None
        assert row.expectations
        assert row.tags and all(isinstance(v, str) for v in row.tags.values())


def test_dataset_inputs_are_unique_within_each_file() -> None:
    for records in (QA, SUMMARIES):
        keys = [json.dumps(r["inputs"], sort_keys=True) for r in records]
        assert len(keys) == len(set(keys))
    pairs = [(r["inputs"]["question"], r["outputs"]) for r in GUIDELINES]
    assert len(pairs) == len(set(pairs))


# --- the document collection --------------------------------------------------------------------


def test_docs_have_ids_titles_and_100_to_300_words() -> None:
    docs = _load("acme_docs.jsonl")
    assert 15 <= len(docs) <= 25
    assert len(DOCS) == len(docs), "document ids must be unique"
    for doc in docs:
        assert set(doc) == {"id", "title", "text"}
        assert re.fullmatch(r"doc-\d{2}", doc["id"])
        assert doc["title"].strip()
        assert 100 <= len(_words(doc["text"])) <= 300, doc["id"]


def test_docs_agree_with_the_quickstart_facts() -> None:
    text = "\n".join(d["text"] for d in DOCS.values())
    for fact in (
        "port 6380",
        "`acme flush --all` removes every key",
        "at most 512 bytes",
        "every 60 seconds",
        "`acme set KEY VALUE --ttl SECONDS`",
        "least-recently-used (LRU) by default",
        "TLS 1.2 and TLS 1.3",
        "up to 8 replicas",
        "Python, Go and Java",
        "`acme ping`: a healthy server answers PONG",
    ):
        assert fact in text, fact


# --- question answering ---------------------------------------------------------------------------


def test_qa_records_are_complete() -> None:
    for r in QA:
        assert r["inputs"]["question"].endswith("?")
        assert isinstance(r["outputs"], str) and r["outputs"].strip()
        assert r["expectations"]["expected_response"].strip()
        facts = r["expectations"]["expected_facts"]
        assert facts and all(isinstance(f, str) and f.strip() for f in facts)
        assert r["tags"]["difficulty"] in {"easy", "medium", "hard"}
        assert r["tags"]["answer_quality"] in {"correct", "partial", "wrong"}


def test_qa_mixes_right_partly_wrong_and_wrong_answers() -> None:
    quality = Counter(r["tags"]["answer_quality"] for r in QA)
    assert quality["correct"] >= 0.4 * len(QA)
    assert quality["wrong"] >= 0.15 * len(QA)
    assert quality["partial"] >= 5
    assert len({r["tags"]["topic"] for r in QA}) >= 10
    assert set(Counter(r["tags"]["difficulty"] for r in QA)) == {"easy", "medium", "hard"}


def test_qa_source_docs_exist() -> None:
    for r in QA:
        sources = r["tags"]["source_docs"].split(",")
        assert sources and set(sources) <= set(DOCS), r["inputs"]["question"]


def test_every_expected_fact_is_supported_by_its_source_docs() -> None:
    problems = []
    for r in QA:
        sources = r["tags"]["source_docs"].split(",")
        for fact in r["expectations"]["expected_facts"]:
            missing = _unsupported(fact, sources)
            if missing:
                problems.append(f"{r['inputs']['question']!r}: {fact!r} lacks {missing}")
    assert not problems, "\n".join(problems)


def test_a_correct_answer_differs_from_a_wrong_one_in_content() -> None:
    # The answer-quality labels mean something: a 'wrong' answer misses a key term of the
    # expected facts, which a scorer can catch.
    for r in QA:
        if r["tags"]["answer_quality"] != "wrong":
            continue
        answer = _key_terms(r["outputs"])
        facts = r["expectations"]["expected_facts"]
        assert any(not _key_terms(f) <= answer for f in facts), r["inputs"]["question"]


# --- retrieval ----------------------------------------------------------------------------------


def test_retrieval_records_match_the_qa_questions_and_ground_truth() -> None:
    assert len(RETRIEVAL) == len(QA)
    for qa, r in zip(QA, RETRIEVAL, strict=True):
        assert r["inputs"] == qa["inputs"]
        truth = retriever.ground_truth_doc_ids(r)
        assert truth == qa["tags"]["source_docs"].split(",")
        assert set(truth) <= set(DOCS)
        assert r["expectations"]["expected_facts"] == qa["expectations"]["expected_facts"]


def test_retrieved_context_is_ranked_real_documents() -> None:
    for r in RETRIEVAL:
        context = r["outputs"]["retrieved_context"]
        assert len(context) == 5
        scores = [c["score"] for c in context]
        assert scores == sorted(scores, reverse=True)
        for c in context:
            assert c["content"] == DOCS[c["doc_uri"]]["text"]
        assert len({c["doc_uri"] for c in context}) == 5


def test_retriever_reproduces_the_dataset_exactly(tmp_path: Path) -> None:
    out = tmp_path / "acme_retrieval.jsonl"
    assert retriever.write_retrieval_dataset(out) == len(RETRIEVAL)
    assert out.read_bytes() == (DATASETS / "acme_retrieval.jsonl").read_bytes()


def test_retriever_is_right_on_most_queries_but_not_all() -> None:
    top1 = [
        retriever.retrieved_doc_ids(r)[0] in retriever.ground_truth_doc_ids(r) for r in RETRIEVAL
    ]
    top3_precision = {
        sum(d in retriever.ground_truth_doc_ids(r) for d in retriever.retrieved_doc_ids(r)[:3]) / 3
        for r in RETRIEVAL
    }
    assert 0.6 <= sum(top1) / len(top1) < 1.0
    assert len(top3_precision) >= 3, "precision@3 should vary across queries"


def test_retrieve_returns_k_scored_hits_deterministically() -> None:
    hits = retriever.retrieve("Which TLS versions are supported?", k=3)
    assert [set(h) for h in hits] == [{"doc_id", "content", "score"}] * 3
    assert hits[0]["doc_id"] == "doc-12"
    assert hits == retriever.retrieve("Which TLS versions are supported?", k=3)
    assert retriever.retrieve("Which TLS versions are supported?", k=1) == hits[:1]
    with pytest.raises(ValueError, match="k must be at least 1"):
        retriever.retrieve("anything", k=0)


def test_retriever_scores_zero_for_a_query_without_known_words() -> None:
    hits = retriever.retrieve("zebra xylophone", k=2)
    assert [h["score"] for h in hits] == [0.0, 0.0]
    assert [h["doc_id"] for h in hits] == ["doc-01", "doc-02"]  # ties broken by id


def test_legacy_retriever_frame_has_mlflow_columns() -> None:
    frame = retriever.legacy_retriever_frame(RETRIEVAL[:2])
    assert list(frame.columns) == ["question", "retrieved_context", "ground_truth"]
    assert frame.loc[0, "ground_truth"] == retriever.ground_truth_doc_ids(RETRIEVAL[0])
    assert frame.loc[1, "retrieved_context"] == retriever.retrieved_doc_ids(RETRIEVAL[1])


def test_retriever_script_prints_a_summary(capsys: pytest.CaptureFixture[str]) -> None:
    retriever.main([])
    out = capsys.readouterr().out
    assert f"{len(QA)} questions, {len(DOCS)} pages" in out
    assert re.search(r"hit_rate@1\s+0\.\d{3}", out)


# --- summarisation ------------------------------------------------------------------------------


def test_summaries_have_passages_references_and_mixed_candidates() -> None:
    for r in SUMMARIES:
        passage = r["inputs"]["passage"]
        reference = r["expectations"]["expected_response"]
        assert 120 <= len(_words(passage)) <= 250
        assert 0 < len(_words(reference)) < 0.6 * len(_words(passage))
        assert 0 < len(_words(r["outputs"])) < len(_words(passage))
        assert r["tags"]["candidate_quality"] in {"good", "partial", "poor"}
        if r["tags"]["candidate_quality"] != "good":
            assert r["tags"]["note"], "say what is wrong with a weak candidate"
    quality = Counter(r["tags"]["candidate_quality"] for r in SUMMARIES)
    assert min(quality.values()) >= 5
    assert len({r["tags"]["topic"] for r in SUMMARIES}) >= 15


# --- guidelines ---------------------------------------------------------------------------------


def test_guidelines_rows_carry_guidelines_and_a_violation_label() -> None:
    for r in GUIDELINES:
        guidelines = r["expectations"]["guidelines"]
        assert isinstance(guidelines, list) and guidelines
        assert all(isinstance(g, str) and g.strip() for g in guidelines)
        assert r["tags"]["violates"] in {"yes", "no"}
    labels = Counter(r["tags"]["violates"] for r in GUIDELINES)
    assert labels["yes"] >= 8 and labels["no"] >= 8
