"""Retriever metrics: precision, recall and NDCG of the retrieved documents at ``k``.

Each row's ``outputs`` is the ranked list of retrieved document IDs and its
``expectations["expected_response"]`` the list of relevant (ground-truth) IDs; IDs are
strings or integers. Values and edge cases are MLflow's (``mlflow.metrics.precision_at_k``,
``recall_at_k``, ``ndcg_at_k``):

* precision@k: relevant among the first ``min(k, retrieved)`` retrieved, over that count;
  0 when nothing is retrieved. A duplicate retrieved ID counts each time.
* recall@k: distinct relevant IDs among the first ``k`` retrieved, over the relevant IDs;
  with no ground truth, 1 if nothing is retrieved and 0 otherwise.
* NDCG@k: binary relevance, as ``sklearn.metrics.ndcg_score(k=min(k, retrieved))``; 1 when
  both lists are empty, 0 when only one is. Duplicate retrieved IDs that are relevant count
  as different relevant documents.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, ClassVar

from evalkit.errors import ErrorCode, ScorerError
from evalkit.scorers._common import STANDARD_AGGREGATIONS, expected_response, row_error
from evalkit.scorers.base import BatchScorer, ScorerValue
from evalkit.scorers.registry import builtin

__all__ = ["NdcgAtK", "PrecisionAtK", "RecallAtK", "ndcg_at_k", "precision_at_k", "recall_at_k"]


def precision_at_k(retrieved: Sequence[Any], ground_truth: Sequence[Any], k: int) -> float:
    """Precision of the first ``k`` retrieved IDs (0 when nothing is retrieved)."""
    relevant = set(ground_truth)
    top = list(retrieved)[:k]
    if not top:
        return 0.0
    return sum(1 for doc in top if doc in relevant) / len(top)


def recall_at_k(retrieved: Sequence[Any], ground_truth: Sequence[Any], k: int) -> float:
    """Share of the relevant IDs found among the first ``k`` retrieved."""
    relevant = set(ground_truth)
    top = set(list(retrieved)[:k])
    if relevant:
        return len(relevant & top) / len(relevant)
    return 1.0 if not top else 0.0


def _discount(rank: int) -> float:
    return 1 / (math.log(rank + 2) / math.log(2))


def ndcg_at_k(retrieved: Sequence[Any], ground_truth: Sequence[Any], k: int) -> float:
    """NDCG of the first ``k`` retrieved IDs with binary relevance."""
    retrieved = list(retrieved)
    if not retrieved and not ground_truth:
        return 1.0
    if not retrieved or not ground_truth:
        return 0.0
    relevant = set(ground_truth)
    n_relevant = len(relevant)
    seen: set[Any] = set()
    dcg = 0.0
    top = retrieved[:k]
    for rank, doc in enumerate(top):
        if doc in relevant:
            dcg += _discount(rank)
            if doc in seen:  # a repeat of a relevant ID is one more relevant document
                n_relevant += 1
        seen.add(doc)
    ideal = sum(_discount(rank) for rank in range(min(len(top), n_relevant)))
    return dcg / ideal if ideal else 0.0


def _ids(value: Any) -> list[Any] | None:
    """The list of document IDs in ``value``, or ``None`` when it is not one."""
    if hasattr(value, "tolist") and not isinstance(value, str | bytes):
        value = value.tolist()
    if isinstance(value, list | tuple) and all(isinstance(v, str | int) for v in value):
        return list(value)
    return None


class _AtK(BatchScorer):
    k: int = 3
    """How many of the top retrieved documents count."""

    _prefix: ClassVar[str] = ""
    computes_only: ClassVar[bool] = True

    def __post_init__(self) -> None:
        if isinstance(self.k, bool) or not isinstance(self.k, int) or self.k <= 0:
            raise ScorerError(
                f"{self._prefix}_k: k must be a positive whole number, got {self.k!r}"
            )
        self.name = self.name or f"{self._prefix}_at_{self.k}"
        if self.aggregations is None:
            self.aggregations = list(STANDARD_AGGREGATIONS)
        super().__post_init__()

    def _score(self, retrieved: list[Any], ground_truth: list[Any]) -> float:
        raise NotImplementedError

    def score_batch(
        self, *, outputs: Sequence[Any], expectations: Sequence[Any]
    ) -> list[ScorerValue]:
        """One score per row; a row whose IDs are not a list of strings/integers gets an error."""
        results: list[ScorerValue] = []
        for output, expectation in zip(outputs, expectations, strict=True):
            retrieved = _ids(output)
            ground_truth = _ids(expected_response(expectation))
            if retrieved is None:
                results.append(_bad_ids("outputs (the retrieved document IDs)", output))
            elif ground_truth is None:
                results.append(
                    _bad_ids("expectations['expected_response'] (the relevant IDs)", expectation)
                )
            else:
                results.append(self._score(retrieved, ground_truth))
        return results


def _bad_ids(column: str, value: Any) -> ScorerValue:
    return row_error(
        ErrorCode.INVALID_INPUT,
        f"{column} must be a list of document IDs (strings or integers), got "
        f"{type(value).__name__} {value!r:.60}",
    )


@builtin("precision_at_<k>", kind="heuristic", presets=("retriever",), preset_rank=0)
class PrecisionAtK(_AtK):
    """Precision of the top ``k`` retrieved documents (MLflow's ``precision_at_k``)."""

    _prefix: ClassVar[str] = "precision"

    def _score(self, retrieved: list[Any], ground_truth: list[Any]) -> float:
        return precision_at_k(retrieved, ground_truth, self.k)


@builtin("recall_at_<k>", kind="heuristic", presets=("retriever",), preset_rank=1)
class RecallAtK(_AtK):
    """Recall of the top ``k`` retrieved documents (MLflow's ``recall_at_k``)."""

    _prefix: ClassVar[str] = "recall"

    def _score(self, retrieved: list[Any], ground_truth: list[Any]) -> float:
        return recall_at_k(retrieved, ground_truth, self.k)


@builtin("ndcg_at_<k>", kind="heuristic", presets=("retriever",), preset_rank=2)
class NdcgAtK(_AtK):
    """NDCG of the top ``k`` retrieved documents (MLflow's ``ndcg_at_k``)."""

    _prefix: ClassVar[str] = "ndcg"

    def _score(self, retrieved: list[Any], ground_truth: list[Any]) -> float:
        return ndcg_at_k(retrieved, ground_truth, self.k)
