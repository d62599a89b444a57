"""``ExpectationsGuidelines``: does the response meet the row's own guidelines?

The guidelines are part of the evaluated record, so they are delimited as data in the
prompt, like the request and the response: a row cannot smuggle instructions in through them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from evalkit.entities import Feedback
from evalkit.errors import JudgeError
from evalkit.judges.base import Judge
from evalkit.judges.builtin._common import YES_NO, guideline_list
from evalkit.judges.builtin.guidelines import PROMPT
from evalkit.judges.record_text import request_text, response_text
from evalkit.scorers.registry import builtin

__all__ = ["ExpectationsGuidelines"]


@builtin("ExpectationsGuidelines", kind="judge", mlflow_key="expectations_guidelines")
class ExpectationsGuidelines(Judge):
    """Whether the response meets the row's own guidelines, ``expectations["guidelines"]``."""

    def score(self, *, inputs: Any, outputs: Any, expectations: Any) -> Feedback:
        """Judge one record against its ``expectations["guidelines"]``."""
        found = expectations.get("guidelines") if isinstance(expectations, Mapping) else None
        if found is None:
            raise JudgeError(
                f"{self.name} needs expectations['guidelines'] (a guideline or a list of them) "
                "in every row"
            )
        task = PROMPT.render(
            guidelines=guideline_list(found, "expectations['guidelines']"),
            context={"request": request_text(inputs), "response": response_text(outputs)},
        )
        return self._assess(task, YES_NO)
