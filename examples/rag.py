"""RAG evaluation: a traced predict_fn that retrieves and answers, scored for retrieval and
groundedness.

The app retrieves Acme Cache pages with the example TF-IDF retriever (a RETRIEVER span),
then answers extractively with the page sentence that best matches the question (an LLM
span) — or, when nothing matches well, guesses from "memory", which is what groundedness
judges catch. Retrieval precision/recall/NDCG@3 come from the trace; RetrievalGroundedness
reads the retrieved context from the same trace.

By default the judge is evalkit.testing's loopback JudgeServer with a scripted verdict (the
answer is grounded when it is a sentence of the retrieved context), so the example needs no
key and no network:

    .venv/bin/python examples/rag.py

With a real provider, the judge is a real model:

    export EVALKIT_JUDGE_MODEL=openai:/gpt-4.1-mini OPENAI_API_KEY=sk-...
    .venv/bin/python examples/rag.py
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import evalkit
from evalkit import Feedback, scorer
from evalkit.scorers import RetrievalGroundedness
from evalkit.scorers.retrieval import ndcg_at_k, precision_at_k, recall_at_k
from evalkit.testing import JudgeServer
from evalkit.testing.server import RecordedRequest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from acme_retriever import retrieve as tfidf_retrieve

ROOT = Path(__file__).resolve().parents[1]
MODEL = os.environ.get("EVALKIT_JUDGE_MODEL", "openai:/gpt-4.1-mini")
K = 3


@evalkit.trace(span_type="RETRIEVER")
def retrieve(question: str) -> list[dict[str, Any]]:
    """The K best pages, in MLflow's retrieved-context shape."""
    return [
        {"doc_uri": hit["doc_id"], "content": hit["content"], "score": hit["score"]}
        for hit in tfidf_retrieve(question, k=K)
    ]


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9`-]+", text.lower()) if len(w) > 3}


def answer(question: str) -> str:
    """The app under test: retrieve, then answer with the best-matching sentence."""
    docs = retrieve(question)
    with evalkit.start_span("generate", span_type="LLM", inputs={"question": question}) as span:
        wanted = _words(question)
        sentences = [s for d in docs for s in re.split(r"(?<=[.!?])\s+", d["content"])]
        best = max(sentences, key=lambda s: len(wanted & _words(s)))
        if len(wanted & _words(best)) < 2:  # nothing fits: the "model" guesses from memory
            best = "By default this is handled automatically every 10 seconds."
        span.outputs = best
    return best


@scorer
def retrieval(trace: Any, expectations: dict[str, Any]) -> list[Feedback]:
    """Precision, recall and NDCG of the retrieved page ids at K, read from the trace."""
    (span,) = trace.search_spans(span_type="RETRIEVER")
    retrieved = [doc["doc_uri"] for doc in span.outputs]
    relevant = [doc["doc_uri"] for doc in expectations["expected_retrieved_context"]]
    return [
        Feedback(name=f"precision_at_{K}", value=precision_at_k(retrieved, relevant, K)),
        Feedback(name=f"recall_at_{K}", value=recall_at_k(retrieved, relevant, K)),
        Feedback(name=f"ndcg_at_{K}", value=ndcg_at_k(retrieved, relevant, K)),
    ]


def _data_block(task: str, heading: str) -> str:
    match = re.search(rf"{heading}:\n<data>(.*?)</data>", task, re.S)
    return match.group(1) if match else ""


def scripted_judge(request: RecordedRequest) -> dict[str, str]:
    """The local server's verdict: grounded when the response is a sentence of the context."""
    task = request.messages[-1]["content"]
    response = _data_block(task, "Response").strip()
    context = _data_block(task, "Retrieved context")
    if response and response in context:
        return {"rationale": "The response is stated in the retrieved context.", "result": "yes"}
    return {"rationale": "The retrieved context does not state this.", "result": "no"}


@contextlib.contextmanager
def judge_model() -> Iterator[None]:
    """A real provider when EVALKIT_JUDGE_MODEL is set, else the local JudgeServer."""
    if "EVALKIT_JUDGE_MODEL" in os.environ:
        yield
        return
    with JudgeServer(default_reply=scripted_judge) as server, server.env():
        yield


def main() -> None:
    with (ROOT / "datasets" / "acme_retrieval.jsonl").open() as fh:
        records = [json.loads(line) for line in fh]
    # The app produces outputs and traces itself: keep the questions and the ground truth.
    data = [{"inputs": r["inputs"], "expectations": r["expectations"]} for r in records]
    with judge_model():
        result = evalkit.evaluate(
            data=data,
            predict_fn=answer,
            scorers=[retrieval, RetrievalGroundedness(model=MODEL)],
        )
    print(f"RAG app over {len(data)} questions (retriever k={K})\n")
    for key in (
        f"precision_at_{K}/mean",
        f"recall_at_{K}/mean",
        f"ndcg_at_{K}/mean",
        "retrieval_groundedness/mean",
        "retrieval_groundedness/error_count",
    ):
        print(f"  {key:36} {result.metrics[key]:.3f}")
    table = result.tables["eval_results_table"]
    ungrounded = table[table["retrieval_groundedness/value"] == "no"]
    print(f"\n{len(ungrounded)} answers not grounded in their context, e.g.:")
    for _, row in ungrounded.head(3).iterrows():
        print(f"  Q: {row['inputs']['question']}\n  A: {row['outputs']}")
    print(f"\nlogged to run {result.run_id}")


if __name__ == "__main__":
    main()
