"""Readability grades of the outputs: Flesch-Kincaid and the automated readability index.

Both give the U.S. school grade needed to understand the text, with the value MLflow gives
(``mlflow.metrics.flesch_kincaid_grade_level()`` / ``ari_grade_level()``, i.e. textstat with
the CMU Pronouncing Dictionary). They read only ``outputs``; nothing is downloaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from evalkit.scorers import _readability
from evalkit.scorers._common import STANDARD_AGGREGATIONS, TEXT_PRESETS, not_text
from evalkit.scorers._parallel import parallel_map
from evalkit.scorers.base import BatchScorer, ScorerValue
from evalkit.scorers.registry import builtin

__all__ = ["AriGradeLevel", "FleschKincaidGradeLevel"]


class _Grade(BatchScorer):
    computes_only: ClassVar[bool] = True
    _default_name: ClassVar[str] = ""
    _which: ClassVar[int] = 0  # position in _readability._grades' result

    def __post_init__(self) -> None:
        self.name = self.name or self._default_name
        if self.aggregations is None:
            self.aggregations = list(STANDARD_AGGREGATIONS)
        super().__post_init__()

    def score_batch(self, *, outputs: Sequence[Any]) -> list[ScorerValue]:
        """One grade per row; a row whose output is not a string gets an error."""
        results: list[ScorerValue] = [None] * len(outputs)
        index = [i for i, o in enumerate(outputs) if isinstance(o, str)]
        for i, o in enumerate(outputs):
            if not isinstance(o, str):
                results[i] = not_text("outputs", o)
        grades = parallel_map(
            _readability.grades_chunk,
            [[outputs[i] for i in index]],
            warm=_readability.warm,
            rows_per_process=20_000,  # both grades share one pass in this process
        )
        for i, pair in zip(index, grades, strict=True):
            results[i] = pair[self._which]
        return results


@builtin(
    "flesch_kincaid_grade_level",
    kind="heuristic",
    mlflow_key="flesch_kincaid_grade_level/v1",
    greater_is_better=False,
    presets=TEXT_PRESETS,
    preset_rank=2,
)
class FleschKincaidGradeLevel(_Grade):
    """Flesch-Kincaid grade level of the output (``textstat.flesch_kincaid_grade``)."""

    _default_name: ClassVar[str] = "flesch_kincaid_grade_level"
    _which: ClassVar[int] = 0


@builtin(
    "ari_grade_level",
    kind="heuristic",
    mlflow_key="ari_grade_level/v1",
    long_name="automated_readability_index_grade_level",
    greater_is_better=False,
    presets=TEXT_PRESETS,
    preset_rank=3,
)
class AriGradeLevel(_Grade):
    """Automated readability index of the output (``textstat.automated_readability_index``)."""

    _default_name: ClassVar[str] = "ari_grade_level"
    _which: ClassVar[int] = 1
