"""``Correctness``: is the response correct, judged against the record's ground truth?"""

from __future__ import annotations

from typing import Any

from evalkit.entities import Feedback
from evalkit.judges.base import Judge
from evalkit.judges.builtin._common import YES_NO, BuiltinPrompt, ground_truth
from evalkit.judges.record_text import request_text, response_text
from evalkit.scorers.registry import builtin

__all__ = ["PROMPT", "Correctness"]

PROMPT = BuiltinPrompt(
    "correctness", ("request", "response", "expected_facts", "expected_response")
)
"""``correctness.jinja``; also asked by :func:`evalkit.judges.is_correct`."""


@builtin("Correctness", kind="judge", mlflow_key="correctness")
class Correctness(Judge):
    """Whether the response is correct, judged against ``expectations["expected_facts"]`` or
    ``expectations["expected_response"]``."""

    def score(self, *, inputs: Any, outputs: Any, expectations: Any) -> Feedback:
        """Judge one record; its expectations hold the ground truth."""
        task = PROMPT.render(
            request=request_text(inputs),
            response=response_text(outputs),
            **ground_truth(expectations, self.name),
        )
        return self._assess(task, YES_NO)
