"""``RoleAdherence``: does the assistant stay in the role it was given?"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from evalkit.entities import Feedback
from evalkit.errors import JudgeError
from evalkit.judges.base import Judge
from evalkit.judges.builtin._common import YES_NO
from evalkit.judges.conversation._common import prompt, turns
from evalkit.judges.templates import _Plain
from evalkit.scorers.registry import builtin

__all__ = ["RoleAdherence"]


def _system_message(conversation: Any) -> str | None:
    inputs = conversation[0].get("inputs") if conversation else None
    messages = inputs.get("messages") if isinstance(inputs, Mapping) else None
    if isinstance(messages, list):
        for m in messages:
            if isinstance(m, Mapping) and m.get("role") == "system":
                return str(m.get("content", ""))
    return None


@builtin("RoleAdherence", kind="judge", mlflow_key="role_adherence")
class RoleAdherence(Judge):
    """Whether every assistant turn stays within its role (persona, scope, rules):
    ``"yes"``/``"no"``.

    The role is ``role`` when given (the same for every conversation), else the
    conversation's ``expectations["role"]``, else the system message of its first turn's
    ``inputs["messages"]``.

    Args:
        role: The assistant's role, in plain language.
    """

    role: str | None = None
    """The role every conversation is held to (``None``: read it per conversation)."""

    def score(self, *, conversation: Any, expectations: Any = None) -> Feedback:
        trusted = self.role is not None
        role = self.role
        if role is None and isinstance(expectations, Mapping):
            role = expectations.get("role")
        if role is None:
            role = _system_message(conversation)
        if not isinstance(role, str) or not role.strip():
            raise JudgeError(
                f"{self.name} needs the assistant's role: RoleAdherence(role=...), "
                "expectations['role'] on a turn, or a system message in the first turn's "
                "inputs['messages']"
            )
        task = prompt("role_adherence", "role", "conversation").render(
            # a configured role is the author's text; a row's own role stays delimited data
            {
                "role": _Plain(role) if trusted else role,
                "conversation": turns(conversation, self.name),
            }
        )
        return self._assess(task, YES_NO)
