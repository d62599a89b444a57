"""Property-based: any data yields rows or an EvalkitError that names the problem, never another
exception type."""

from __future__ import annotations

import csv
import io
import json
import tempfile
import warnings
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit import EvalkitError
from evalkit.data import normalize_data

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.binary(max_size=5),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)
keys = st.one_of(
    st.sampled_from(
        [
            "inputs",
            "outputs",
            "expectations",
            "trace",
            "tags",
            "request",
            "response",
            "ground_truth",
            "inputs.question",
            "expectations.expected_response",
        ]
    ),
    st.text(max_size=10),
)
records = st.dictionaries(keys, values, max_size=5)
datasets = st.one_of(
    st.lists(records, max_size=4),
    st.lists(values, max_size=3),
    st.dictionaries(keys, st.lists(values, max_size=3), max_size=3),
    values,
)


@settings(max_examples=200, deadline=None)
@given(data=datasets, has_predict_fn=st.booleans())
def test_normalize_data_never_raises_anything_but_evalkit_errors(
    data: Any, has_predict_fn: bool
) -> None:
    try:
        rows = normalize_data(data, has_predict_fn=has_predict_fn)
    except EvalkitError as exc:
        assert str(exc)  # names the problem
        return
    assert rows
    for row in rows:
        assert isinstance(row.inputs, dict)
        assert row.expectations is None or isinstance(row.expectations, dict)
        if has_predict_fn:
            assert row.outputs is None


# -- data files: bytes, encodings, CSV quoting (issue 18.10) --------------------------------

_SUFFIXES = st.sampled_from([".jsonl", ".json", ".csv", ".parquet"])


def _read(name: str, content: bytes) -> None:
    """Write ``content`` to a file called ``name`` and read it: rows or an EvalkitError that
    names the file, never another exception."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, name)
        path.write_bytes(content)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                rows = normalize_data(path)
        except EvalkitError as exc:
            assert str(exc)
            return
        assert rows
        for row in rows:
            assert isinstance(row.inputs, dict)


@settings(max_examples=150, deadline=None)
@given(suffix=_SUFFIXES, content=st.binary(max_size=200))
def test_any_bytes_in_a_data_file_give_rows_or_a_data_error(suffix: str, content: bytes) -> None:
    _read("data" + suffix, content)


_RECORD_TEXT = st.builds(
    lambda q, a: json.dumps({"inputs": {"q": q}, "outputs": a}, ensure_ascii=False),
    st.text(max_size=15),
    st.text(max_size=15),
)


@settings(max_examples=100, deadline=None)
@given(
    lines=st.lists(_RECORD_TEXT, min_size=1, max_size=4),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1", "cp1252"]),
    cut=st.integers(min_value=0, max_value=400),
)
def test_jsonl_in_any_encoding_and_torn_anywhere(lines: list[str], encoding: str, cut: int) -> None:
    content = "\n".join(lines).encode(encoding, errors="replace")
    _read("data.jsonl", content)
    _read("data.jsonl", content[:cut])  # a file cut anywhere, even inside a character


_CELL = st.text(alphabet=st.sampled_from(list("ab,\"\n\r'{}[]: \\\u00e9\u2028")), max_size=12)


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(st.tuples(_CELL, _CELL), min_size=1, max_size=4),
    quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]),
    raw=st.booleans(),
)
def test_csv_with_any_quoting(rows: list[tuple[str, str]], quoting: int, raw: bool) -> None:
    if raw:  # cells pasted as they are: stray quotes, separators and newlines
        text = "inputs,outputs\n" + "\n".join(f"{a},{b}" for a, b in rows)
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer, quoting=quoting)
        writer.writerow(["inputs", "outputs"])
        writer.writerows(rows)
        text = buffer.getvalue()
    _read("data.csv", text.encode())
