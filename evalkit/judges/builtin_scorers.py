"""Built-in judges as scorers, with MLflow's names, fields and yes/no semantics.

Each is a :class:`~evalkit.judges.base.Judge`: configure it (``Correctness(model=...)``),
pass it to :func:`evalkit.evaluate`, or call it on one record. Values are ``"yes"`` /
``"no"`` (aggregated as 1/0) with the judge's rationale; ``RetrievalRelevance`` reports the
fraction of relevant documents as ``retrieval_relevance/precision``.

Where the retrieval judges find the retrieved documents: the trace's ``RETRIEVER`` spans;
without them ``outputs["retrieved_context"]``, else ``expectations["retrieved_context"]``
(see :mod:`evalkit.judges._fields`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from evalkit.entities import AssessmentError, Feedback
from evalkit.errors import ErrorCode, JudgeError
from evalkit.judges._fields import (
    request_text,
    response_text,
    retrieved_chunks,
    root_request_response,
)
from evalkit.judges.base import Judge
from evalkit.judges.functions import YES_NO, _bullets, _context_text, render_prompt
from evalkit.scorers.base import Scorer

__all__ = [
    "Correctness",
    "ExpectationsGuidelines",
    "Guidelines",
    "RelevanceToQuery",
    "RetrievalGroundedness",
    "RetrievalRelevance",
    "RetrievalSufficiency",
    "Safety",
    "get_all_scorers",
]


def _ground_truth(expectations: Any, judge: str) -> dict[str, Any]:
    """``expected_facts`` (bulleted) or ``expected_response`` from expectations.

    A list of expectation dicts (as in MLflow's examples) is merged: their expected
    responses and facts all become expected facts.
    """
    if isinstance(expectations, list):
        facts: list[Any] = []
        for item in expectations:
            if isinstance(item, Mapping):
                facts.extend(item.get("expected_facts") or [])
                if item.get("expected_response") is not None:
                    facts.append(item["expected_response"])
        expectations = {"expected_facts": facts}
    if isinstance(expectations, Mapping):
        if expectations.get("expected_facts"):
            facts = expectations["expected_facts"]
            facts = [facts] if isinstance(facts, str) else list(facts)
            return {"expected_facts": _bullets(facts), "expected_response": None}
        if expectations.get("expected_response") is not None:
            expected = expectations["expected_response"]
            if not isinstance(expected, str):
                expected = response_text(expected)
            return {"expected_facts": None, "expected_response": expected}
    raise JudgeError(
        f"{judge} needs expectations['expected_facts'] or expectations['expected_response'] "
        "(the ground truth); add one to the record"
    )


def _guidelines(value: Any, where: str) -> list[str]:
    listed = [value] if isinstance(value, str) else list(value or [])
    if not listed or not all(isinstance(g, str) and g.strip() for g in listed):
        raise JudgeError(f"{where} must be a guideline or a list of guidelines (non-empty strings)")
    return listed


class Correctness(Judge):
    """Whether the response is correct, judged against ``expectations["expected_facts"]`` or
    ``expectations["expected_response"]``."""

    def __call__(self, *, inputs: Any, outputs: Any, expectations: Any) -> Feedback:  # type: ignore[override]
        truth = _ground_truth(expectations, self.name)
        task = render_prompt(
            "correctness", request=request_text(inputs), response=response_text(outputs), **truth
        )
        return self._assess(task, YES_NO)


class RelevanceToQuery(Judge):
    """Whether the response addresses the request (relevance, not correctness)."""

    def __call__(self, *, inputs: Any, outputs: Any) -> Feedback:  # type: ignore[override]
        task = render_prompt(
            "relevance_to_query", request=request_text(inputs), response=response_text(outputs)
        )
        return self._assess(task, YES_NO)


class Safety(Judge):
    """Whether the response is free of harmful, offensive or dangerous content."""

    def __call__(self, *, outputs: Any) -> Feedback:  # type: ignore[override]
        return self._assess(render_prompt("safety", content=response_text(outputs)), YES_NO)


class Guidelines(Judge):
    """Whether the response meets the guidelines given to the scorer (the same for every row).

    Args:
        guidelines: One guideline or a list of them, in plain language.
    """

    guidelines: str | list[str] = ""
    """The guideline(s) every response must meet."""

    def __post_init__(self) -> None:
        super().__post_init__()
        _guidelines(self.guidelines, f"{type(self).__name__}(guidelines=...)")

    def __call__(self, *, inputs: Any, outputs: Any) -> Feedback:  # type: ignore[override]
        task = render_prompt(
            "guidelines",
            guidelines=_guidelines(self.guidelines, "guidelines"),
            context={"request": request_text(inputs), "response": response_text(outputs)},
        )
        return self._assess(task, YES_NO)


class ExpectationsGuidelines(Judge):
    """Whether the response meets the row's own guidelines, ``expectations["guidelines"]``."""

    def __call__(self, *, inputs: Any, outputs: Any, expectations: Any) -> Feedback:  # type: ignore[override]
        found = expectations.get("guidelines") if isinstance(expectations, Mapping) else None
        if found is None:
            raise JudgeError(
                f"{self.name} needs expectations['guidelines'] (a guideline or a list of them) "
                "in every row"
            )
        task = render_prompt(
            "guidelines",
            guidelines=_guidelines(found, "expectations['guidelines']"),
            context={"request": request_text(inputs), "response": response_text(outputs)},
        )
        return self._assess(task, YES_NO)


def _request_response(inputs: Any, outputs: Any, trace: Any) -> tuple[str, Any]:
    root_inputs, root_outputs = root_request_response(trace)
    request = inputs if inputs is not None else root_inputs
    if request is None:
        raise JudgeError("no request: give inputs (or a trace whose root span has inputs)")
    return request_text(request), outputs if outputs is not None else root_outputs


class RetrievalGroundedness(Judge):
    """Whether every claim of the response is supported by the retrieved documents."""

    def __call__(  # type: ignore[override]
        self,
        *,
        inputs: Any = None,
        outputs: Any = None,
        expectations: Any = None,
        trace: Any = None,
    ) -> Feedback:
        request, response = _request_response(inputs, outputs, trace)
        if response is None:
            raise JudgeError(f"{self.name} needs the response: give outputs or a trace")
        chunks = retrieved_chunks(trace, outputs, expectations, judge=self.name)
        task = render_prompt(
            "groundedness",
            request=request,
            response=response_text(response),
            context=_context_text(chunks),
        )
        return self._assess(task, YES_NO)


class RetrievalRelevance(Judge):
    """The fraction of retrieved documents relevant to the request, one judge call each.

    Reports ``<name>/precision`` (0 to 1); the per-document verdicts are in its rationale
    and in ``metadata["documents"]``.
    """

    def __call__(  # type: ignore[override]
        self,
        *,
        inputs: Any = None,
        outputs: Any = None,
        expectations: Any = None,
        trace: Any = None,
    ) -> Feedback:
        request, _ = _request_response(inputs, outputs, trace)
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
        verdicts = [
            self._assess(render_prompt("context_relevance", request=request, context=c), YES_NO)
            for c in chunks
        ]
        failed = next((v for v in verdicts if v.error is not None), None)
        usage = _summed_usage(verdicts)
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


def _summed_usage(verdicts: list[Feedback]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("input_tokens", "output_tokens", "cost", "latency", "model_calls", "attempts"):
        values = [v.metadata.get(key) for v in verdicts]
        out[key] = None if any(x is None for x in values) else sum(values)
    return out


class RetrievalSufficiency(Judge):
    """Whether the retrieved documents hold everything the expected answer needs."""

    def __call__(  # type: ignore[override]
        self, *, inputs: Any = None, outputs: Any = None, expectations: Any, trace: Any = None
    ) -> Feedback:
        request, _ = _request_response(inputs, outputs, trace)
        truth = _ground_truth(expectations, self.name)
        chunks = retrieved_chunks(trace, outputs, expectations, judge=self.name)
        task = render_prompt(
            "context_sufficiency", request=request, context=_context_text(chunks), **truth
        )
        return self._assess(task, YES_NO)


def get_all_scorers() -> list[Scorer]:
    """Every built-in judge that needs no configuration, with default settings.

    ``Guidelines`` is left out: it needs its ``guidelines``.
    """
    return [
        Correctness(),
        ExpectationsGuidelines(),
        RelevanceToQuery(),
        RetrievalGroundedness(),
        RetrievalRelevance(),
        RetrievalSufficiency(),
        Safety(),
    ]
