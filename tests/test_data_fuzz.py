"""Property-based: any data yields rows or an EvalkitError that names the problem, never another
exception type."""

from __future__ import annotations

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
