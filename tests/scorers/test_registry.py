"""The one registry of built-ins: every way of naming a built-in goes through resolve()."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

import evalkit
import evalkit.metrics
import evalkit.scorers
from evalkit.cli import main
from evalkit.errors import ScorerError
from evalkit.judges import Correctness, RelevanceToQuery
from evalkit.legacy import preset_metrics
from evalkit.scorers import BatchScorer, ScorerValue, registry
from evalkit.scorers.text import Rouge
from evalkit.testing import JudgeServer

ROWS = [
    {
        "inputs": {"question": "Capital of France?"},
        "outputs": "Paris is the capital",
        "expectations": {"expected_response": "Paris is the capital of France"},
    }
]


@pytest.fixture
def resolved_names(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every value the registry's resolve() is asked for, by anyone."""
    seen: list[Any] = []
    original = registry.resolve

    def spy(value: Any, **kwargs: Any) -> Any:
        seen.append(value)
        return original(value, **kwargs)

    monkeypatch.setattr(registry, "resolve", spy)
    return seen


@pytest.fixture
def judges_up() -> Iterator[JudgeServer]:
    with JudgeServer() as server, server.env():
        server.add_rule(match=None, reply={"result": "yes", "rationale": "fine"})
        yield server


def test_evaluate_and_the_cli_resolve_names_through_the_same_code(
    resolved_names: list[Any],
    judges_up: JudgeServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from evalkit.judges import set_default_model

    set_default_model("openai:/gpt-4.1-mini")
    try:
        result = evalkit.evaluate(data=ROWS, scorers=["Correctness", "rougeL"])
        assert result.metrics["correctness/mean"] == 1.0
        assert "rougeL/mean" in result.metrics
        assert resolved_names == ["Correctness", "rougeL"]

        resolved_names.clear()
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("EVALKIT_TRACKING_URI", str(tmp_path / "store"))
        (tmp_path / "rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in ROWS))
        argv = ["eval", "rows.jsonl", "-s", "Correctness", "-s", "rougeL", "--json"]
        assert main([*argv, "--judge-model", "openai:/gpt-4.1-mini"]) == 0
        metrics = json.loads(capsys.readouterr().out)["metrics"]
        assert metrics["correctness/mean"] == 1.0 and "rougeL/mean" in metrics
        # the CLI resolves the names, then evaluate() passes the scorers it got through
        assert [n for n in resolved_names if isinstance(n, str)] == ["Correctness", "rougeL"]
    finally:
        set_default_model(None)


def test_names_of_metrics_judges_and_at_k() -> None:
    assert isinstance(registry.resolve("Correctness"), Correctness)
    rouge = registry.resolve("rougeL")
    assert isinstance(rouge, Rouge) and rouge.name == "rougeL"
    at_5 = registry.resolve("precision_at_5")
    assert (type(at_5).__name__, at_5.name, at_5.k) == ("PrecisionAtK", "precision_at_5", 5)  # type: ignore[attr-defined]
    assert registry.builtin_scorer("token_count", encoding="o200k_base").encoding == "o200k_base"  # type: ignore[attr-defined]
    assert "precision_at_<k>" in registry.BUILTIN_METRIC_NAMES
    assert "Correctness" in registry.names("judge")
    with pytest.raises(ScorerError, match="Did you mean 'rougeL'"):
        registry.resolve("rogueL")
    with pytest.raises(ScorerError, match="needs configuration"):
        registry.resolve("Guidelines")


def test_a_scorer_class_instead_of_an_instance_says_to_instantiate_it() -> None:
    with pytest.raises(ScorerError, match=r"scorers\[0\] is the class RelevanceToQuery.*"):
        evalkit.evaluate(data=ROWS, scorers=[RelevanceToQuery])
    with pytest.raises(ScorerError, match=r"instantiate it: RelevanceToQuery\(\)"):
        evalkit.evaluate(data=ROWS, scorers=[RelevanceToQuery])


def test_plain_functions_and_other_values_are_explained() -> None:
    def words(outputs: str) -> int:
        return len(outputs.split())

    with pytest.raises(ScorerError, match=r"scorers\[0\] \(words\) is a plain function"):
        evalkit.evaluate(data=ROWS, scorers=[words])
    with pytest.raises(ScorerError, match=r"scorers\[1\] is a int"):
        evalkit.evaluate(data=ROWS, scorers=["rougeL", 3])


def test_the_legacy_presets_and_metric_keys_come_from_the_registry() -> None:
    names = [m.full_name for m in preset_metrics("question-answering")]
    assert names == [
        "token_count",
        "toxicity/v1",
        "flesch_kincaid_grade_level/v1",
        "ari_grade_level/v1",
        "exact_match/v1",
    ]
    assert [m.name for m in preset_metrics("retriever", retriever_k=4)] == [
        "precision_at_4",
        "recall_at_4",
        "ndcg_at_4",
    ]
    summarization = [m.name for m in preset_metrics("text-summarization")][-4:]
    assert summarization == ["rouge1", "rouge2", "rougeL", "rougeLsum"]
    ari = evalkit.metrics.ari_grade_level()
    assert (ari.version, ari.long_name, ari.greater_is_better) == (
        "v1",
        "automated_readability_index_grade_level",
        False,
    )


class Shouting(BatchScorer):
    """Share of upper-case letters in the output."""

    def __post_init__(self) -> None:
        self.name = self.name or "shouting"
        super().__post_init__()

    def score_batch(self, *, outputs: Sequence[Any]) -> list[ScorerValue]:
        letters = [[c for c in str(o) if c.isalpha()] for o in outputs]
        return [sum(c.isupper() for c in ls) / len(ls) if ls else 0.0 for ls in letters]


@pytest.fixture
def new_builtin() -> Iterator[str]:
    """A built-in registered the way a new module would: only the decorator."""
    registry.builtin("shouting", kind="heuristic", mlflow_key="shouting/v1")(Shouting)
    try:
        yield "shouting"
    finally:
        registry._ENTRIES.pop("shouting", None)
        vars(evalkit.scorers).pop("Shouting", None)


def test_a_new_builtin_needs_only_its_decorator(new_builtin: str) -> None:
    rows = [{"inputs": "q", "outputs": "HEY thee"}]
    assert evalkit.evaluate(data=rows, scorers=[new_builtin]).metrics[
        "shouting/mean"
    ] == pytest.approx(3 / 7)
    from evalkit.cli.scorers import resolve_scorers

    assert isinstance(resolve_scorers([new_builtin])[0], Shouting)
    metric = evalkit.metrics.shouting()  # type: ignore[attr-defined]
    assert metric.full_name == "shouting/v1"
    assert metric(predictions=["AB", "ab"]).scores == [1.0, 0.0]
    assert evalkit.scorers.Shouting is Shouting  # type: ignore[attr-defined]


def test_two_builtins_cannot_share_a_name() -> None:
    with pytest.raises(ScorerError, match="two built-ins are named 'rougeL'"):
        registry.builtin("rougeL", kind="heuristic")(Shouting)


def test_import_evalkit_loads_no_heuristic_module() -> None:
    code = (
        "import sys, evalkit; "
        "print([m for m in sys.modules if m.startswith('evalkit.scorers.') "
        "and m.rsplit('.', 1)[1] in ('text', 'readability', 'tokens', 'toxicity', 'retrieval')])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
