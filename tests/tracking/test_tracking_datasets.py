"""Evaluation datasets persisted in the store (mlflow.genai.datasets' API)."""

from __future__ import annotations

import json
import time

import pandas as pd
import pytest

import evalkit
from evalkit import DataError, TrackingError
from evalkit.tracking.datasets import EvaluationDataset

pytestmark = pytest.mark.usefixtures("backend")


@evalkit.scorer
def exact_match(outputs, expectations) -> bool:
    return outputs == expectations["expected_response"]


def test_round_trip_create_merge_twice_search_by_tag_and_evaluate() -> None:
    experiment = evalkit.set_experiment("datasets")
    ds = evalkit.create_dataset("qa_v1", tags={"env": "prod", "team": "ml"})
    assert ds.dataset_id is not None and ds.dataset_id.startswith("d-")
    assert ds.experiment_ids == [experiment.experiment_id]
    ds.merge_records(
        [
            {"inputs": {"q": "2+2?"}, "outputs": "4", "expectations": {"expected_response": "4"}},
            {"inputs": {"q": "capital?"}, "outputs": "Rome", "expectations": {"lang": "en"}},
        ]
    )
    ds.merge_records(  # overlaps the second record: updated, not duplicated
        pd.DataFrame(
            [
                {"inputs": {"q": "capital?"}, "expectations": {"expected_response": "Paris"}},
                {
                    "inputs": {"q": "new"},
                    "outputs": "x",
                    "expectations": {"expected_response": "x"},
                },
            ]
        )
    )
    assert len(ds) == 3
    again = evalkit.get_dataset(dataset_id=ds.dataset_id)
    assert again.records == ds.records
    assert again.records[1] == {
        "inputs": {"q": "capital?"},
        "outputs": "Rome",
        "expectations": {"lang": "en", "expected_response": "Paris"},
    }
    assert again.digest == ds.digest
    assert again.to_df()["inputs"].tolist()[0] == {"q": "2+2?"}

    evalkit.create_dataset("qa_dev", tags={"env": "dev"})
    found = evalkit.search_datasets(filter_string="tags.env = 'prod'")
    assert [d.name for d in found] == ["qa_v1"]
    found = evalkit.search_datasets(filter_string="name LIKE 'qa_%'", order_by=["name ASC"])
    assert [d.name for d in found] == ["qa_dev", "qa_v1"]

    result = evalkit.evaluate(data=again, scorers=[exact_match])
    assert result.metrics["exact_match/mean"] == pytest.approx(2 / 3)
    run = evalkit.get_run(result.run_id)  # type: ignore[arg-type]
    [source] = run.inputs.dataset_inputs
    assert (source.name, source.digest, source.dataset_id) == ("qa_v1", ds.digest, ds.dataset_id)
    assert run.data.params["dataset.digest"] == ds.digest


def test_tags_set_merge_and_delete() -> None:
    ds = evalkit.create_dataset("tagged", tags={"a": "1", "b": "2"})
    assert ds.dataset_id is not None
    evalkit.set_dataset_tags(ds.dataset_id, {"b": "3", "c": "4", "a": None})
    assert evalkit.get_dataset(dataset_id=ds.dataset_id).tags == {"b": "3", "c": "4"}
    evalkit.delete_dataset_tag(ds.dataset_id, "c")
    assert evalkit.get_dataset(name="tagged").tags == {"b": "3"}
    with pytest.raises(TrackingError, match="no dataset"):
        evalkit.set_dataset_tags("d-missing", {"x": "y"})


def test_delete_and_errors() -> None:
    ds = evalkit.create_dataset("gone")
    ds.merge_records([{"inputs": {"q": 1}}])
    with pytest.raises(TrackingError, match="already exists"):
        evalkit.create_dataset("gone")
    evalkit.delete_dataset(dataset_id=ds.dataset_id)
    with pytest.raises(TrackingError, match="no evaluation dataset"):
        evalkit.get_dataset(dataset_id=ds.dataset_id)
    assert evalkit.search_datasets() == []
    with pytest.raises(TrackingError, match="exactly one"):
        evalkit.get_dataset()
    with pytest.raises(TrackingError, match="no experiment"):
        evalkit.create_dataset("x", experiment_id="999")
    with pytest.raises(TrackingError, match="datasets can be filtered"):
        evalkit.search_datasets(filter_string="metrics.x > 1")


def test_bad_records_are_rejected_before_writing() -> None:
    ds = evalkit.create_dataset("strict")
    with pytest.raises(DataError, match="record 1: column 'inputs' is missing"):
        ds.merge_records([{"inputs": {"q": 1}}, {"expectations": {}}])
    with pytest.raises(DataError, match="record 0: is a str"):
        ds.merge_records(["text"])  # type: ignore[list-item]
    assert len(evalkit.get_dataset(name="strict")) == 0


def test_search_by_experiment_and_max_results() -> None:
    first = evalkit.create_experiment("one")
    evalkit.create_dataset("d1", experiment_id=first)
    evalkit.create_dataset("d2", experiment_id=[first, "0"])
    evalkit.create_dataset("d3", experiment_id="0")
    names = [d.name for d in evalkit.search_datasets(experiment_ids=[first], order_by=["name"])]
    assert names == ["d1", "d2"]
    assert len(evalkit.search_datasets(max_results=2)) == 2
    assert evalkit.search_datasets(order_by=["created_time DESC"])[0].name == "d3"


def test_in_memory_datasets_still_work_without_a_store() -> None:
    ds = EvaluationDataset([{"inputs": {"q": 1}, "expectations": {"a": 1}}], name="mem")
    assert ds.merge_records([{"inputs": {"q": 1}, "expectations": {"b": 2}}]) is ds
    assert ds.records == [{"inputs": {"q": 1}, "expectations": {"a": 1, "b": 2}}]
    assert ds.dataset_id is None


def test_schema_profile_create_time_and_dict_round_trip() -> None:
    ds = evalkit.create_dataset("described", tags={"env": "dev"})
    assert ds.schema is None and ds.profile == '{"num_records": 0}'
    ds.merge_records(
        [
            {"inputs": {"q": "2+2?", "n": 2}, "expectations": {"answer": "4", "score": 1}},
            {"inputs": {"q": "3+3?", "n": 3.5}, "expectations": {"answer": "6"}},
        ]
    )
    assert json.loads(ds.schema or "") == {
        "inputs": {"q": "string", "n": "mixed"},
        "expectations": {"answer": "string", "score": "integer"},
        "version": "1.0",
    }
    assert json.loads(ds.profile or "") == {"num_records": 2}
    assert ds.create_time == ds.created_time and isinstance(ds.create_time, int)
    assert ds.source_type == "mlflow_evaluation_dataset"
    assert ds.set_profile('{"curated": true}') is ds and ds.profile == '{"curated": true}'

    data = ds.to_dict()
    assert json.loads(json.dumps(data)) == data  # JSON-ready
    assert data["dataset_id"] == ds.dataset_id and data["name"] == "described"
    assert data["digest"] == ds.digest and data["tags"] == {"env": "dev"}
    assert data["records"] == ds.records and data["experiment_ids"] == ["0"]
    copy = EvaluationDataset.from_dict(data)
    assert (copy.name, copy.digest, copy.records, copy.dataset_id) == (
        "described",
        ds.digest,
        ds.records,
        ds.dataset_id,
    )
    assert (copy.created_time, copy.tags, copy.profile) == (
        ds.created_time,
        {"env": "dev"},
        '{"curated": true}',
    )
    with pytest.raises(DataError, match="does not match the records"):
        EvaluationDataset.from_dict({**data, "records": data["records"][:1]})
    with pytest.raises(DataError, match="'records' must be a list"):
        EvaluationDataset.from_dict({"name": "x", "records": "nope"})
    in_memory = EvaluationDataset.from_dict({"records": [{"inputs": {"q": 1}}]})
    assert len(in_memory) == 1 and in_memory.source_type == "code"


def test_add_and_remove_dataset_experiments() -> None:
    first = evalkit.create_experiment("e1")
    second = evalkit.create_experiment("e2")
    ds = evalkit.create_dataset("shared", experiment_id=first)
    assert ds.dataset_id is not None
    updated = evalkit.add_dataset_to_experiments(ds.dataset_id, experiment_ids=[second, first])
    assert sorted(updated.experiment_ids) == sorted([first, second])
    assert [d.name for d in evalkit.search_datasets(experiment_ids=[second])] == ["shared"]
    updated = evalkit.remove_dataset_from_experiments(ds.dataset_id, experiment_ids=[first])
    assert updated.experiment_ids == [second]
    with pytest.warns(UserWarning, match=r"not linked to experiment\(s\) \['" + first):
        evalkit.remove_dataset_from_experiments(ds.dataset_id, [first])
    with pytest.raises(TrackingError, match="no experiment with id '999'"):
        evalkit.add_dataset_to_experiments(ds.dataset_id, ["999"])
    with pytest.raises(TrackingError, match="no dataset"):
        evalkit.add_dataset_to_experiments("d-missing", [first])
    with pytest.raises(TrackingError, match="no evaluation dataset with id 'd-missing'"):
        evalkit.remove_dataset_from_experiments("d-missing", [first])


def test_reference_examples_for_search_and_tags() -> None:
    """The mlflow.genai.datasets examples of reference 002, with mlflow -> evalkit."""
    from evalkit.tracking.datasets import delete_dataset, search_datasets, set_dataset_tags

    for n in range(3):
        time.sleep(0.003)  # distinct creation times for the created_time order
        d = evalkit.create_dataset(f"test_{n}", tags={"environment": "development"})
        assert d.dataset_id is not None
        set_dataset_tags(
            dataset_id=d.dataset_id,
            tags={"environment": "production" if n == 2 else "development", "old": None},
        )
    test_datasets = search_datasets(
        filter_string="name LIKE 'test_%' AND tags.environment = 'development'",
        order_by=["created_time ASC"],
    )
    assert [d.name for d in test_datasets] == ["test_0", "test_1"]
    prod = search_datasets(filter_string="tags.environment = 'production'", order_by=["name ASC"])
    assert [(d.name, len(d.records), d.tags) for d in prod] == [
        ("test_2", 0, {"environment": "production"})
    ]
    for dataset in test_datasets:
        delete_dataset(dataset_id=dataset.dataset_id)
    assert [d.name for d in search_datasets(max_results=100)] == ["test_2"]
