"""``PairwisePreference``: which of two responses to one request is better (A, B or tie)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from evalkit.judges.builtin._common import BuiltinPrompt, bullets
from evalkit.judges.pairwise import PairwiseJudge
from evalkit.judges.record_text import request_text, response_text
from evalkit.judges.templates import trusted
from evalkit.scorers.registry import builtin

__all__ = ["PROMPT", "PairwisePreference"]

PROMPT = BuiltinPrompt("pairwise_preference", ("request", "response_a", "response_b", "criteria"))
"""``pairwise_preference.jinja``."""


@builtin("PairwisePreference", kind="judge")
class PairwisePreference(PairwiseJudge):
    """Which of two responses to one request is better: ``"A"``, ``"B"`` or ``"tie"``.

    Asked twice with the responses swapped (see :mod:`evalkit.judges.pairwise`); a
    preference that flips with the positions is a tie.

    Args:
        criteria: What makes a response better (a string or a list of criteria); default:
            correct, complete and helpful.
    """

    criteria: str | Sequence[str] | None = None
    """What makes a response better."""

    def task(self, *, inputs: Any, first: Any, second: Any, expectations: Any = None) -> str:
        """The task with ``first`` as response A and ``second`` as response B."""
        criteria = self.criteria
        if criteria is not None and not isinstance(criteria, str):
            criteria = bullets(list(criteria))
        return PROMPT.render(
            request=request_text(inputs),
            response_a=response_text(first),
            response_b=response_text(second),
            criteria=None if criteria is None else trusted(criteria),
        )
