"""A minimal LLM judge over :func:`evalkit.judges.client.complete`, for reliability tests.

The built-in judges live in another module; these tests need only "a scorer that makes one
model call per row with a template", which keeps them independent of the judges' prompts.
"""

from __future__ import annotations

import json
from typing import Any

from evalkit import scorer
from evalkit.judges.client import complete
from evalkit.scorers.base import Scorer
from evalkit.testing.server import RecordedRequest

MODEL = "openai:/gpt-4.1-mini"


def mini_judge(
    name: str,
    template: str = "Is this answer right? Q: {q} A: {a}",
    *,
    model: str = MODEL,
    temperature: float = 0.0,
) -> Scorer:
    """A judge scorer: renders ``template`` with the row, asks ``model``, reads ``result``."""

    @scorer(name=name)
    def judge(inputs: dict[str, Any], outputs: Any) -> bool:
        prompt = template.format(q=inputs["question"], a=outputs)
        answer = complete(
            model,
            [{"role": "user", "content": f"[{name}] {prompt}"}],
            parameters={"temperature": temperature},
            initial_backoff=0.01,
            max_backoff=0.02,
            timeout=5.0,
        )
        return json.loads(answer.text)["result"] == "yes"

    return judge


def verdict(request: RecordedRequest) -> dict[str, str]:
    """The server's answer: "yes" when the row number in the prompt is even."""
    digits = "".join(c for c in request.prompt.split("Q:", 1)[-1] if c.isdigit())
    return {"result": "yes" if int(digits or 0) % 2 == 0 else "no", "rationale": "rule"}


def rows(n: int) -> list[dict[str, Any]]:
    """``n`` records whose questions name their row."""
    return [{"inputs": {"question": f"q{i}"}, "outputs": f"answer {i}"} for i in range(n)]
