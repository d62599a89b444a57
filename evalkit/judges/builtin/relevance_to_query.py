"""``RelevanceToQuery``: does the response address the request?"""

from __future__ import annotations

from typing import Any

from evalkit.entities import Feedback
from evalkit.judges.base import Judge
from evalkit.judges.builtin._common import YES_NO, BuiltinPrompt
from evalkit.judges.record_text import request_text, response_text
from evalkit.scorers.registry import builtin

__all__ = ["PROMPT", "RelevanceToQuery"]

PROMPT = BuiltinPrompt("relevance_to_query", ("request", "response"))
"""``relevance_to_query.jinja``."""


@builtin("RelevanceToQuery", kind="judge", mlflow_key="relevance_to_query")
class RelevanceToQuery(Judge):
    """Whether the response addresses the request (relevance, not correctness)."""

    def score(self, *, inputs: Any, outputs: Any) -> Feedback:
        """Judge one record."""
        task = PROMPT.render(request=request_text(inputs), response=response_text(outputs))
        return self._assess(task, YES_NO)
