"""Conversations: the rows that share a session id, in input order, scored as one unit.

A session-level scorer (``@scorer(level="session")``, a scorer that asks for ``session`` or
``conversation``, a judge whose instructions use ``{{ conversation }}``) runs once per
conversation. It may ask for:

* ``session`` -- the conversation's traces, one per turn (``None`` for a turn without one),
  as MLflow's session-level scorers receive them;
* ``conversation`` -- the turns as dicts ``{"inputs", "outputs", "trace"}``, in order;
* ``expectations`` -- the turns' expectations merged in order (a later turn's key wins).

Turns are in the order their traces started (root span start, else the trace's request
time), so a conversation read from ``search_traces()`` (newest first) is in the order it
happened; turns without traces keep their input order. Rows without a session id belong to
no conversation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from evalkit.data import EvalRow
from evalkit.data.traces import root_span

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
        """The smallest row index of the conversation (where its outcomes are journaled)."""
        return min(r.index for r in self.rows)

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


def _started(row: EvalRow) -> int | None:
    """When the turn's trace started, in nanoseconds (``None`` without a trace or a time)."""
    if row.trace is None:
        return None
    root = root_span(row.trace)
    start = getattr(root, "start_time_ns", None)
    if isinstance(start, int) and start > 0:
        return start
    request_time = getattr(getattr(row.trace, "info", None), "request_time", None)
    if isinstance(request_time, int) and request_time > 0:
        return request_time * 1_000_000
    return None


def _in_time_order(turns: list[EvalRow]) -> list[EvalRow]:
    times = [_started(r) for r in turns]
    if len(turns) < 2 or any(t is None for t in times):
        return turns
    order = sorted(range(len(turns)), key=lambda i: (times[i], i))
    return [turns[i] for i in order]


def group_conversations(rows: Sequence[EvalRow]) -> list[Conversation]:
    """The conversations of ``rows`` (ordered by their first row in the input), each with
    its turns in the order they happened."""
    groups: dict[str, list[EvalRow]] = {}
    for r in rows:
        if r.session_id is not None:
            groups.setdefault(r.session_id, []).append(r)
    return [Conversation(session_id=k, rows=tuple(_in_time_order(v))) for k, v in groups.items()]
