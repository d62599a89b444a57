"""The MLflow legacy form: evaluate(data, targets=..., predictions=..., model_type=...), offline.

Code written for ``mlflow.evaluate`` runs by changing the import; results are keyed as MLflow
writes them. Two use cases: a question-answering app's answers, and a retriever's documents.

Run: .venv/bin/python examples/legacy_evaluate.py
"""

from __future__ import annotations

import logging

import pandas as pd

import evalkit

# The toxicity metric of MLflow's preset needs an optional model; without it, one line says
# how to provide it and every other metric is computed.
logging.basicConfig(format="note: %(message)s", level=logging.WARNING)


def question_answering() -> None:
    eval_data = pd.DataFrame(
        {
            "inputs": ["What is MLflow?", "What is Spark?"],
            "ground_truth": [
                "MLflow is an open-source platform for the ML lifecycle.",
                "Apache Spark is an open-source, distributed computing system.",
            ],
            "predictions": [
                "MLflow is an open-source ML platform.",
                "Spark is a distributed engine.",
            ],
        }
    )
    results = evalkit.evaluate(
        data=eval_data,
        targets="ground_truth",
        predictions="predictions",
        model_type="question-answering",
        extra_metrics=[evalkit.metrics.rougeL(), evalkit.metrics.bleu()],
    )
    print("Question answering: metrics")
    for key, value in results.metrics.items():
        print(f"  {key:40} {value:.4f}")
    table = results.tables["eval_results_table"]
    print("\nPer-row table")
    print(table.drop(columns=["toxicity/v1/error_message"], errors="ignore").to_string())


def retriever() -> None:
    # A toy retriever over document IDs; evalkit calls it with the DataFrame of inputs.
    index = {
        "reset password": ["doc-auth", "doc-faq", "doc-billing", "doc-sso", "doc-api"],
        "export data": ["doc-export", "doc-api", "doc-faq", "doc-limits", "doc-auth"],
        "pricing tiers": ["doc-faq", "doc-billing", "doc-plans", "doc-api", "doc-export"],
    }

    def retrieve(df: pd.DataFrame) -> list[list[str]]:
        return [index[q] for q in df["question"]]

    data = pd.DataFrame(
        {
            "question": list(index),
            "relevant_docs": [
                ["doc-auth", "doc-sso"],
                ["doc-export"],
                ["doc-plans", "doc-billing"],
            ],
        }
    )
    results = evalkit.evaluate(
        model=retrieve,
        data=data,
        targets="relevant_docs",
        model_type="retriever",
        evaluator_config={"retriever_k": 5},
    )
    print("\nRetriever: metrics")
    for key, value in results.metrics.items():
        print(f"  {key:40} {value:.4f}")
    table = results.tables["eval_results_table"]
    print("\nPer-row table")
    print(table[["question", "precision_at_5/score", "recall_at_5/score", "ndcg_at_5/score"]])


if __name__ == "__main__":
    question_answering()
    retriever()
