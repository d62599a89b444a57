"""Scorers: the ``@scorer`` decorator, the ``Scorer`` base classes and built-in scorers.

Built-in heuristic metrics (MLflow's values, offline): :class:`Rouge`, :class:`Bleu`,
:class:`ExactMatch` (text overlap), :class:`FleschKincaidGradeLevel`,
:class:`AriGradeLevel` (readability), :class:`TokenCount`, :class:`Latency` (cost),
:class:`Toxicity` (optional extra), :class:`PrecisionAtK`, :class:`RecallAtK`,
:class:`NdcgAtK` (retrieval). They load their libraries on first use.

Agent scorers (deterministic, over the trace's ``TOOL`` spans and
``expectations["expected_tool_calls"]``; :mod:`evalkit.scorers.tool_calls`):
:class:`ToolCallsMatch`, :class:`ToolArgumentsMatch`, :class:`RedundantToolCalls`,
:class:`FailedToolCalls`, :class:`AgentSteps`.

The built-in LLM judges are scorers too and live here under MLflow's names
(``evalkit.scorers.Correctness``, ``Safety``, ..., the conversation judges
``ConversationCompleteness``, ``UserFrustration``, ``KnowledgeRetention``, ``RoleAdherence``,
the agent judges ``ToolCallCorrectness``, ``GoalCompletion``, and ``get_all_scorers``);
they are loaded from :mod:`evalkit.judges` on first access, so importing this package stays light.

Every built-in is registered, where it is defined, in :mod:`evalkit.scorers.registry`
(``@builtin("rougeL", kind="heuristic", ...)``); names and lists of built-ins come from there.
"""

import importlib
from typing import TYPE_CHECKING, Any

from evalkit.scorers.base import (
    BATCH_ARGUMENTS,
    ROW_ARGUMENTS,
    SESSION_ARGUMENTS,
    BatchScorer,
    Scorer,
    ScorerValue,
    scorer,
)

if TYPE_CHECKING:
    from evalkit.judges import (
        ConversationCompleteness,
        Correctness,
        ExpectationsGuidelines,
        GoalCompletion,
        Guidelines,
        KnowledgeRetention,
        RelevanceToQuery,
        RetrievalGroundedness,
        RetrievalRelevance,
        RetrievalSufficiency,
        RoleAdherence,
        Safety,
        ToolCallCorrectness,
        UserFrustration,
        get_all_scorers,
    )
    from evalkit.scorers.readability import AriGradeLevel, FleschKincaidGradeLevel
    from evalkit.scorers.registry import BUILTIN_METRIC_NAMES, builtin_scorer
    from evalkit.scorers.retrieval import NdcgAtK, PrecisionAtK, RecallAtK
    from evalkit.scorers.text import Bleu, ExactMatch, Rouge
    from evalkit.scorers.tokens import Latency, TokenCount
    from evalkit.scorers.tool_calls import (
        AgentSteps,
        FailedToolCalls,
        RedundantToolCalls,
        ToolArgumentsMatch,
        ToolCallsMatch,
    )
    from evalkit.scorers.toxicity import Toxicity

# Built-ins load on first use, so that ``import evalkit`` stays fast: name -> module.
_LAZY = {
    "AriGradeLevel": "evalkit.scorers.readability",
    "FleschKincaidGradeLevel": "evalkit.scorers.readability",
    "BUILTIN_METRIC_NAMES": "evalkit.scorers.registry",
    "builtin_scorer": "evalkit.scorers.registry",
    "NdcgAtK": "evalkit.scorers.retrieval",
    "PrecisionAtK": "evalkit.scorers.retrieval",
    "RecallAtK": "evalkit.scorers.retrieval",
    "Bleu": "evalkit.scorers.text",
    "ExactMatch": "evalkit.scorers.text",
    "Rouge": "evalkit.scorers.text",
    "Latency": "evalkit.scorers.tokens",
    "TokenCount": "evalkit.scorers.tokens",
    "Toxicity": "evalkit.scorers.toxicity",
    "Correctness": "evalkit.judges",
    "ExpectationsGuidelines": "evalkit.judges",
    "Guidelines": "evalkit.judges",
    "RelevanceToQuery": "evalkit.judges",
    "RetrievalGroundedness": "evalkit.judges",
    "RetrievalRelevance": "evalkit.judges",
    "RetrievalSufficiency": "evalkit.judges",
    "Safety": "evalkit.judges",
    "get_all_scorers": "evalkit.judges",
    "ConversationCompleteness": "evalkit.judges",
    "UserFrustration": "evalkit.judges",
    "KnowledgeRetention": "evalkit.judges",
    "RoleAdherence": "evalkit.judges",
    "ToolCallCorrectness": "evalkit.judges",
    "GoalCompletion": "evalkit.judges",
    "AgentSteps": "evalkit.scorers.tool_calls",
    "FailedToolCalls": "evalkit.scorers.tool_calls",
    "RedundantToolCalls": "evalkit.scorers.tool_calls",
    "ToolArgumentsMatch": "evalkit.scorers.tool_calls",
    "ToolCallsMatch": "evalkit.scorers.tool_calls",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        # any other built-in, by its class name, straight from the registry
        from evalkit.scorers.registry import entries

        public = name[:1].isupper()
        found = (
            [e.scorer_class for e in entries() if e.scorer_class.__name__ == name] if public else []
        )
        if not found:
            raise AttributeError(f"module 'evalkit.scorers' has no attribute {name!r}")
        globals()[name] = found[0]
        return found[0]
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "BATCH_ARGUMENTS",
    "BUILTIN_METRIC_NAMES",
    "ROW_ARGUMENTS",
    "SESSION_ARGUMENTS",
    "AgentSteps",
    "AriGradeLevel",
    "BatchScorer",
    "Bleu",
    "ConversationCompleteness",
    "Correctness",
    "ExactMatch",
    "ExpectationsGuidelines",
    "FailedToolCalls",
    "FleschKincaidGradeLevel",
    "GoalCompletion",
    "Guidelines",
    "KnowledgeRetention",
    "Latency",
    "NdcgAtK",
    "PrecisionAtK",
    "RecallAtK",
    "RedundantToolCalls",
    "RelevanceToQuery",
    "RetrievalGroundedness",
    "RetrievalRelevance",
    "RetrievalSufficiency",
    "RoleAdherence",
    "Rouge",
    "Safety",
    "Scorer",
    "ScorerValue",
    "TokenCount",
    "ToolArgumentsMatch",
    "ToolCallCorrectness",
    "ToolCallsMatch",
    "Toxicity",
    "UserFrustration",
    "builtin_scorer",
    "get_all_scorers",
    "scorer",
]
