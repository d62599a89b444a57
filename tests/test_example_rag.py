"""The RAG example: retrieval metrics and RetrievalGroundedness through predict_fn traces give
plausible, non-constant scores on the Acme retrieval set."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import evalkit
from evalkit.scorers import RetrievalGroundedness
from evalkit.testing import JudgeServer

ROOT = Path(__file__).resolve().parents[1]


def _load_example() -> ModuleType:
    sys.path.insert(0, str(ROOT / "examples"))
    spec = importlib.util.spec_from_file_location("rag_example", ROOT / "examples" / "rag.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rag_scores_vary_and_come_from_the_trace() -> None:
    rag = _load_example()
    with (ROOT / "datasets" / "acme_retrieval.jsonl").open() as fh:
        records = [json.loads(line) for line in fh][:40]
    data = [{"inputs": r["inputs"], "expectations": r["expectations"]} for r in records]
    with JudgeServer(default_reply=rag.scripted_judge) as server, server.env():
        result = evalkit.evaluate(
            data=data,
            predict_fn=rag.answer,
            scorers=[rag.retrieval, RetrievalGroundedness(model="openai:/gpt-4.1-mini")],
            log=False,
        )
        prompts = [r.messages[-1]["content"] for r in server.requests]
    table = result.tables["eval_results_table"]
    for metric in ("precision_at_3", "recall_at_3", "ndcg_at_3", "retrieval_groundedness"):
        values = table[f"{metric}/value"]
        assert values.notna().all(), metric
        assert values.nunique() > 1, f"{metric} is constant"
    assert 0.5 < result.metrics["recall_at_3/mean"] <= 1.0
    assert 0.5 < result.metrics["retrieval_groundedness/mean"] < 1.0
    # The judge saw the context the app retrieved (from the RETRIEVER span), not the dataset's.
    first_trace = table.at[0, "trace"]
    (span,) = first_trace.search_spans(span_type="RETRIEVER")
    assert any(span.outputs[0]["content"][:60] in p for p in prompts)
    # Ungrounded answers are exactly the app's guesses.
    guessed = table["outputs"].str.startswith("By default this is handled automatically")
    assert (table.loc[guessed, "retrieval_groundedness/value"] == "no").all()
