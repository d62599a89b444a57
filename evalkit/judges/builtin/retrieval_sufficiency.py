"""``RetrievalSufficiency``: do the retrieved documents hold everything the expected answer
needs?"""

from __future__ import annotations

from typing import Any

from evalkit.entities import Feedback
from evalkit.judges.base import Judge
from evalkit.judges.builtin._common import (
    YES_NO,
    BuiltinPrompt,
    context_text,
    ground_truth,
    request_response,
)
from evalkit.judges.record_text import retrieved_chunks
from evalkit.scorers.registry import builtin

__all__ = ["PROMPT", "RetrievalSufficiency"]

PROMPT = BuiltinPrompt(
    "retrieval_sufficiency", ("request", "context", "expected_facts", "expected_response")
)
"""``retrieval_sufficiency.jinja``; also asked by :func:`evalkit.judges.is_context_sufficient`."""


@builtin("RetrievalSufficiency", kind="judge", mlflow_key="retrieval_sufficiency")
class RetrievalSufficiency(Judge):
    """Whether the retrieved documents hold everything the expected answer needs."""

    def score(
        self, *, inputs: Any = None, outputs: Any = None, expectations: Any, trace: Any = None
    ) -> Feedback:
        """Judge one record's retrieved documents against its ground truth."""
        request, _ = request_response(inputs, outputs, trace)
        truth = ground_truth(expectations, self.name)
        chunks = retrieved_chunks(trace, outputs, expectations, judge=self.name)
        task = PROMPT.render(request=request, context=context_text(chunks), **truth)
        return self._assess(task, YES_NO)
