"""Every accepted data shape, and every invalid input rejected before any work starts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import evalkit
from evalkit import DataError, EvalkitError, EvaluationDataset, ScorerError, scorer
from evalkit.data import normalize_data

RECORDS = [
    {
        "inputs": {"question": "What is MLflow?"},
        "outputs": "An ML platform",
        "expectations": {"expected_response": "An ML platform"},
    },
    {
        "inputs": {"question": "What is Spark?"},
        "outputs": "I don't know",
        "expectations": {"expected_response": "A data engine"},
    },
]


def _shape(rows: list[Any]) -> list[tuple[Any, Any, Any]]:
    return [(r.inputs, r.outputs, r.expectations) for r in rows]


EXPECTED = _shape(normalize_data(RECORDS))


def test_list_of_dicts() -> None:
    rows = normalize_data(RECORDS)
    assert [r.index for r in rows] == [0, 1]
    assert EXPECTED[0] == (
        {"question": "What is MLflow?"},
        "An ML platform",
        {"expected_response": "An ML platform"},
    )


def test_dataframe() -> None:
    assert _shape(normalize_data(pd.DataFrame(RECORDS))) == EXPECTED


def test_dataframe_missing_cells_are_none() -> None:
    df = pd.DataFrame([{"inputs": {"q": 1}, "outputs": "a"}, {"inputs": {"q": 2}}])
    rows = normalize_data(df)
    assert rows[1].outputs is None


def test_dict_of_columns_with_mlflow_ground_truth() -> None:
    rows = normalize_data(
        {"inputs": ["What is MLflow?", "What is Spark?"], "ground_truth": ["A", "B"]}
    )
    assert rows[0].inputs == {"question": "What is MLflow?"}  # bare string inputs
    assert rows[1].expectations == {"expected_response": "B"}


def test_dict_of_columns_of_different_lengths() -> None:
    with pytest.raises(DataError, match="different lengths"):
        normalize_data({"inputs": ["a", "b"], "outputs": ["x"]})


def test_single_record_dict_is_rejected_with_fix() -> None:
    with pytest.raises(DataError, match="wrap it in a list"):
        normalize_data({"inputs": {"q": "x"}, "outputs": "y"})


@pytest.mark.parametrize("suffix", [".jsonl", ".json", ".csv", ".parquet"])
def test_files(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"data{suffix}"
    if suffix == ".jsonl":
        path.write_text("\n".join(json.dumps(r) for r in RECORDS) + "\n")
    elif suffix == ".json":
        path.write_text(json.dumps(RECORDS))
    elif suffix == ".csv":
        pd.DataFrame(
            {
                "inputs": [json.dumps(r["inputs"]) for r in RECORDS],
                "outputs": [r["outputs"] for r in RECORDS],
                "expectations.expected_response": [
                    r["expectations"]["expected_response"] for r in RECORDS
                ],
            }
        ).to_csv(path, index=False)
    else:
        pd.DataFrame(
            {
                "inputs.question": [r["inputs"]["question"] for r in RECORDS],
                "outputs": [r["outputs"] for r in RECORDS],
                "ground_truth": [r["expectations"]["expected_response"] for r in RECORDS],
            }
        ).to_parquet(path)
    assert _shape(normalize_data(path)) == EXPECTED
    assert _shape(normalize_data(str(path))) == EXPECTED


def test_evaluation_dataset() -> None:
    ds = EvaluationDataset(RECORDS, name="qa")
    assert _shape(normalize_data(ds)) == EXPECTED
    result = evalkit.evaluate(data=ds, scorers=[_exact])
    assert result.metrics["_exact/mean"] == 0.5


def test_evaluation_dataset_upserts_by_inputs() -> None:
    ds = EvaluationDataset(RECORDS)
    digest = ds.digest
    ds.merge_records([{"inputs": {"question": "What is Spark?"}, "expectations": {"x": 1}}])
    assert len(ds) == 2
    assert ds.records[1]["expectations"] == {"expected_response": "A data engine", "x": 1}
    assert ds.digest != digest
    assert EvaluationDataset(RECORDS).digest == digest
    assert list(ds.to_df().columns) == ["inputs", "outputs", "expectations"]


def test_bare_expectation_value_and_aliases() -> None:
    rows = normalize_data([{"request": {"q": "x"}, "response": "y", "expectations": "z"}])
    assert (rows[0].inputs, rows[0].outputs, rows[0].expectations) == (
        {"q": "x"},
        "y",
        {"expected_response": "z"},
    )


def test_unknown_column_suggests_the_right_one() -> None:
    with pytest.raises(DataError, match=r"row 1: unknown column 'expectation'.*'expectations'"):
        normalize_data([RECORDS[0], {"inputs": {"q": 1}, "expectation": "x"}])


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        normalize_data(tmp_path / "missing.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"inputs": {"q": 1}}\n{not json\n')
    with pytest.raises(DataError, match="line 2 is not valid JSON"):
        normalize_data(bad)
    other = tmp_path / "data.txt"
    other.write_text("x")
    with pytest.raises(DataError, match=r"unsupported file type '\.txt'"):
        normalize_data(other)


@scorer
def _exact(outputs: str, expectations: dict[str, Any]) -> bool:
    return bool(outputs == expectations["expected_response"])


class _Tripwire:
    """Counts calls to scorers and predict_fn: validation must happen before any."""

    def __init__(self) -> None:
        self.calls = 0

        @scorer
        def counting(outputs: Any) -> int:
            self.calls += 1
            return 1

        @scorer
        def needs_expectations(outputs: Any, expectations: dict[str, Any]) -> int:
            self.calls += 1
            return 1

        self.scorer = counting
        self.needs_expectations = needs_expectations

    def predict(self, **inputs: Any) -> str:
        self.calls += 1
        return "x"


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing_inputs", r"row 1: column 'inputs' is missing"),
        ("outputs_and_predict_fn", r"row 0: column 'outputs' is set and a predict_fn is given"),
        ("string_inputs_with_predict_fn", r"row 1: column 'inputs' is a string.*predict_fn"),
        ("list_inputs", r"row 0: column 'inputs' is a list"),
        ("empty", r"evaluation data is empty"),
        ("duplicate_names", r"scorers\[0\] and scorers\[1\] are both named 'counting'"),
        ("no_expectations", r"scorer 'needs_expectations' needs the 'expectations' column"),
        ("not_a_record", r"row 1 is a str, not a record"),
    ],
)
def test_invalid_input_raises_before_any_work(case: str, message: str) -> None:
    trip = _Tripwire()
    predict_fn = None
    scorers = [trip.scorer]
    data: Any
    if case == "missing_inputs":
        data = [{"inputs": {"q": 1}, "outputs": "a"}, {"outputs": "b"}]
    elif case == "outputs_and_predict_fn":
        data, predict_fn = [{"inputs": {"q": 1}, "outputs": "a"}], trip.predict
    elif case == "string_inputs_with_predict_fn":
        data, predict_fn = [{"inputs": {"q": 1}}, {"inputs": "just text"}], trip.predict
    elif case == "list_inputs":
        data = [{"inputs": [1, 2], "outputs": "a"}]
    elif case == "empty":
        data = []
    elif case == "duplicate_names":
        data, scorers = RECORDS, [trip.scorer, trip.scorer]
    elif case == "no_expectations":
        data, scorers = [{"inputs": {"q": 1}, "outputs": "a"}], [trip.needs_expectations]
    else:
        data = [RECORDS[0], "not a record"]
    with pytest.raises(EvalkitError, match=message) as info:
        evalkit.evaluate(data=data, scorers=scorers, predict_fn=predict_fn)
    assert isinstance(info.value, DataError | ScorerError)
    assert trip.calls == 0


def test_scorers_must_be_scorers() -> None:
    def plain(outputs: str) -> bool:
        return True

    with pytest.raises(ScorerError, match=r"scorers\[0\] \(plain\) is a plain function"):
        evalkit.evaluate(data=RECORDS, scorers=[plain])
    # scorers=[] is allowed, as MLflow's (issue 13): the table is built, there are no metrics
    assert evalkit.evaluate(data=RECORDS, scorers=[], log=False).metrics == {}
    with pytest.raises(evalkit.UsageError, match="at least one scorer"):
        evalkit.evaluate(data=RECORDS)
    with pytest.raises(evalkit.UsageError, match="max_workers must be at least 1"):  # idem
        evalkit.evaluate(data=RECORDS, scorers=[_exact], max_workers=0)


# -- malformed and awkward files (issue 13, issue 18.10) -----------------------------------


def test_a_jsonl_line_that_is_json_but_not_an_object_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "data.jsonl"
    path.write_text('{"inputs": {"q": 1}}\n[1, 2]\n')
    with pytest.raises(DataError, match=r"data\.jsonl: line 2 is a list, not a JSON object"):
        normalize_data(path)


@pytest.mark.parametrize("suffix", [".jsonl", ".json", ".csv"])
def test_a_utf8_bom_is_accepted(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"data{suffix}"
    text = {
        ".jsonl": json.dumps(RECORDS[0]) + "\n",
        ".json": json.dumps([RECORDS[0]]),
        ".csv": 'inputs,outputs\n"{""question"": ""What is MLflow?""}",An ML platform\n',
    }[suffix]
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    rows = normalize_data(path)
    assert rows[0].inputs == {"question": "What is MLflow?"}
    assert rows[0].outputs == "An ML platform"


def test_csv_json_cells_are_parsed_and_python_reprs_warned_about(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    frame = pd.DataFrame(
        {
            "inputs": [json.dumps({"q": "a"})],
            "outputs": [json.dumps({"answer": "b", "sources": [1, 2]})],
        }
    )
    frame.to_csv(path, index=False)
    row = normalize_data(path)[0]
    assert row.inputs == {"q": "a"}
    assert row.outputs == {"answer": "b", "sources": [1, 2]}

    pd.DataFrame([{"inputs": {"q": "a"}, "outputs": "b"}]).to_csv(path, index=False)
    with pytest.warns(UserWarning, match=r"column 'inputs'.*Python repr.*json\.dumps"):
        normalize_data(path)


def test_invalid_utf8_names_file_and_line(tmp_path: Path) -> None:
    for suffix, body in (
        (".jsonl", b'{"inputs": {"q": 1}}\n{"inputs": {"q": "\xff"}}\n'),
        (".json", b'[{"inputs": {"q": 1}},\n {"inputs": {"q": "\xff"}}]'),
        (".csv", b'inputs,outputs\nq,a\n"\xff",b\n'),
    ):
        path = tmp_path / f"bad{suffix}"
        path.write_bytes(body)
        with pytest.raises(DataError, match=rf"bad\{suffix}: line \d+ is not valid UTF-8"):
            normalize_data(path)


def test_an_unterminated_csv_quote_is_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text('inputs,outputs\nq,a\n"unterminated,b\n')
    with pytest.raises(DataError, match=r"bad\.csv: .*line 3.*quote"):
        normalize_data(path)


def test_nesting_deeper_than_the_parser_allows_is_a_data_error(tmp_path: Path) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    jsonl = tmp_path / "deep.jsonl"
    jsonl.write_text('{"inputs": {"q": 1}}\n{"inputs": ' + deep + "}\n")
    with pytest.raises(DataError, match=r"deep\.jsonl: line 2 .*nested"):
        normalize_data(jsonl)
    whole = tmp_path / "deep.json"
    whole.write_text(deep)
    with pytest.raises(DataError, match=r"deep\.json: .*nested"):
        normalize_data(whole)


def test_a_fake_parquet_file_is_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "fake.parquet"
    path.write_text("inputs,outputs\nq,a\n")
    with pytest.raises(DataError, match=r"fake\.parquet.* not a readable Parquet file"):
        normalize_data(path)


def test_the_cli_exits_2_on_a_malformed_data_file(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "bad.jsonl"
    path.write_bytes(b'{"inputs": {"q": "\xff"}}\n')
    done = subprocess.run(
        [sys.executable, "-m", "evalkit", "eval", str(path), "-s", "exact_match"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "bad.jsonl: line 1" in done.stdout + done.stderr
