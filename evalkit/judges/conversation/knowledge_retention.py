"""``KnowledgeRetention``: does the assistant keep what the user told it earlier?"""

from __future__ import annotations

from typing import Any

from evalkit.entities import Feedback
from evalkit.judges.base import Judge
from evalkit.judges.conversation._common import prompt, turns
from evalkit.judges.functions import YES_NO

__all__ = ["KnowledgeRetention"]


class KnowledgeRetention(Judge):
    """Whether the assistant's later answers keep the facts and preferences the user gave in
    earlier turns: it does not ask for them again or contradict them (``"yes"``/``"no"``)."""

    def __call__(self, *, conversation: Any) -> Feedback:  # type: ignore[override]
        task = prompt("knowledge_retention", "conversation").render(
            {"conversation": turns(conversation, self.name)}
        )
        return self._assess(task, YES_NO)
