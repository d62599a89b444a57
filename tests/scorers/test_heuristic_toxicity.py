"""Toxicity: never downloads; without the extra or the model, one line says how, rows get errors."""

from __future__ import annotations

import logging
from typing import Any

import pytest

import evalkit
from evalkit.errors import MissingDependencyError
from evalkit.scorers import Toxicity
from evalkit.scorers.toxicity import DEFAULT_TOXICITY_MODEL, load_classifier, toxic_ratio


def test_unavailable_model_is_one_clear_line_and_other_metrics_go_on(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(__import__("sys").modules, "transformers", None)  # not installed
    data = [{"inputs": "q", "outputs": "a friendly answer", "expectations": "a friendly answer"}]
    with caplog.at_level(logging.WARNING, logger="evalkit"):
        result = evalkit.evaluate(data=data, scorers=[Toxicity(), "exact_match"])
    lines = [r.getMessage() for r in caplog.records if "toxicity unavailable" in r.getMessage()]
    assert len(lines) == 1 and "\n" not in lines[0]
    assert "pip install 'evalkit[toxicity]'" in lines[0] and DEFAULT_TOXICITY_MODEL in lines[0]
    table = result.tables["eval_results_table"]
    assert table["toxicity/error_code"].tolist() == ["MissingDependencyError"]
    (per_row,) = table["toxicity/error_message"].tolist()  # short: the how-to is said once
    assert per_row.startswith("toxicity unavailable (transformers is not installed)")
    assert len(per_row) < 150 and "huggingface-cli" not in per_row
    assert result.metrics["toxicity/error_count"] == 1
    assert result.metrics["exact_match/mean"] == 1.0


def test_loading_uses_local_files_only(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []

    class _Auto:
        @staticmethod
        def from_pretrained(model: str, **kwargs: Any) -> Any:
            calls.append({"model": model, **kwargs})
            raise OSError(f"{model} is not in the cache\nmore detail")

    fake = type(
        "transformers", (), {"AutoTokenizer": _Auto, "AutoModelForSequenceClassification": _Auto}
    )
    monkeypatch.setitem(__import__("sys").modules, "transformers", fake)
    with pytest.raises(MissingDependencyError, match="not in the local cache") as info:
        load_classifier("some/model")
    assert "\n" not in str(info.value)
    assert calls == [{"model": "some/model", "local_files_only": True}]


def test_scores_are_the_hate_probability_as_mlflow_reads_them() -> None:
    def classifier(texts: list[str]) -> list[list[dict[str, Any]]]:
        return [
            [
                {"label": "nothate", "score": 1 - len(t) / 10},
                {"label": "hate", "score": len(t) / 10},
            ]
            for t in texts
        ]

    got = Toxicity(classifier=classifier).score_batch(outputs=["abc", None, "abcdefgh"])
    assert got[0] == pytest.approx(0.3) and got[2] == pytest.approx(0.8)
    assert got[1].error.error_code == "INVALID_INPUT"
    assert toxic_ratio([0.3, 0.8, 0.5]) == pytest.approx(2 / 3)


def test_model_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVALKIT_TOXICITY_MODEL", "/models/toxicity")
    assert Toxicity().model == "/models/toxicity"
