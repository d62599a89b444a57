"""Spreading work over processes gives exactly the single-process values, in row order."""

from __future__ import annotations

import pytest
from heuristic_pairs import pairs

from evalkit.errors import ScorerError
from evalkit.scorers import _parallel, _rouge
from evalkit.scorers._parallel import parallel_map, process_count


def test_process_pool_values_equal_single_process(monkeypatch: pytest.MonkeyPatch) -> None:
    data = pairs(n_random=200)
    targets, predictions = [t for t, _ in data], [p for _, p in data]
    config = ("rougeL", True)
    monkeypatch.setenv("EVALKIT_PROCESSES", "1")
    single = parallel_map(
        _rouge.rouge_chunk, [targets, predictions], config=config, rows_per_process=10
    )
    monkeypatch.setenv("EVALKIT_PROCESSES", "2")
    monkeypatch.setattr(_parallel, "_cap", lambda: 2)
    assert process_count(len(targets), 10) == 2
    spread = parallel_map(
        _rouge.rouge_chunk, [targets, predictions], config=config, rows_per_process=10
    )
    assert spread == single


def test_small_batches_stay_in_process_and_the_setting_is_checked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert process_count(100) == 1
    monkeypatch.setenv("EVALKIT_PROCESSES", "many")
    with pytest.raises(ScorerError, match="EVALKIT_PROCESSES='many'"):
        process_count(10_000)
