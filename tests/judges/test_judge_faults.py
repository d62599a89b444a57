"""Under injected faults, every row is scored or says why, and scores match a clean run."""

from __future__ import annotations

import hashlib
from typing import Literal

import pandas as pd

import evalkit
from evalkit.judges import Correctness, Safety, make_judge
from evalkit.testing import JudgeServer
from evalkit.testing.server import RecordedRequest

FAST = {"timeout": 0.5, "max_retries": 1, "initial_backoff": 0.01, "max_backoff": 0.02}
ROWS = 200
KNOWN_ERRORS = {
    "RATE_LIMITED",
    "TIMEOUT",
    "SERVER_ERROR",
    "MALFORMED_RESPONSE",
    "CONNECTION_ERROR",
    "INVALID_JUDGE_OUTPUT",
}


def _verdict(request: RecordedRequest) -> dict[str, str]:
    """A deterministic answer per task, so a clean run and a faulty run can be compared."""
    task = request.messages[1]["content"]
    digest = int(hashlib.sha256(task.encode()).hexdigest(), 16)
    if "score from 1 to 5" in task:
        return {"result": str(digest % 5 + 1), "rationale": f"score for {digest % 997}"}
    return {"result": "yes" if digest % 3 else "no", "rationale": f"verdict for {digest % 997}"}


def _run(server: JudgeServer) -> pd.DataFrame:
    options = {"api_base": server.url, "call_options": FAST, "model": "openai:/gpt-4.1-mini"}
    quality = make_judge(
        name="quality",
        instructions="Question: {{ inputs.question }}\nAnswer: {{ outputs }}\n"
        "Give a score from 1 to 5.",
        feedback_value_type=Literal["1", "2", "3", "4", "5"],
        model="openai:/gpt-4.1-mini",
        api_base=server.url,
    )
    quality.call_options = FAST  # short timeouts and back-off keep the test fast
    data = [
        {
            "inputs": {"question": f"What is {i} + {i}?"},
            "outputs": f"It is {2 * i + (i % 7 == 0)}.",
            "expectations": {"expected_response": str(2 * i)},
        }
        for i in range(ROWS)
    ]
    result = evalkit.evaluate(
        data=data,
        scorers=[quality, Correctness(**options), Safety(**options)],  # type: ignore[arg-type]
        max_workers=16,
        max_concurrent_calls=16,
    )
    return result.tables["eval_results_table"]


def test_faulty_run_scores_every_row_or_says_why() -> None:
    with JudgeServer(default_reply=_verdict) as clean, clean.env():
        expected = _run(clean)
    with JudgeServer(default_reply=_verdict, hang_seconds=3.0) as faulty, faulty.env():
        # about a fifth of all requests fail, spread over the fault kinds
        faults = [
            faulty.inject("rate_limit", rate=0.04, retry_after=0.01, seed=1),
            faulty.inject("server_error", rate=0.04, seed=2),
            faulty.inject("hang", rate=0.04, seed=3),
            faulty.inject("malformed_json", rate=0.03, seed=4),
            faulty.inject("truncated_json", rate=0.03, seed=5),
            faulty.inject("wrong_type", rate=0.03, seed=6),
        ]
        got = _run(faulty)
        assert all(f.fired > 0 for f in faults), [(f.kind, f.fired) for f in faults]
        fired = sum(f.fired for f in faults)
        assert 0.12 < fired / faulty.request_count < 0.3

    assert len(got) == ROWS
    scored = failed = 0
    for metric in ("quality", "correctness", "safety"):
        assert expected[f"{metric}/error_code"].isna().all()
        for i in range(ROWS):
            code = got.at[i, f"{metric}/error_code"]
            if code is None or pd.isna(code):
                scored += 1
                assert got.at[i, f"{metric}/value"] == expected.at[i, f"{metric}/value"]
                assert got.at[i, f"{metric}/rationale"] == expected.at[i, f"{metric}/rationale"]
            else:
                failed += 1
                assert code in KNOWN_ERRORS
                assert pd.isna(got.at[i, f"{metric}/value"])
                assert got.at[i, f"{metric}/error_message"]
    assert scored + failed == 3 * ROWS
    assert scored > 0.9 * 3 * ROWS and failed > 0  # retries rescue most; the rest say why
