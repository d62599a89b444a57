"""LLM-as-a-judge: ``make_judge``, built-in judges and judge functions, with MLflow's names.

* :func:`make_judge` builds a judge from Jinja2 instructions using ``{{ inputs }}``,
  ``{{ outputs }}``, ``{{ expectations }}``, ``{{ trace }}``; :func:`load_judge` from a
  YAML spec file.
* Built-in judges (scorers): :class:`Correctness`, :class:`RelevanceToQuery`,
  :class:`Safety`, :class:`Guidelines`, :class:`ExpectationsGuidelines`,
  :class:`RetrievalGroundedness`, :class:`RetrievalRelevance`,
  :class:`RetrievalSufficiency`; :func:`get_all_scorers`. Also importable from
  ``evalkit.scorers``. One module each in :mod:`evalkit.judges.builtin`, with its prompt
  file beside it; a judge added there is reachable here by its class name too.
* Conversation judges (session-level, once per conversation; :mod:`.conversation`):
  :class:`ConversationCompleteness`, :class:`UserFrustration`, :class:`KnowledgeRetention`,
  :class:`RoleAdherence`.
* Agent judges (:mod:`.agent`): :class:`ToolCallCorrectness`, :class:`GoalCompletion`.
* Judges and people: :func:`agreement` (accuracy, Cohen's kappa, confusion matrix against
  human labels), :func:`align` / ``judge.align(labeled)`` (few-shot examples and an optional
  instruction rewrite, kept only if held-out agreement improves), :class:`Panel` (several
  judges voting) and :func:`panel_agreement` (Krippendorff's alpha, Fleiss' kappa).
* Pairwise: ``make_judge(..., pairwise=True)`` and :class:`PairwisePreference` compare two
  outputs for one input, asking twice with the positions swapped
  (:mod:`evalkit.judges.pairwise`); :func:`compare_tables` compares two runs row by row.
* Judge functions: :func:`is_correct`, :func:`is_grounded`, :func:`is_safe`,
  :func:`is_context_relevant`, :func:`is_context_sufficient`, :func:`meets_guidelines`,
  :func:`custom_prompt_judge`.

The judge model: the one a judge is given, else :func:`set_default_model`'s, else the
``EVALKIT_JUDGE_MODEL`` environment variable, else ``openai:/gpt-4.1-mini``
(:data:`DEFAULT_MODEL`). Every model call goes through :mod:`evalkit.llm`
(litellm, loaded on first call); point tests at :class:`evalkit.testing.JudgeServer`.
"""

from typing import Any

from evalkit.judges.agent import GoalCompletion, ToolCallCorrectness
from evalkit.judges.alignment import (
    AgreementReport,
    AlignmentReport,
    agreement,
    align,
    estimate_alignment,
)
from evalkit.judges.base import Judge
from evalkit.judges.builtin import get_all_scorers
from evalkit.judges.builtin.correctness import Correctness
from evalkit.judges.builtin.expectations_guidelines import ExpectationsGuidelines
from evalkit.judges.builtin.guidelines import Guidelines
from evalkit.judges.builtin.pairwise_preference import PairwisePreference
from evalkit.judges.builtin.relevance_to_query import RelevanceToQuery
from evalkit.judges.builtin.retrieval_groundedness import RetrievalGroundedness
from evalkit.judges.builtin.retrieval_relevance import RetrievalRelevance
from evalkit.judges.builtin.retrieval_sufficiency import RetrievalSufficiency
from evalkit.judges.builtin.safety import Safety
from evalkit.judges.conversation import (
    ConversationCompleteness,
    KnowledgeRetention,
    RoleAdherence,
    UserFrustration,
)
from evalkit.judges.instructions import InstructionsJudge, make_judge
from evalkit.judges.judge_functions import (
    custom_prompt_judge,
    is_context_relevant,
    is_context_sufficient,
    is_correct,
    is_grounded,
    is_safe,
    meets_guidelines,
)
from evalkit.judges.pairwise import PairwiseJudge, compare_tables
from evalkit.judges.panel import Panel, PanelAgreement, panel_agreement
from evalkit.judges.specs import load_judge
from evalkit.llm.config import DEFAULT_MODEL, get_default_model, set_default_model

__all__ = [
    "DEFAULT_MODEL",
    "AgreementReport",
    "AlignmentReport",
    "ConversationCompleteness",
    "Correctness",
    "ExpectationsGuidelines",
    "GoalCompletion",
    "Guidelines",
    "InstructionsJudge",
    "Judge",
    "KnowledgeRetention",
    "PairwiseJudge",
    "PairwisePreference",
    "Panel",
    "PanelAgreement",
    "RelevanceToQuery",
    "RetrievalGroundedness",
    "RetrievalRelevance",
    "RetrievalSufficiency",
    "RoleAdherence",
    "Safety",
    "ToolCallCorrectness",
    "UserFrustration",
    "agreement",
    "align",
    "compare_tables",
    "custom_prompt_judge",
    "estimate_alignment",
    "get_all_scorers",
    "get_default_model",
    "is_context_relevant",
    "is_context_sufficient",
    "is_correct",
    "is_grounded",
    "is_safe",
    "load_judge",
    "make_judge",
    "meets_guidelines",
    "panel_agreement",
    "set_default_model",
]


def __getattr__(name: str) -> Any:
    # a built-in judge registered in evalkit.judges.builtin but not listed above
    from evalkit.scorers.registry import lookup

    entry = lookup(name) if name[:1].isupper() else None
    if entry is None or entry.kind != "judge":
        raise AttributeError(f"module 'evalkit.judges' has no attribute {name!r}")
    return entry.scorer_class
