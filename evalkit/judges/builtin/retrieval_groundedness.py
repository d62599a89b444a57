"""``RetrievalGroundedness``: is every claim of the response supported by the retrieved
documents?"""

from __future__ import annotations

from typing import Any

from evalkit.entities import Feedback
from evalkit.errors import JudgeError
from evalkit.judges.base import Judge
from evalkit.judges.builtin._common import YES_NO, BuiltinPrompt, context_text, request_response
from evalkit.judges.record_text import response_text, retrieved_chunks
from evalkit.scorers.registry import builtin

__all__ = ["PROMPT", "RetrievalGroundedness"]

PROMPT = BuiltinPrompt("retrieval_groundedness", ("request", "response", "context"))
"""``retrieval_groundedness.jinja``; also asked by :func:`evalkit.judges.is_grounded`."""


@builtin("RetrievalGroundedness", kind="judge", mlflow_key="retrieval_groundedness")
class RetrievalGroundedness(Judge):
    """Whether every claim of the response is supported by the retrieved documents."""

    def score(
        self,
        *,
        inputs: Any = None,
        outputs: Any = None,
        expectations: Any = None,
        trace: Any = None,
    ) -> Feedback:
        """Judge one record; the documents come from its trace or its fields."""
        request, response = request_response(inputs, outputs, trace)
        if response is None:
            raise JudgeError(f"{self.name} needs the response: give outputs or a trace")
        chunks = retrieved_chunks(trace, outputs, expectations, judge=self.name)
        task = PROMPT.render(
            request=request, response=response_text(response), context=context_text(chunks)
        )
        return self._assess(task, YES_NO)
