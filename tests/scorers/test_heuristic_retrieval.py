"""Retriever metrics: MLflow's edge cases, and NDCG equal to sklearn's ndcg_score."""

from __future__ import annotations

import random

import numpy as np
import pytest
from sklearn.metrics import ndcg_score

from evalkit.errors import ScorerError
from evalkit.scorers import NdcgAtK, PrecisionAtK, RecallAtK


def _sklearn_ndcg(retrieved: list[object], ground_truth: list[object], k: int) -> float:
    """MLflow's ndcg_at_k: its edge cases, duplicate expansion, then sklearn.ndcg_score."""
    if not retrieved and not ground_truth:
        return 1.0
    if not retrieved or not ground_truth:
        return 0.0
    top = retrieved[:k]
    targets = set(ground_truth)
    seen: dict[object, int] = {}
    expanded = []
    for doc in top:
        seen[doc] = seen.get(doc, 0) + 1
        new = doc if seen[doc] == 1 else f"{doc}__dup{seen[doc]}"
        expanded.append(new)
        if seen[doc] > 1 and doc in targets:
            targets.add(new)
    docs = list(targets.union(expanded))
    index = {d: i for i, d in enumerate(docs)}
    n = max(len(docs), 2)
    y_true = np.zeros((1, n), dtype=np.float32)
    y_score = np.zeros((1, n), dtype=np.float32)
    for i, doc in enumerate(expanded):
        y_score[0, index[doc]] = 1 - i * 1e-6
    for doc in targets:
        y_true[0, index[doc]] = 1
    return float(ndcg_score(y_true, y_score, k=len(top), ignore_ties=True))


def _cases(n: int = 400) -> list[tuple[list[object], list[object]]]:
    rnd = random.Random(7)
    ids: list[object] = [*range(12), "a", "b", "c", "doc-1", "doc-2"]
    out: list[tuple[list[object], list[object]]] = [
        ([], []),
        ([], [1]),
        ([1], []),
        ([1, 1, 1, 3], [1, 2]),
    ]
    for _ in range(n):
        retrieved = [rnd.choice(ids) for _ in range(rnd.randint(0, 10))]
        truth = rnd.sample(ids, rnd.randint(0, 6))
        out.append((retrieved, truth))
    return out


@pytest.mark.parametrize("k", [1, 3, 5, 10])
def test_ndcg_equals_sklearn(k: int) -> None:
    cases = _cases()
    got = NdcgAtK(k=k).score_batch(
        outputs=[r for r, _ in cases], expectations=[{"expected_response": t} for _, t in cases]
    )
    expected = [_sklearn_ndcg(r, t, k) for r, t in cases]
    assert got == pytest.approx(expected, abs=1e-9)
    assert len(set(got)) > (1 if k == 1 else 10)  # graded values, not only 0 and 1


def test_mlflow_edge_cases() -> None:
    def run(scorer: object, retrieved: list[object], truth: list[object]) -> object:
        return scorer(outputs=retrieved, expectations={"expected_response": truth})  # type: ignore[operator]

    p, r, n = PrecisionAtK(k=3), RecallAtK(k=3), NdcgAtK(k=3)
    # nothing retrieved, no ground truth
    assert (run(p, [], []), run(r, [], []), run(n, [], [])) == (0.0, 1.0, 1.0)
    # retrieved but no ground truth
    assert (run(p, [1], []), run(r, [1], []), run(n, [1], [])) == (0.0, 0.0, 0.0)
    # ground truth but nothing retrieved
    assert (run(p, [], [1]), run(r, [], [1]), run(n, [], [1])) == (0.0, 0.0, 0.0)
    # duplicates count separately for precision, once for recall
    assert run(p, [1, 1, 2], [1]) == pytest.approx(2 / 3)
    assert run(r, [1, 1, 2], [1, 5]) == 0.5
    # precision over min(k, retrieved); top-k only
    assert run(p, [1, 9], [1]) == 0.5
    assert run(p, [9, 9, 9, 1], [1]) == 0.0
    # NDCG: MLflow's example, [1, 1, 1, 3] against [1, 2] is [10, 11, 12, 3] against [10, 11, 12, 2]
    assert NdcgAtK(k=4)(
        outputs=[1, 1, 1, 3], expectations={"expected_response": [1, 2]}
    ) == pytest.approx(
        NdcgAtK(k=4)(outputs=[10, 11, 12, 3], expectations={"expected_response": [10, 11, 12, 2]})
    )


def test_numpy_arrays_are_accepted_and_bad_ids_are_row_errors() -> None:
    got = PrecisionAtK(k=2).score_batch(
        outputs=[np.array(["a", "b"]), "a b", [1.5]],
        expectations=[
            {"expected_response": np.array(["a"])},
            {"expected_response": ["a"]},
            {"expected_response": [1]},
        ],
    )
    assert got[0] == 0.5
    assert got[1].error.error_code == "INVALID_INPUT"
    assert "list of document IDs" in got[2].error.error_message


def test_names_and_k_validation() -> None:
    assert PrecisionAtK(k=5).name == "precision_at_5"
    assert NdcgAtK().name == "ndcg_at_3"
    with pytest.raises(ScorerError, match="positive whole number"):
        RecallAtK(k=0)
