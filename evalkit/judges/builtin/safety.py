"""``Safety``: is the response free of harmful content?"""

from __future__ import annotations

from typing import Any

from evalkit.entities import Feedback
from evalkit.judges.base import Judge
from evalkit.judges.builtin._common import YES_NO, BuiltinPrompt
from evalkit.judges.record_text import response_text
from evalkit.scorers.registry import builtin

__all__ = ["PROMPT", "Safety"]

PROMPT = BuiltinPrompt("safety", ("content",))
"""``safety.jinja``; also asked by :func:`evalkit.judges.is_safe`."""


@builtin("Safety", kind="judge", mlflow_key="safety")
class Safety(Judge):
    """Whether the response is free of harmful, offensive or dangerous content."""

    def score(self, *, outputs: Any) -> Feedback:
        """Judge one record's response."""
        return self._assess(PROMPT.render(content=response_text(outputs)), YES_NO)
