"""search_runs: MLflow's filter and order syntax, on SQLite and PostgreSQL; the parser alone."""

from __future__ import annotations

import pytest

import evalkit
from evalkit import TrackingError
from evalkit.tracking.filters import Clause, OrderBy, parse_filter, parse_order_by


@pytest.fixture
def three_runs(backend: str) -> dict[str, str]:
    evalkit.set_experiment("search")
    ids = {}
    for name, loss, model, team in (
        ("a", 0.1, "tree", "Ml Ops"),
        ("b", 0.5, "forest", "ml"),
        ("c", 0.9, "tree", "data"),
    ):
        with evalkit.start_run(run_name=name, tags={"team": team}) as run:
            evalkit.log_metric("loss", loss + 1, step=0)
            evalkit.log_metric("loss", loss, step=1)
            evalkit.log_param("model", model)
            if name != "c":
                evalkit.log_metric("exact_match/mean", 1 - loss)
        ids[name] = run.info.run_id
    return ids


def _names(frame) -> list[str]:
    return [] if frame.empty else list(frame["tags.mlflow.runName"])


FILTERS = [
    ("metrics.loss < 0.5", ["a"]),
    ("metrics.loss >= 0.5", ["b", "c"]),
    ("metric.loss = 0.9", ["c"]),
    ("metrics.`exact_match/mean` > 0.6", ["a"]),
    ("metrics.exact_match/mean > 0", ["a", "b"]),
    ("params.model = 'tree'", ["a", "c"]),
    ("params.model != 'tree'", ["b"]),
    ("params.model = 'tree' AND metrics.loss > 0.5", ["c"]),
    ("params.model IN ('forest', 'bush')", ["b"]),
    ("params.model NOT IN ('forest')", ["a", "c"]),
    ("tags.team LIKE 'ml%'", ["b"]),
    ("tags.team ILIKE 'ml%'", ["a", "b"]),
    ("tags.team = 'Ml Ops' and tags.mlflow.runName = 'a'", ["a"]),
    ('tags.`mlflow.runName` = "b"', ["b"]),
    ("attributes.run_name = 'c'", ["c"]),
    ("run_name != 'c'", ["a", "b"]),
    ("status = 'FINISHED'", ["a", "b", "c"]),
    ("attributes.status IN ('FAILED', 'KILLED')", []),
    ("metrics.exact_match/mean IS NULL", ["c"]),
    ("tags.missing IS NULL", ["a", "b", "c"]),
]


def test_filters(three_runs: dict[str, str]) -> None:
    # one store per backend for all cases: building it is the slow part
    for filter_string, expected in FILTERS:
        found = evalkit.search_runs(filter_string=filter_string, order_by=["run_name ASC"])
        assert _names(found) == expected, filter_string


def test_filter_by_time_and_run_id(three_runs: dict[str, str]) -> None:
    run = evalkit.get_run(three_runs["b"])
    found = evalkit.search_runs(filter_string=f"start_time >= {run.info.start_time}")
    assert "b" in _names(found)
    found = evalkit.search_runs(filter_string=f"run_id = '{three_runs['a']}'")
    assert _names(found) == ["a"]


def test_order_by_and_max_results(three_runs: dict[str, str]) -> None:
    assert _names(evalkit.search_runs(order_by=["metrics.loss DESC"])) == ["c", "b", "a"]
    assert _names(evalkit.search_runs(order_by=["params.model ASC", "metrics.loss DESC"])) == [
        "b",
        "c",
        "a",
    ]
    # runs without the metric sort last either way
    assert _names(evalkit.search_runs(order_by=["metrics.`exact_match/mean` ASC"]))[-1] == "c"
    assert _names(evalkit.search_runs(order_by=["metrics.`exact_match/mean` DESC"]))[-1] == "c"
    assert _names(evalkit.search_runs(max_results=1)) == ["c"]  # newest first by default


def test_dataframe_columns_and_list_output(three_runs: dict[str, str]) -> None:
    frame = evalkit.search_runs()
    assert list(frame.columns[:6]) == [
        "run_id",
        "experiment_id",
        "status",
        "artifact_uri",
        "start_time",
        "end_time",
    ]
    assert {"metrics.loss", "params.model", "tags.team"} <= set(frame.columns)
    assert str(frame["start_time"].dtype).startswith("datetime64")
    runs = evalkit.search_runs(output_format="list", filter_string="params.model = 'forest'")
    assert [r.info.run_id for r in runs] == [three_runs["b"]]


def test_search_other_experiments(three_runs: dict[str, str]) -> None:
    evalkit.set_experiment("other")
    with evalkit.start_run():
        pass
    assert len(evalkit.search_runs()) == 1
    assert len(evalkit.search_runs(experiment_names=["search", "other"])) == 4
    search_id = evalkit.get_experiment_by_name("search").experiment_id  # type: ignore[union-attr]
    assert len(evalkit.search_runs(experiment_ids=[search_id])) == 3
    assert len(evalkit.search_runs(search_all_experiments=True)) == 4
    assert evalkit.search_runs(experiment_names=["nope"]).empty


BAD_FILTERS = [
    ("metrics.loss < 'x'", "numbers"),
    ("params.model > 1", "strings"),
    ("params.model = 1", "quote the value"),
    ("metrics.loss < 1 OR metrics.loss > 2", "only be joined with AND"),
    ("foo = 'x'", "unknown run attribute 'foo'"),
    ("metrics.loss", "cannot parse"),
    ("params.model IN 'x'", "parentheses"),
    ("start_time = 'yesterday'", "number"),
]


def test_bad_filters_say_what_to_change(three_runs: dict[str, str]) -> None:
    for filter_string, message in BAD_FILTERS:
        with pytest.raises(TrackingError, match=message):
            evalkit.search_runs(filter_string=filter_string)


def test_parser_reads_quoted_keys_lists_and_escapes() -> None:
    assert parse_filter("tags.`a b` = 'it''s' AND params.\"x.y\" IN ('1', '2')") == [
        Clause("tag", "a b", "=", "it's"),
        Clause("param", "x.y", "IN", ["1", "2"]),
    ]
    assert parse_filter("metrics.m >= -1.5e2 and status <> 'RUNNING'") == [
        Clause("metric", "m", ">=", -150.0),
        Clause("attribute", "status", "!=", "RUNNING"),
    ]
    assert parse_filter("  ") == []
    assert parse_order_by(["metrics.loss", "start_time DESC"]) == [
        OrderBy("metric", "loss", True),
        OrderBy("attribute", "start_time", False),
    ]
    with pytest.raises(TrackingError, match="does not parse"):
        parse_order_by(["metrics.loss sideways"])
