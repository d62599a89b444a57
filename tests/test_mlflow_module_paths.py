"""MLflow module paths: run records from ``evalkit.entities``, ``evalkit.metrics.genai.*``."""

from __future__ import annotations

import evalkit
import evalkit.entities as entities
import evalkit.metrics
import evalkit.tracking as tracking


def test_run_records_come_from_evalkit_entities_as_from_mlflow_entities(
    tmp_path: object,
) -> None:
    from evalkit.entities import Metric, Param, RunTag

    evalkit.set_tracking_uri(f"sqlite:///{tmp_path}/mlruns.db")
    try:
        client = evalkit.MlflowClient()
        run = client.create_run(client.create_experiment("entities"))
        client.log_batch(
            run.info.run_id,
            metrics=[Metric("accuracy", 0.5, 1_700_000_000_000, 3)],
            params=[Param("model", "small")],
            tags=[RunTag("team", "support")],
        )
        stored = client.get_run(run.info.run_id)
        assert isinstance(stored, entities.Run)
        assert stored.data.metrics == {"accuracy": 0.5}
        assert stored.data.params == {"model": "small"}
        assert stored.data.tags["team"] == "support"
        history = client.get_metric_history(run.info.run_id, "accuracy")
        assert history == [Metric("accuracy", 0.5, 1_700_000_000_000, 3)]
    finally:
        evalkit.set_tracking_uri(None)


def test_the_tracking_names_are_the_same_classes() -> None:
    for name in ("Metric", "Param", "RunTag", "Run", "Experiment", "ViewType", "RunStatus"):
        assert getattr(tracking, name) is getattr(entities, name)


def test_mlflow_metrics_genai_module_paths() -> None:
    from evalkit.metrics.genai import EvaluationExample, make_genai_metric
    from evalkit.metrics.genai.base import EvaluationExample as FromBase
    from evalkit.metrics.genai.genai_metric import make_genai_metric as from_genai_metric
    from evalkit.metrics.genai.metric_definitions import answer_correctness

    assert from_genai_metric is make_genai_metric
    assert FromBase is EvaluationExample
    assert answer_correctness is evalkit.metrics.genai.answer_correctness
