"""``ConversationCompleteness``: did the assistant address every request the user made?"""

from __future__ import annotations

from typing import Any

from evalkit.entities import Feedback
from evalkit.judges.base import Judge
from evalkit.judges.conversation._common import prompt, turns
from evalkit.judges.functions import YES_NO

__all__ = ["ConversationCompleteness"]


class ConversationCompleteness(Judge):
    """Whether, by the end of the conversation, every request the user made was addressed
    (``"yes"``/``"no"``)."""

    def __call__(self, *, conversation: Any) -> Feedback:  # type: ignore[override]
        task = prompt("completeness", "conversation").render(
            {"conversation": turns(conversation, self.name)}
        )
        return self._assess(task, YES_NO)
