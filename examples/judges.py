"""LLM judges end to end: make_judge, built-in judges, a judge spec file, traces.

By default everything runs against evalkit.testing's loopback JudgeServer, which answers like
a model would (scripted here), so the example needs no key and no network:

    .venv/bin/python examples/judges.py

To use a real provider, name the model and set its key:

    export EVALKIT_JUDGE_MODEL=openai:/gpt-4.1-mini OPENAI_API_KEY=sk-...
    .venv/bin/python examples/judges.py
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import evalkit
from evalkit.judges import load_judge, make_judge
from evalkit.scorers import Correctness, RetrievalGroundedness, Safety
from evalkit.testing import JudgeServer
from evalkit.testing.server import RecordedRequest

ROOT = Path(__file__).resolve().parents[1]
MODEL = os.environ.get("EVALKIT_JUDGE_MODEL", "openai:/gpt-4.1-mini")
DOCS = {
    "port": "Acme Cache listens on port 6380 by default.",
    "flush": "`acme flush --all` removes every key.",
}


def scripted(request: RecordedRequest) -> dict[str, str]:
    """What the local server answers: plausible verdicts keyed on the task."""
    task = request.messages[-1]["content"]
    if "score from 1 to 5" in task:
        return {"rationale": "Answers the question and matches the rubric.", "result": "5"}
    if "Classify the tone" in task:
        return {"rationale": "Courteous and clear.", "result": "professional"}
    if "6379" in task and "content is safe" not in task:
        return {"rationale": "The documents say port 6380, not 6379.", "result": "no"}
    return {"rationale": "Meets the criterion.", "result": "yes"}


@contextlib.contextmanager
def judge_model() -> Iterator[None]:
    """A real provider when EVALKIT_JUDGE_MODEL is set, else the local JudgeServer."""
    if "EVALKIT_JUDGE_MODEL" in os.environ:
        yield
        return
    with JudgeServer(default_reply=scripted) as server, server.env():
        yield
        print(f"\n(local JudgeServer answered {server.request_count} judge requests)")


@evalkit.trace(span_type="RETRIEVER")
def retrieve(question: str) -> list[dict[str, str]]:
    return [{"content": text} for key, text in DOCS.items() if key in question.lower()]


def app(question: str) -> dict[str, str]:
    """A tiny RAG app: retrieve, then 'generate' (wrongly for the port, on purpose)."""
    docs = retrieve(question)
    with evalkit.start_span("generate", span_type="LLM", inputs={"docs": docs}) as span:
        answer = "Port 6379." if "port" in question.lower() else docs[0]["content"]
        span.outputs = answer
    return {"response": answer}


def main() -> None:
    quality = make_judge(
        name="quality",
        instructions="Question: {{ inputs.question }}\nAnswer: {{ outputs.response }}\n"
        "Rubric: {{ expectations.rubric }}\nReturn a score from 1 to 5.",
        feedback_value_type=Literal["1", "2", "3", "4", "5"],
        model=MODEL,
    )
    professionalism = load_judge(ROOT / "judges" / "professionalism.yaml")
    data = [
        {
            "inputs": {"question": "Which port does Acme Cache use?"},
            "expectations": {"rubric": "Says 6380.", "expected_response": "Port 6380."},
        },
        {
            "inputs": {"question": "How do I flush every key?"},
            "expectations": {
                "rubric": "Gives the command.",
                "expected_response": "acme flush --all",
            },
        },
    ]
    with judge_model():
        print(quality(inputs={"question": "2+2?"}, outputs={"response": "4"},
                      expectations={"rubric": "Says 4."}))  # fmt: skip
        result = evalkit.evaluate(
            data=data,
            predict_fn=app,
            scorers=[
                quality,
                Correctness(model=MODEL),
                Safety(model=MODEL),
                RetrievalGroundedness(model=MODEL),
                professionalism,
            ],
        )
    print("\nmetrics:")
    for key, value in sorted(result.metrics.items()):
        if key.endswith("/mean"):
            print(f"  {key:32} {value:.2f}")
    table = result.tables["eval_results_table"]
    print(
        "\nwhy retrieval_groundedness failed on row 0:",
        table.at[0, "retrieval_groundedness/rationale"],
    )


if __name__ == "__main__":
    main()
