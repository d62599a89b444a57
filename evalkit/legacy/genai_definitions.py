"""Definitions and 1-5 rubrics of the built-in LLM-judged legacy metrics (our own wording)."""

from __future__ import annotations

from typing import Any

DEFINITIONS: dict[str, dict[str, Any]] = {
    "answer_similarity": {
        "columns": ["targets"],
        "include_input": True,
        "definition": (
            "Answer similarity measures how closely the meaning of the output matches the "
            "provided targets (the ground truth). Only meaning counts: wording, length and "
            "style do not."
        ),
        "grading_prompt": (
            "- Score 1: the output shares little or no meaning with the targets.\n"
            "- Score 2: the output shares some meaning with the targets but differs in most "
            "of what it says.\n"
            "- Score 3: the output shares the main idea of the targets but misses or changes "
            "important parts.\n"
            "- Score 4: the output means nearly the same as the targets, with minor omissions "
            "or differences.\n"
            "- Score 5: the output means the same as the targets."
        ),
    },
    "answer_correctness": {
        "columns": ["targets"],
        "include_input": True,
        "definition": (
            "Answer correctness measures how accurate the output is as an answer to the input, "
            "taking the provided targets as the ground truth. It rewards agreement with the "
            "targets on facts and penalises claims that contradict them."
        ),
        "grading_prompt": (
            "- Score 1: the output is wrong: it contradicts the targets or answers something "
            "else.\n"
            "- Score 2: the output has some correct information but major errors or "
            "contradictions with the targets.\n"
            "- Score 3: the output gets the main point right but has omissions or minor "
            "errors.\n"
            "- Score 4: the output is correct apart from a minor omission or imprecision.\n"
            "- Score 5: the output is fully correct and agrees with the targets on every point "
            "it makes."
        ),
    },
    "answer_relevance": {
        "columns": [],
        "include_input": True,
        "definition": (
            "Answer relevance measures how directly and appropriately the output addresses the "
            "input. It is about staying on topic and answering what was asked, not about "
            "factual correctness."
        ),
        "grading_prompt": (
            "- Score 1: the output does not address the input at all.\n"
            "- Score 2: the output touches the topic of the input but mostly fails to answer "
            "it.\n"
            "- Score 3: the output partly answers the input, or answers it with much unrelated "
            "material.\n"
            "- Score 4: the output answers the input with a little unnecessary or off-topic "
            "material.\n"
            "- Score 5: the output answers exactly what the input asks, with nothing off-topic."
        ),
    },
    "relevance": {
        "columns": ["context"],
        "include_input": True,
        "definition": (
            "Relevance measures how appropriate, significant and applicable the output is to "
            "the input, given the provided context: whether it draws the information that "
            "matters for the input out of the context."
        ),
        "grading_prompt": (
            "- Score 1: the output ignores both the input and the context.\n"
            "- Score 2: the output relates to the input or the context but misses what the "
            "input needs.\n"
            "- Score 3: the output uses the context to address part of the input.\n"
            "- Score 4: the output uses the context to address the input, missing a minor "
            "aspect.\n"
            "- Score 5: the output uses the relevant parts of the context to fully address the "
            "input."
        ),
    },
    "faithfulness": {
        "columns": ["context"],
        "include_input": False,
        "definition": (
            "Faithfulness measures how factually consistent the output is with the provided "
            "context. Every claim of the output should be supported by the context; what is "
            "true elsewhere but not in the context does not count as support."
        ),
        "grading_prompt": (
            "- Score 1: most claims of the output are unsupported by or contradict the "
            "context.\n"
            "- Score 2: some claims are supported, but many are not or contradict the "
            "context.\n"
            "- Score 3: most claims are supported, with some unsupported ones.\n"
            "- Score 4: all important claims are supported; a minor one is not.\n"
            "- Score 5: every claim of the output is supported by the context."
        ),
    },
}
"""Per metric: context ``columns``, ``include_input``, ``definition``, ``grading_prompt``."""
