"""Text-overlap metrics against the ground truth: ROUGE, BLEU and exact match.

Each scores every row's ``outputs`` against ``expectations["expected_response"]`` with the
value MLflow gives (``mlflow.metrics.rouge1()`` ... ``bleu()``, ``exact_match()``)::

    evalkit.evaluate(data, scorers=[Rouge(rouge_type="rougeL"), Bleu(), ExactMatch()])

A row whose output or ground truth is not a string gets an error; the other rows are scored.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from evalkit.errors import ErrorCode, ScorerError
from evalkit.scorers import _bleu, _rouge
from evalkit.scorers._common import (
    STANDARD_AGGREGATIONS,
    expected_response,
    numeric_values,
    row_error,
    text_pairs,
)
from evalkit.scorers._parallel import parallel_map
from evalkit.scorers.base import BatchScorer, ScorerValue
from evalkit.scorers.registry import builtin

__all__ = ["Bleu", "ExactMatch", "Rouge"]

# The four ROUGE scorers share one memoised tokenisation in this process; a process pool
# would tokenise again per scorer, which costs more than it saves below this many rows.
_ROUGE_ROWS_PER_PROCESS = 20_000


_SUMMARIES = ("text-summarization",)


# stacked decorators apply bottom-up: rouge1 registers first
@builtin(
    "rougeLsum",
    kind="heuristic",
    mlflow_key="rougeLsum/v1",
    config={"rouge_type": "rougeLsum"},
    presets=_SUMMARIES,
    preset_rank=13,
)
@builtin(
    "rougeL",
    kind="heuristic",
    mlflow_key="rougeL/v1",
    config={"rouge_type": "rougeL"},
    presets=_SUMMARIES,
    preset_rank=12,
)
@builtin(
    "rouge2",
    kind="heuristic",
    mlflow_key="rouge2/v1",
    config={"rouge_type": "rouge2"},
    presets=_SUMMARIES,
    preset_rank=11,
)
@builtin(
    "rouge1",
    kind="heuristic",
    mlflow_key="rouge1/v1",
    config={"rouge_type": "rouge1"},
    presets=_SUMMARIES,
    preset_rank=10,
)
class Rouge(BatchScorer):
    """ROUGE F-measure of the output against the ground truth, from 0 to 1.

    Args:
        rouge_type: ``"rouge1"`` (unigrams), ``"rouge2"`` (bigrams), ``"rougeL"`` (longest
            common subsequence) or ``"rougeLsum"`` (LCS over newline-separated sentences).
        use_stemmer: Porter-stem words before matching. ``False`` is what MLflow's metrics
            (Hugging Face's ``rouge``) do; ``True`` matches ``RougeScorer(use_stemmer=True)``.
        name: Defaults to ``rouge_type``.
        aggregations: Defaults to MLflow's ``["mean", "variance", "p90"]``.
    """

    computes_only: ClassVar[bool] = True

    rouge_type: str = "rougeL"
    """Which ROUGE variant."""
    use_stemmer: bool = False
    """Whether words are Porter-stemmed before matching."""

    def __post_init__(self) -> None:
        if self.rouge_type not in _rouge.ROUGE_TYPES:
            raise ScorerError(
                f"unknown rouge_type {self.rouge_type!r}; use one of "
                f"{', '.join(_rouge.ROUGE_TYPES)}"
            )
        self.name = self.name or self.rouge_type
        if self.aggregations is None:
            self.aggregations = list(STANDARD_AGGREGATIONS)
        super().__post_init__()

    def score_batch(
        self, *, outputs: Sequence[Any], expectations: Sequence[Any]
    ) -> list[ScorerValue]:
        """One F-measure per row."""
        results, index, targets, predictions = text_pairs(list(outputs), list(expectations))
        values = parallel_map(
            _rouge.rouge_chunk,
            [targets, predictions],
            config=(self.rouge_type, self.use_stemmer),
            rows_per_process=_ROUGE_ROWS_PER_PROCESS,
        )
        for i, v in zip(index, values, strict=True):
            results[i] = v
        return results


@builtin("bleu", kind="heuristic", mlflow_key="bleu/v1")
class Bleu(BatchScorer):
    """BLEU of the output against the ground truth, from 0 to 1 (MLflow's ``bleu``).

    Hugging Face's ``bleu`` for one reference: 13a tokenisation, n-grams up to 4, no
    smoothing. As in MLflow, an empty output or ground truth scores 0.
    """

    computes_only: ClassVar[bool] = True

    def __post_init__(self) -> None:
        self.name = self.name or "bleu"
        if self.aggregations is None:
            self.aggregations = list(STANDARD_AGGREGATIONS)
        super().__post_init__()

    def score_batch(
        self, *, outputs: Sequence[Any], expectations: Sequence[Any]
    ) -> list[ScorerValue]:
        """One BLEU score per row."""
        results, index, targets, predictions = text_pairs(list(outputs), list(expectations))
        values = parallel_map(_bleu.bleu_chunk, [targets, predictions], rows_per_process=2000)
        for i, v in zip(index, values, strict=True):
            results[i] = v
        return results


def _accuracy(values: Sequence[Any]) -> dict[str, float]:
    numbers = numeric_values(values)
    return {"exact_match": sum(numbers) / len(numbers)} if numbers else {}


@builtin(
    "exact_match",
    kind="heuristic",
    mlflow_key="exact_match/v1",
    mlflow_aggregates=_accuracy,
    per_row=False,
    presets=("question-answering",),
    preset_rank=10,
)
class ExactMatch(BatchScorer):
    """Whether the output equals the ground truth exactly (MLflow's ``exact_match``).

    The mean over rows is scikit-learn's ``accuracy_score``, the value MLflow reports.
    """

    computes_only: ClassVar[bool] = True

    def __post_init__(self) -> None:
        self.name = self.name or "exact_match"
        super().__post_init__()

    def score_batch(
        self, *, outputs: Sequence[Any], expectations: Sequence[Any]
    ) -> list[ScorerValue]:
        """``True``/``False`` per row."""
        results: list[ScorerValue] = []
        for output, expectation in zip(outputs, expectations, strict=True):
            target = expected_response(expectation)
            if target is None:
                results.append(
                    row_error(
                        ErrorCode.MISSING_EXPECTATION, "the row has no expected_response to match"
                    )
                )
            else:
                results.append(bool(output == target))
        return results
