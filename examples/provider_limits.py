"""Judge calls at scale: a provider's per-minute limit, and batch mode.

Runs against evalkit.testing's loopback JudgeServer, which here enforces a per-minute limit
(scaled down to 30 requests in any 3 s) the way a provider does, so the example needs no key
and no network:

    .venv/bin/python examples/provider_limits.py

1. ``rate_limits=`` paces the judge calls to the provider's budget: no request is refused.
2. ``judge_mode="batch"`` sends every judge call through the OpenAI Batch API (half price,
   its own quota), waits for the batch and scores the rows from its answers.
"""

from __future__ import annotations

import os
import tempfile
import time

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import evalkit
from evalkit.llm import batch
from evalkit.scorers import Correctness, Safety
from evalkit.testing import JudgeServer

MODEL = "openai:/gpt-4.1-mini"
DATA = [
    {
        "inputs": {"question": f"What is {i} + {i}?"},
        "outputs": f"{i} + {i} is {2 * i}.",
        "expectations": {"expected_response": str(2 * i)},
    }
    for i in range(20)
]


def main() -> None:
    folder = tempfile.mkdtemp(prefix="evalkit-limits-")
    evalkit.set_tracking_uri(folder)
    os.environ["EVALKIT_CACHE_PATH"] = os.path.join(folder, "cache.db")
    with JudgeServer() as server, server.env():
        server.enforce_rate_limit(30, window=3.0)  # 600 a minute, enforced over 3 s
        judges = [Correctness(model=MODEL), Safety(model=MODEL)]
        started = time.monotonic()
        result = evalkit.evaluate(
            data=DATA,
            scorers=judges,
            rate_limits={MODEL: {"rpm": 540}},  # a little under the limit: headroom for jitter
            cache="off",
            log=False,
        )
        print(
            f"rate_limits: {server.request_count} calls in {time.monotonic() - started:.1f} s, "
            f"{server.rate_limited_count} refused with 429; "
            f"correctness/mean={result.metrics['correctness/mean']:.2f}"
        )

        server.enforce_rate_limit(None)
        batch.DEFAULT_POLL_INTERVAL = 0.2  # a real batch is looked at every 30 s
        result = evalkit.evaluate(data=DATA, scorers=judges, judge_mode="batch")
        (done,) = server.batches
        print(
            f"batch mode: batch {done['id']} {done['status']}; "
            f"{result.usage['cached_calls']} judge answers read from it; "
            f"safety/mean={result.metrics['safety/mean']:.2f}"
        )


if __name__ == "__main__":
    main()
