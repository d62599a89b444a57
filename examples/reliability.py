"""Never pay twice, never lose a row: cost estimate, an outage, resume, the cache, a budget.

Runs two judges over the QA set against evalkit.testing's loopback JudgeServer, which plays
a provider whose first requests fail (an outage), so it needs no key and no network:

    .venv/bin/python examples/reliability.py

The runs and the call cache go to a throwaway store, so every run of the script starts cold.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import evalkit
from evalkit.judges import make_judge
from evalkit.scorers import Correctness
from evalkit.testing import JudgeServer
from evalkit.testing.server import RecordedRequest

ROOT = Path(__file__).resolve().parents[1]
MODEL = "openai:/gpt-4.1-mini"
DATA = [
    record
    for record in map(json.loads, (ROOT / "datasets" / "acme_qa.jsonl").open())
    if record["tags"]["difficulty"] == "easy"
]
# Quick retries: the outage below is scripted, a real provider's needs the default back-off.
FAST_RETRIES = {"max_retries": 1, "initial_backoff": 0.01, "max_backoff": 0.02}


def verdict(request: RecordedRequest) -> dict[str, Any]:
    """The local model: a wrong answer is one the dataset's tags call wrong."""
    wrong = any(r["outputs"] in request.prompt for r in DATA if _is_wrong(r))
    if "at most three sentences" in request.prompt:
        return {"result": True, "rationale": "One or two sentences."}
    return {"result": "no" if wrong else "yes", "rationale": "Compared with the expected facts."}


def _is_wrong(record: dict[str, Any]) -> bool:
    return record["tags"]["answer_quality"] != "correct"


def judges() -> list[Any]:
    correctness = Correctness(model=MODEL, call_options=FAST_RETRIES)
    concise = make_judge(
        name="concise",
        instructions="Is this answer concise (at most three sentences)? {{ outputs }}",
        feedback_value_type=bool,
        model=MODEL,
    )
    concise.call_options = FAST_RETRIES
    return [correctness, concise]


def line(title: str, result: evalkit.EvaluationResult, server: JudgeServer) -> None:
    usage = result.usage
    m = result.metrics
    print(
        f"{title:<34} correctness {m.get('correctness/mean', float('nan')):.3f} "
        f"({m.get('correctness/error_count', 0):.0f} errors)  concise "
        f"{m.get('concise/mean', float('nan')):.3f}  | {usage['judge_calls']:>3} calls, "
        f"{usage['cached_calls']:>3} cached, ${usage['cost']:.4f}  | server saw "
        f"{server.request_count} requests"
    )


def main() -> None:
    with (
        tempfile.TemporaryDirectory() as store,
        JudgeServer(default_reply=verdict) as server,
        server.env(),
    ):
        evalkit.set_tracking_uri(store)
        print(f"{len(DATA)} rows x 2 judges ({MODEL} on the local JudgeServer)\n")

        estimate = evalkit.estimate(DATA, judges())
        print(
            f"estimate before running: {estimate['judge_calls']} calls, "
            f"{estimate['input_tokens']:,} prompt tokens, about ${estimate['cost']:.4f}\n"
        )

        server.inject("server_error", first=20)  # the provider is down for 20 requests
        first = evalkit.evaluate(DATA, judges(), progress=False)
        line("1. during an outage", first, server)

        resumed = evalkit.evaluate(
            DATA, judges(), resume=first.run_id, retry_errors=True, progress=False
        )
        line("2. resumed, retrying the errors", resumed, server)

        again = evalkit.evaluate(DATA, judges(), progress=False)
        line("3. the same evaluation again", again, server)
        assert again.metrics == resumed.metrics  # identical, and not one new request

        budget = evalkit.evaluate(DATA, judges(), cache="off", max_cost=0.002, progress=False)
        line("4. cache off, max_cost=$0.002", budget, server)
        print(
            f"   {budget.usage['budget_refused']} (row, judge) pairs were left unscored "
            f"(error code BUDGET_EXCEEDED); resume with retry_errors=True to score them"
        )

        assert first.run_id is not None
        run = evalkit.get_run(first.run_id)
        print(
            f"\nrun {first.run_id}: status {run.info.status}, usage/judge_calls "
            f"{run.data.metrics['usage/judge_calls']:.0f}, usage/cost "
            f"${run.data.metrics['usage/cost']:.4f} (both parts of the resumed run)"
        )


if __name__ == "__main__":
    main()
