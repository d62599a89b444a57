"""ROUGE, BLEU and exact match equal their reference implementations, pair for pair."""

from __future__ import annotations

import math

import pytest
from heuristic_pairs import pairs
from rouge_score import rouge_scorer
from sacrebleu.metrics import BLEU

import evalkit
from evalkit.errors import ScorerError
from evalkit.scorers import Bleu, ExactMatch, Rouge
from evalkit.testing.reference import hf_bleu

PAIRS = pairs()
EXPECTATIONS = [{"expected_response": t} for t, _ in PAIRS]
PREDICTIONS = [p for _, p in PAIRS]


def test_there_are_a_few_hundred_varied_pairs() -> None:
    assert len(PAIRS) > 300
    assert any(t == p for t, p in PAIRS)
    assert any(len(t) > 3000 for t, _ in PAIRS)
    assert any(not t or not p for t, p in PAIRS)


@pytest.mark.parametrize("use_stemmer", [False, True])
@pytest.mark.parametrize("rouge_type", ["rouge1", "rouge2", "rougeL", "rougeLsum"])
def test_rouge_equals_rouge_score(rouge_type: str, use_stemmer: bool) -> None:
    reference = rouge_scorer.RougeScorer([rouge_type], use_stemmer=use_stemmer)
    expected = [reference.score(t, p)[rouge_type].fmeasure for t, p in PAIRS]
    got = Rouge(rouge_type=rouge_type, use_stemmer=use_stemmer).score_batch(
        outputs=PREDICTIONS, expectations=EXPECTATIONS
    )
    assert got == pytest.approx(expected, abs=1e-9)
    assert any(0 < v < 1 for v in got)  # the data exercises partial overlaps


def test_bleu_equals_hugging_face_definition() -> None:
    got = Bleu().score_batch(outputs=PREDICTIONS, expectations=EXPECTATIONS)
    expected = [hf_bleu(t, p) for t, p in PAIRS]
    assert got == pytest.approx(expected, abs=1e-9)
    assert sum(0 < v < 1 for v in got) > 20


def test_bleu_agrees_with_sacrebleu() -> None:
    # sacrebleu strips trailing whitespace first; pairs where that matters are left out.
    sacre = BLEU(tokenize="13a", smooth_method="none")
    checked = 0
    for target, prediction in PAIRS:
        if (
            not target
            or not prediction
            or target != target.rstrip()
            or prediction != prediction.rstrip()
        ):
            continue
        expected = sacre.corpus_score([prediction], [[target]]).score / 100
        got = Bleu().score_batch(outputs=[prediction], expectations=[{"expected_response": target}])
        assert got[0] == pytest.approx(expected, abs=1e-9), (target, prediction)
        checked += 1
    assert checked > 200


def test_bleu_golden_value_and_mlflow_edge_cases() -> None:
    bleu = Bleu()
    same = "the quick brown fox jumps over the lazy dog"
    assert bleu(outputs=same, expectations={"expected_response": same}) == 1.0
    assert bleu(outputs="", expectations={"expected_response": same}) == 0.0
    assert bleu(outputs=same, expectations={"expected_response": ""}) == 0.0
    assert bleu(outputs="   ", expectations={"expected_response": same}) == 0.0  # no tokens
    # n-gram precisions 5/5, 3/4, 2/3, 1/2; 5 tokens against 6, so bp = exp(1 - 6/5)
    got = bleu(
        outputs="the cat sat on mat", expectations={"expected_response": "the cat sat on the mat"}
    )
    expected = math.exp(sum(math.log(p) for p in (5 / 5, 3 / 4, 2 / 3, 1 / 2)) / 4) * math.exp(
        1 - 6 / 5
    )
    assert got == pytest.approx(expected, abs=1e-12)


def test_rouge_golden_value() -> None:
    # LCS of "the cat sat on the mat" / "the cat on the mat" is 5: P=5/5, R=5/6
    got = Rouge(rouge_type="rougeL")(
        outputs="The cat on the mat.", expectations={"expected_response": "the cat sat on the mat"}
    )
    assert got == pytest.approx(2 * 1 * (5 / 6) / (1 + 5 / 6))


def test_bad_rows_get_errors_and_the_others_are_scored() -> None:
    got = Rouge(rouge_type="rouge1").score_batch(
        outputs=["a b", None, "a b", 42],
        expectations=[
            {"expected_response": "a b"},
            {"expected_response": "a"},
            None,
            {"expected_response": "a"},
        ],
    )
    assert got[0] == 1.0
    assert (
        got[1].error.error_code == "INVALID_INPUT"
        and "outputs is a NoneType" in got[1].error.error_message
    )
    assert got[2].error.error_code == "MISSING_EXPECTATION"
    assert got[3].error.error_code == "INVALID_INPUT"


def test_exact_match_per_row_and_mean_is_accuracy() -> None:
    data = [
        {"inputs": "q", "outputs": "A", "expectations": "A"},
        {"inputs": "q", "outputs": "A", "expectations": "a"},
        {"inputs": "q", "outputs": "4", "expectations": "4"},
        {"inputs": "q", "outputs": "x", "expectations": "y"},
    ]
    result = evalkit.evaluate(data=data, scorers=[ExactMatch()])
    assert result.tables["eval_results_table"]["exact_match/value"].tolist() == [
        True,
        False,
        True,
        False,
    ]
    assert result.metrics["exact_match/mean"] == 0.5


def test_unknown_rouge_type_is_rejected() -> None:
    with pytest.raises(ScorerError, match="unknown rouge_type 'rouge3'"):
        Rouge(rouge_type="rouge3")


def test_names_and_default_aggregations_follow_mlflow() -> None:
    result = evalkit.evaluate(
        data=[{"inputs": "q", "outputs": "a b c", "expectations": "a b d"}],
        scorers=["rouge1", "rougeLsum", "bleu"],
    )
    assert {"rouge1/mean", "rouge1/variance", "rouge1/p90", "rougeLsum/mean", "bleu/p90"} <= set(
        result.metrics
    )
