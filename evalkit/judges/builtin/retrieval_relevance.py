"""``RetrievalRelevance``: which share of the retrieved documents is relevant to the request?"""

from __future__ import annotations

from typing import Any

from evalkit.entities import AssessmentError, Feedback
from evalkit.errors import ErrorCode
from evalkit.judges.base import Judge
from evalkit.judges.builtin._common import YES_NO, BuiltinPrompt, request_response, summed_usage
from evalkit.judges.record_text import retrieved_chunks
from evalkit.scorers.registry import builtin

__all__ = ["PROMPT", "RetrievalRelevance"]

PROMPT = BuiltinPrompt("retrieval_relevance", ("request", "context"))
"""``retrieval_relevance.jinja`` (one document); also asked by
:func:`evalkit.judges.is_context_relevant`."""


@builtin("RetrievalRelevance", kind="judge", mlflow_key="retrieval_relevance")
class RetrievalRelevance(Judge):
    """The fraction of retrieved documents relevant to the request, one judge call each.

    Reports ``<name>/precision`` (0 to 1); the per-document verdicts are in its rationale
    and in ``metadata["documents"]``.
    """

    def score(
        self,
        *,
        inputs: Any = None,
        outputs: Any = None,
        expectations: Any = None,
        trace: Any = None,
    ) -> Feedback:
        """Judge each retrieved document of one record; report the relevant share."""
        request, _ = request_response(inputs, outputs, trace)
        chunks = retrieved_chunks(trace, outputs, expectations, judge=self.name)
        name = f"{self.name}/precision"
        if not chunks:
            return Feedback(
                name=name,
                error=AssessmentError(
                    error_code=ErrorCode.NO_RETRIEVED_CONTEXT,
                    error_message="the retriever returned no documents; precision is undefined",
                ),
            )
        verdicts = [self._assess(PROMPT.render(request=request, context=c), YES_NO) for c in chunks]
        failed = next((v for v in verdicts if v.error is not None), None)
        usage = summed_usage(verdicts)
        if failed is not None:
            return Feedback(name=name, error=failed.error, source=failed.source, metadata=usage)
        relevant = sum(v.value == "yes" for v in verdicts)
        lines = [f"document {i}: {v.value} - {v.rationale}" for i, v in enumerate(verdicts, 1)]
        return Feedback(
            name=name,
            value=relevant / len(verdicts),
            rationale=f"{relevant} of {len(verdicts)} retrieved documents are relevant.\n"
            + "\n".join(lines),
            source=verdicts[0].source,
            metadata={
                **usage,
                "documents": [{"value": v.value, "rationale": v.rationale} for v in verdicts],
            },
        )
