"""``Guidelines``: does the response meet the guidelines the scorer was given?

The guidelines come from whoever configured the scorer, so they go into the prompt as
instructions (undelimited); the record's request and response go in as data.
"""

from __future__ import annotations

from typing import Any

from evalkit.entities import Feedback
from evalkit.judges.base import Judge
from evalkit.judges.builtin._common import YES_NO, BuiltinPrompt, guideline_list
from evalkit.judges.record_text import request_text, response_text
from evalkit.judges.templates import trusted
from evalkit.scorers.registry import builtin

__all__ = ["PROMPT", "Guidelines"]

PROMPT = BuiltinPrompt("guidelines", ("guidelines", "context"))
"""``guidelines.jinja``: each guideline is delimited as data unless marked
:func:`~evalkit.judges.templates.trusted`; also asked by ``ExpectationsGuidelines`` and
:func:`evalkit.judges.meets_guidelines`."""


@builtin("Guidelines", kind="judge", mlflow_key="guidelines", requires_config=True)
class Guidelines(Judge):
    """Whether the response meets the guidelines given to the scorer (the same for every row).

    Args:
        guidelines: One guideline or a list of them, in plain language.
    """

    guidelines: str | list[str] = ""
    """The guideline(s) every response must meet."""

    def __post_init__(self) -> None:
        super().__post_init__()
        guideline_list(self.guidelines, f"{type(self).__name__}(guidelines=...)")

    def score(self, *, inputs: Any, outputs: Any) -> Feedback:
        """Judge one record against this scorer's guidelines."""
        task = PROMPT.render(
            guidelines=[trusted(g) for g in guideline_list(self.guidelines, "guidelines")],
            context={"request": request_text(inputs), "response": response_text(outputs)},
        )
        return self._assess(task, YES_NO)
