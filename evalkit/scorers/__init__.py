"""Scorers: the ``@scorer`` decorator, the ``Scorer`` base classes and built-in scorers."""

from evalkit.scorers.base import (
    BATCH_ARGUMENTS,
    ROW_ARGUMENTS,
    BatchScorer,
    Scorer,
    ScorerValue,
    scorer,
)

__all__ = ["BATCH_ARGUMENTS", "ROW_ARGUMENTS", "BatchScorer", "Scorer", "ScorerValue", "scorer"]
