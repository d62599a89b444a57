"""Quickstart: evaluate an app's answers with built-in metrics and your own scorers, offline.

Run: .venv/bin/python examples/quickstart.py
"""

from __future__ import annotations

import evalkit
from evalkit import Feedback, scorer
from evalkit.scorers import Bleu, FleschKincaidGradeLevel, Rouge, TokenCount

# Ten questions about a fictional product, the app's answers, and the ground truth.
DATA = [
    {
        "inputs": {"question": "What port does Acme Cache listen on by default?"},
        "outputs": "Acme Cache listens on port 6380 by default.",
        "expectations": {"expected_response": "Acme Cache listens on port 6380 by default."},
    },
    {
        "inputs": {"question": "Which command flushes every key?"},
        "outputs": "Run `acme flush --all` to remove every key.",
        "expectations": {"expected_response": "Run `acme flush --all`."},
    },
    {
        "inputs": {"question": "What is the maximum key size?"},
        "outputs": "Keys can be up to 512 bytes long.",
        "expectations": {"expected_response": "Keys can be up to 512 bytes long."},
    },
    {
        "inputs": {"question": "Does Acme Cache persist data to disk?"},
        "outputs": "Yes, when snapshotting is enabled it writes a snapshot every 60 seconds.",
        "expectations": {"expected_response": "Only with snapshotting on: every 60 seconds."},
    },
    {
        "inputs": {"question": "How do I set a key that expires?"},
        "outputs": "I am not sure.",
        "expectations": {"expected_response": "Use `acme set KEY VALUE --ttl SECONDS`."},
    },
    {
        "inputs": {"question": "What eviction policy is the default?"},
        "outputs": "The default eviction policy is least-recently-used (LRU).",
        "expectations": {
            "expected_response": "The default eviction policy is least-recently-used (LRU)."
        },
    },
    {
        "inputs": {"question": "Which TLS versions are supported?"},
        "outputs": "TLS 1.2 and TLS 1.3.",
        "expectations": {"expected_response": "TLS 1.2 and TLS 1.3."},
    },
    {
        "inputs": {"question": "How many replicas can a primary have?"},
        "outputs": "A primary can have any number of replicas.",
        "expectations": {"expected_response": "A primary can have up to 8 replicas."},
    },
    {
        "inputs": {"question": "What language are client libraries written in?"},
        "outputs": "There are official clients for Python, Go and Java.",
        "expectations": {"expected_response": "Official clients exist for Python, Go and Java."},
    },
    {
        "inputs": {"question": "How do I check the server's health?"},
        "outputs": "Call `acme ping`; a healthy server answers PONG.",
        "expectations": {"expected_response": "Run `acme ping`; it answers PONG."},
    },
]


@scorer
def exact_match(outputs: str, expectations: dict) -> bool:
    """The answer is exactly the expected response."""
    return outputs.strip() == expectations["expected_response"].strip()


@scorer(aggregations=["mean", "min", "max", "p90"])
def answer_length(outputs: str) -> int:
    """Words in the answer."""
    return len(outputs.split())


@scorer
def word_overlap(outputs: str, expectations: dict) -> Feedback:
    """Share of the expected response's words that the answer contains."""
    expected = set(expectations["expected_response"].lower().split())
    got = set(outputs.lower().split())
    overlap = len(expected & got) / len(expected)
    missing = sorted(expected - got)
    return Feedback(value=round(overlap, 3), rationale=f"missing: {' '.join(missing) or 'nothing'}")


@scorer
def admits_not_knowing(outputs: str) -> str:
    """A label: does the app say it does not know?"""
    return "hedges" if "not sure" in outputs.lower() else "answers"


def main() -> None:
    builtin = [
        Rouge(rouge_type="rougeL"),  # MLflow's rougeL: the values rouge-score gives
        Bleu(),
        FleschKincaidGradeLevel(),
        TokenCount(),  # tiktoken's cl100k_base, read from files already installed
    ]
    result = evalkit.evaluate(
        data=DATA,
        scorers=[exact_match, answer_length, word_overlap, admits_not_knowing, *builtin],
    )
    print("Metrics")
    for key, value in result.metrics.items():
        if key.endswith(("/count", "/error_count")):
            continue
        print(f"  {key:36} {value:.3f}")
    table = result.tables["eval_results_table"]
    print("\nPer-row table (first 5 rows)")
    columns = ["exact_match/value", "word_overlap/value", "rougeL/value", "bleu/value"]
    print(table[columns].head().to_string())
    print(f"\nLogged as run {result.run_id} to {evalkit.get_tracking_uri()}")
    print(f"Look at it: evalkit runs show {result.run_id} --rows 10")
    print("            evalkit ui    (every run, in the browser)")
    print(f"            evalkit report {result.run_id} -o report.html")


if __name__ == "__main__":
    main()
