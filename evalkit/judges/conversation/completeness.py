"""``ConversationCompleteness``: did the assistant address every request the user made?"""

from __future__ import annotations

from typing import Any

from evalkit.entities import Feedback
from evalkit.judges.base import Judge
from evalkit.judges.builtin._common import YES_NO
from evalkit.judges.conversation._common import prompt, turns
from evalkit.scorers.registry import builtin

__all__ = ["ConversationCompleteness"]


@builtin("ConversationCompleteness", kind="judge", mlflow_key="conversation_completeness")
class ConversationCompleteness(Judge):
    """Whether, by the end of the conversation, every request the user made was addressed
    (``"yes"``/``"no"``)."""

    def score(self, *, conversation: Any) -> Feedback:
        task = prompt("completeness", "conversation").render(
            {"conversation": turns(conversation, self.name)}
        )
        return self._assess(task, YES_NO)
