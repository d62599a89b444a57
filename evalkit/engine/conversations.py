"""Conversations: the rows that share a session id, in input order, scored as one unit.

A session-level scorer (``@scorer(level="session")``, a scorer that asks for ``session`` or
``conversation``, a judge whose instructions use ``{{ conversation }}``) runs once per
conversation. It may ask for:

* ``session`` -- the conversation's traces, one per turn (``None`` for a turn without one),
  as MLflow's session-level scorers receive them;
* ``conversation`` -- the turns as dicts ``{"inputs", "outputs", "trace"}``, in order;
* ``expectations`` -- the turns' expectations merged in order (a later turn's key wins).

Rows without a session id belong to no conversation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from evalkit.data import EvalRow

__all__ = ["Conversation", "group_conversations"]


@dataclass(frozen=True, slots=True)
class Conversation:
    """The turns of one session, in input order."""

    session_id: str
    """The id the turns share."""
    rows: tuple[EvalRow, ...]
    """The turns."""

    @property
    def first(self) -> int:
        """The index of the conversation's first row (where its outcomes are journaled)."""
        return self.rows[0].index

    def arguments(self) -> dict[str, Any]:
        """Every value a session-level scorer may ask for (see the module docstring)."""
        expectations: dict[str, Any] = {}
        for r in self.rows:
            if r.expectations:
                expectations.update(r.expectations)
        return {
            "session": [r.trace for r in self.rows],
            "conversation": [
                {"inputs": r.inputs, "outputs": r.outputs, "trace": r.trace} for r in self.rows
            ],
            "expectations": expectations or None,
        }


def group_conversations(rows: Sequence[EvalRow]) -> list[Conversation]:
    """The conversations of ``rows``, ordered by their first row."""
    groups: dict[str, list[EvalRow]] = {}
    for r in rows:
        if r.session_id is not None:
            groups.setdefault(r.session_id, []).append(r)
    return [Conversation(session_id=k, rows=tuple(v)) for k, v in groups.items()]
