"""``KnowledgeRetention``: does the assistant keep what the user told it earlier?"""

from __future__ import annotations

from typing import Any

from evalkit.entities import Feedback
from evalkit.judges.base import Judge
from evalkit.judges.builtin._common import YES_NO
from evalkit.judges.conversation._common import prompt, turns
from evalkit.scorers.registry import builtin

__all__ = ["KnowledgeRetention"]


@builtin("KnowledgeRetention", kind="judge", mlflow_key="knowledge_retention")
class KnowledgeRetention(Judge):
    """Whether the assistant's later answers keep the facts and preferences the user gave in
    earlier turns: it does not ask for them again or contradict them (``"yes"``/``"no"``)."""

    def score(self, *, conversation: Any) -> Feedback:
        task = prompt("knowledge_retention", "conversation").render(
            {"conversation": turns(conversation, self.name)}
        )
        return self._assess(task, YES_NO)
