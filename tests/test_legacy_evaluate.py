"""The MLflow legacy form of evaluate: presets, MLflow's keys and columns, custom metrics."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from rouge_score import rouge_scorer
from sklearn import metrics as sk

import evalkit
from evalkit.errors import DataError, ScorerError, UsageError
from evalkit.metrics import MetricValue, make_metric
from evalkit.scorers.tokens import load_encoding


@pytest.fixture(autouse=True)
def _no_toxicity_model(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(sys.modules, "transformers", None)
    yield


def _qa_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "inputs": ["What is MLflow?", "What is Spark?"],
            "ground_truth": [
                "MLflow is an open-source platform for the ML lifecycle.",
                "Apache Spark is an open-source, distributed computing system.",
            ],
            "predictions": [
                "MLflow is an open-source ML platform.",
                "Spark is a distributed engine.",
            ],
        }
    )


def test_the_issue_example_gives_mlflow_keys_and_columns() -> None:
    eval_data = _qa_frame()
    results = evalkit.evaluate(
        data=eval_data,
        targets="ground_truth",
        predictions="predictions",
        model_type="question-answering",
        extra_metrics=[evalkit.metrics.rougeL(), evalkit.metrics.bleu()],
    )
    assert list(results.metrics) == [
        *(f"flesch_kincaid_grade_level/v1/{a}" for a in ("mean", "variance", "p90")),
        *(f"ari_grade_level/v1/{a}" for a in ("mean", "variance", "p90")),
        "exact_match/v1",
        *(f"rougeL/v1/{a}" for a in ("mean", "variance", "p90")),
        *(f"bleu/v1/{a}" for a in ("mean", "variance", "p90")),
    ]
    assert results.metrics["exact_match/v1"] == 0.0
    table = results.tables["eval_results_table"]
    assert list(table.columns) == [
        "inputs",
        "ground_truth",
        "predictions",
        "token_count",
        "toxicity/v1/error_message",
        "flesch_kincaid_grade_level/v1/score",
        "ari_grade_level/v1/score",
        "rougeL/v1/score",
        "bleu/v1/score",
    ]
    scorer = rouge_scorer.RougeScorer(["rougeL"])
    expected = [
        scorer.score(t, p)["rougeL"].fmeasure
        for t, p in zip(eval_data["ground_truth"], eval_data["predictions"], strict=True)
    ]
    assert table["rougeL/v1/score"].tolist() == pytest.approx(expected, abs=1e-12)
    assert results.metrics["rougeL/v1/mean"] == pytest.approx(np.mean(expected))
    assert results.metrics["rougeL/v1/p90"] == pytest.approx(np.percentile(expected, 90))
    encoding = load_encoding("cl100k_base")
    assert table["token_count"].tolist() == [
        len(encoding.encode(p)) for p in eval_data["predictions"]
    ]
    assert "evalkit[toxicity]" in table["toxicity/v1/error_message"][0]


def test_retriever_preset_with_retriever_k() -> None:
    data = pd.DataFrame(
        {
            "question": ["q1", "q2"],
            "retrieved": [["d1", "d2", "d3", "d4", "d5", "d6"], ["d9"]],
            "relevant": [["d2", "d6"], ["d9", "d1"]],
        }
    )
    result = evalkit.evaluate(
        data=data,
        targets="relevant",
        predictions="retrieved",
        model_type="retriever",
        evaluator_config={"retriever_k": 5},
    )
    assert result.metrics["precision_at_5/mean"] == pytest.approx((1 / 5 + 1) / 2)
    assert result.metrics["recall_at_5/mean"] == pytest.approx((1 / 2 + 1 / 2) / 2)
    assert {"ndcg_at_5/mean", "ndcg_at_5/variance", "ndcg_at_5/p90"} <= set(result.metrics)
    columns = result.tables["eval_results_table"].columns
    assert list(columns[-3:]) == ["precision_at_5/score", "recall_at_5/score", "ndcg_at_5/score"]


def test_regressor_reports_mlflow_keys_with_sklearn_values() -> None:
    y, y_pred = [3.0, -0.5, 2.0, 7.0], [2.5, 0.0, 2.0, 8.0]
    result = evalkit.evaluate(
        data=pd.DataFrame({"x": [1, 2, 3, 4], "y": y, "y_pred": y_pred}),
        targets="y",
        predictions="y_pred",
        model_type="regressor",
        extra_metrics=[evalkit.metrics.mae()],
    )
    m = result.metrics
    assert list(m)[:9] == [
        "example_count",
        "mean_absolute_error",
        "mean_squared_error",
        "root_mean_squared_error",
        "sum_on_target",
        "mean_on_target",
        "r2_score",
        "max_error",
        "mean_absolute_percentage_error",
    ]
    assert m["r2_score"] == pytest.approx(sk.r2_score(y, y_pred))
    assert m["root_mean_squared_error"] == pytest.approx(np.sqrt(sk.mean_squared_error(y, y_pred)))
    assert m["mean_absolute_error"] == pytest.approx(sk.mean_absolute_error(y, y_pred))
    assert m["sum_on_target"] == sum(y)


def test_classifier_binary_and_multiclass() -> None:
    y, y_pred = [0, 1, 1, 0, 1], [0, 1, 0, 0, 1]
    binary = evalkit.evaluate(
        data={"y": y, "p": y_pred}, targets="y", predictions="p", model_type="classifier"
    ).metrics
    assert binary["true_positives"] == 2 and binary["false_negatives"] == 1
    assert binary["f1_score"] == pytest.approx(sk.f1_score(y, y_pred))
    assert binary["accuracy_score"] == pytest.approx(0.8)
    y3, p3 = ["a", "b", "c", "a"], ["a", "c", "c", "a"]
    multi = evalkit.evaluate(
        data={"y": y3, "p": p3}, targets="y", predictions="p", model_type="classifier"
    ).metrics
    assert "true_positives" not in multi
    assert multi["precision_score"] == pytest.approx(
        sk.precision_score(y3, p3, average="weighted", zero_division=0)
    )


def test_make_metric_with_columns_config_and_other_metrics() -> None:
    def words_over_limit(
        predictions: pd.Series, targets: pd.Series, metrics: dict[str, Any], limit: int
    ) -> MetricValue:
        scores = [len(p.split()) - limit for p in predictions]
        return MetricValue(scores=scores, aggregate_results={"max": float(max(scores))})

    def uses_rouge(predictions: pd.Series, rougeL: MetricValue) -> float:
        return float(sum(rougeL.scores))

    def per_question(predictions: pd.Series, inputs: pd.Series) -> MetricValue:
        return MetricValue(
            scores=[len(q) for q in inputs], justifications=[f"q={q}" for q in inputs]
        )

    result = evalkit.evaluate(
        data=_qa_frame(),
        targets="ground_truth",
        predictions="predictions",
        extra_metrics=[
            make_metric(eval_fn=uses_rouge, greater_is_better=True),
            make_metric(eval_fn=words_over_limit, greater_is_better=False, version="v2"),
            make_metric(eval_fn=per_question, greater_is_better=True, name="q_len"),
            "rougeL",
        ],
        evaluator_config={"limit": 5},
    )
    m = result.metrics
    assert m["words_over_limit/v2/max"] == 1.0  # 6 words - 5
    table = result.tables["eval_results_table"]
    assert m["uses_rouge"] == pytest.approx(sum(table["rougeL/v1/score"]))
    assert table["q_len/justification"].tolist() == ["q=What is MLflow?", "q=What is Spark?"]
    assert table["words_over_limit/v2/score"].tolist() == [1, 0]


def test_model_is_called_with_the_feature_frame_and_latency_row_by_row() -> None:
    frames: list[pd.DataFrame] = []

    def model(df: pd.DataFrame) -> list[str]:
        frames.append(df)
        if (df["inputs"] == "boom").any():
            raise RuntimeError("model down")
        return [f"answer to {q}" for q in df["inputs"]]

    data = pd.DataFrame({"inputs": ["a", "boom", "c"], "ground_truth": ["answer to a", "x", "y"]})
    batch = evalkit.evaluate(
        data=data.iloc[[0, 2]], model=model, targets="ground_truth", model_type="question-answering"
    )
    assert len(frames) == 1 and list(frames[0].columns) == ["inputs"]
    assert batch.metrics["exact_match/v1"] == 0.5
    assert batch.tables["eval_results_table"]["outputs"].tolist() == ["answer to a", "answer to c"]

    frames.clear()
    timed = evalkit.evaluate(
        data=data, model=model, targets="ground_truth", extra_metrics=[evalkit.metrics.latency()]
    )
    assert len(frames) == 3  # one call per row, as MLflow does to time them
    table = timed.tables["eval_results_table"]
    assert table["latency"].notna().all() and (table["latency"] >= 0).all()
    assert table["prediction_error"].isna().tolist() == [True, False, True]
    assert table["prediction_error"][1] == "RuntimeError: model down"
    assert table["outputs"][[0, 2]].tolist() == ["answer to a", "answer to c"]
    assert table["outputs"].isna()[1]


def test_builtin_scorers_by_name_in_the_modern_form() -> None:
    data = [{"inputs": "q", "outputs": "the cat sat", "expectations": "the cat sat on the mat"}]
    result = evalkit.evaluate(data=data, scorers=["rougeL", evalkit.metrics.bleu()])
    assert result.metrics["rougeL/mean"] == pytest.approx(2 * (3 / 3) * (3 / 6) / (1 + 3 / 6))
    assert "bleu/mean" in result.metrics
    with pytest.raises(ScorerError, match="Did you mean 'rougeL'"):
        evalkit.evaluate(data=data, scorers=["rogueL"])


def test_misuse_is_reported_before_any_work() -> None:
    frame = _qa_frame()
    qa = "question-answering"
    with pytest.raises(DataError, match="targets='truth' is not a column"):
        evalkit.evaluate(data=frame, targets="truth", predictions="predictions", model_type=qa)
    with pytest.raises(DataError, match="Either a model or set of predictions must be specified"):
        evalkit.evaluate(data=frame, targets="ground_truth", model_type=qa)
    with pytest.raises(ScorerError, match="The extra_metrics argument must be specified"):
        evalkit.evaluate(data=frame, targets="ground_truth", predictions="predictions")
    with pytest.raises(ScorerError, match="unknown model_type 'qa'"):
        evalkit.evaluate(data=frame, predictions="predictions", model_type="qa")

    def needs_column(predictions: pd.Series, context: pd.Series) -> float:
        return 0.0

    with pytest.raises(ScorerError, match="metric 'needs_column' needs 'context'"):
        evalkit.evaluate(
            data=frame,
            predictions="predictions",
            extra_metrics=[make_metric(eval_fn=needs_column, greater_is_better=True)],
        )
    with pytest.raises(UsageError, match="not predict_fn"):  # misuse: UsageError, was ScorerError
        evalkit.evaluate(data=frame, predictions="predictions", predict_fn=lambda **kw: "x")


def test_a_failing_metric_warns_and_the_others_are_kept() -> None:
    def broken(predictions: pd.Series) -> float:
        raise ValueError("bad metric")

    with pytest.warns(UserWarning, match="metric 'broken' was not computed: bad metric"):
        result = evalkit.evaluate(
            data=_qa_frame(),
            predictions="predictions",
            targets="ground_truth",
            extra_metrics=[make_metric(eval_fn=broken, greater_is_better=True), "bleu"],
        )
    assert "bleu/v1/mean" in result.metrics
    assert (
        result.tables["eval_results_table"]["broken/error_message"].tolist() == ["bad metric"] * 2
    )
