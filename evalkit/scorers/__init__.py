"""Scorers: the ``@scorer`` decorator, the ``Scorer`` base classes and built-in scorers.

Built-in heuristic metrics (MLflow's values, offline): :class:`Rouge`, :class:`Bleu`,
:class:`ExactMatch` (text overlap), :class:`FleschKincaidGradeLevel`,
:class:`AriGradeLevel` (readability), :class:`TokenCount`, :class:`Latency` (cost),
:class:`Toxicity` (optional extra), :class:`PrecisionAtK`, :class:`RecallAtK`,
:class:`NdcgAtK` (retrieval). They load their libraries on first use.
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
    from evalkit.scorers.readability import AriGradeLevel, FleschKincaidGradeLevel
    from evalkit.scorers.registry import BUILTIN_METRIC_NAMES, builtin_scorer
    from evalkit.scorers.retrieval import NdcgAtK, PrecisionAtK, RecallAtK
    from evalkit.scorers.text import Bleu, ExactMatch, Rouge
    from evalkit.scorers.tokens import Latency, TokenCount
    from evalkit.scorers.toxicity import Toxicity

# Built-in scorers load on first use, so that ``import evalkit`` stays fast.
_LAZY = {
    "AriGradeLevel": "readability",
    "FleschKincaidGradeLevel": "readability",
    "BUILTIN_METRIC_NAMES": "registry",
    "builtin_scorer": "registry",
    "NdcgAtK": "retrieval",
    "PrecisionAtK": "retrieval",
    "RecallAtK": "retrieval",
    "Bleu": "text",
    "ExactMatch": "text",
    "Rouge": "text",
    "Latency": "tokens",
    "TokenCount": "tokens",
    "Toxicity": "toxicity",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'evalkit.scorers' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"evalkit.scorers.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "BATCH_ARGUMENTS",
    "BUILTIN_METRIC_NAMES",
    "ROW_ARGUMENTS",
    "AriGradeLevel",
    "BatchScorer",
    "Bleu",
    "ExactMatch",
    "FleschKincaidGradeLevel",
    "Latency",
    "NdcgAtK",
    "PrecisionAtK",
    "RecallAtK",
    "Rouge",
    "Scorer",
    "ScorerValue",
    "TokenCount",
    "Toxicity",
    "builtin_scorer",
    "scorer",
]
