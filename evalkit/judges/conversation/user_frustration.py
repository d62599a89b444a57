"""``UserFrustration``: did the user get frustrated, and was it resolved?"""

from __future__ import annotations

from typing import Any, Literal

from evalkit.entities import Feedback
from evalkit.judges.base import Judge
from evalkit.judges.conversation._common import prompt, turns
from evalkit.scorers.registry import builtin

__all__ = ["FRUSTRATION", "UserFrustration"]

FRUSTRATION = Literal["none", "resolved", "unresolved"]
"""The verdicts: no frustration, frustration the assistant resolved, or frustration left."""


@builtin("UserFrustration", kind="judge", mlflow_key="user_frustration")
class UserFrustration(Judge):
    """Whether the user showed frustration: ``"none"``, ``"resolved"`` (the assistant
    recovered) or ``"unresolved"`` (still frustrated at the end). Aggregated as a count per
    verdict (``user_frustration/count/unresolved``)."""

    def score(self, *, conversation: Any) -> Feedback:
        task = prompt("user_frustration", "conversation").render(
            {"conversation": turns(conversation, self.name)}
        )
        return self._assess(task, FRUSTRATION)
