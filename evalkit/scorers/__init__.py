"""Scorers: the ``@scorer`` decorator, the ``Scorer`` base classes and built-in scorers.

The built-in LLM judges are scorers too and live here under MLflow's names
(``evalkit.scorers.Correctness``, ``Safety``, ..., ``get_all_scorers``); they are loaded
from :mod:`evalkit.judges` on first access, so importing this package stays light.
"""

from typing import TYPE_CHECKING, Any

from evalkit.scorers.base import (
    BATCH_ARGUMENTS,
    ROW_ARGUMENTS,
    BatchScorer,
    Scorer,
    ScorerValue,
    scorer,
)

if TYPE_CHECKING:
    from evalkit.judges import (
        Correctness,
        ExpectationsGuidelines,
        Guidelines,
        RelevanceToQuery,
        RetrievalGroundedness,
        RetrievalRelevance,
        RetrievalSufficiency,
        Safety,
        get_all_scorers,
    )

_JUDGES = (
    "Correctness",
    "ExpectationsGuidelines",
    "Guidelines",
    "RelevanceToQuery",
    "RetrievalGroundedness",
    "RetrievalRelevance",
    "RetrievalSufficiency",
    "Safety",
    "get_all_scorers",
)


def __getattr__(name: str) -> Any:
    if name in _JUDGES:
        from evalkit import judges

        return getattr(judges, name)
    raise AttributeError(f"module 'evalkit.scorers' has no attribute {name!r}")


__all__ = [
    "BATCH_ARGUMENTS",
    "ROW_ARGUMENTS",
    "BatchScorer",
    "Correctness",
    "ExpectationsGuidelines",
    "Guidelines",
    "RelevanceToQuery",
    "RetrievalGroundedness",
    "RetrievalRelevance",
    "RetrievalSufficiency",
    "Safety",
    "Scorer",
    "ScorerValue",
    "get_all_scorers",
    "scorer",
]
