"""What the conversation judges share: their prompt files and the conversation they read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from evalkit.errors import JudgeError
from evalkit.judges.templates import Template, Turns, packaged_template

__all__ = ["prompt", "turns"]


def prompt(name: str, *variables: str) -> Template:
    """The template ``<name>.jinja`` of this package, allowing ``variables``."""
    return packaged_template(__package__ or "evalkit.judges.conversation", name, variables)


def turns(conversation: Any, judge: str) -> Turns:
    """The conversation's turns, checked: a non-empty list of ``{"inputs", "outputs"}``.

    Raises:
        JudgeError: ``conversation`` is not a list of turn dicts.
    """
    if not isinstance(conversation, Sequence) or isinstance(conversation, str | bytes):
        raise JudgeError(
            f"{judge} scores a conversation: pass conversation=[{{'inputs': ..., 'outputs': "
            "...}, ...] (evaluate() does, for records that share a session_id)"
        )
    if not conversation or not all(isinstance(t, Mapping) for t in conversation):
        raise JudgeError(f"{judge}: the conversation must be a non-empty list of turn dicts")
    return Turns(conversation)
