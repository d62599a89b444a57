"""Property-based: any judge answer yields a value of the declared type or an EvalkitError,
never another exception type."""

from __future__ import annotations

import json
from typing import Any, Literal

from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit import EvalkitError
from evalkit.judges.parsing import parse_answer

VALUE_TYPES: list[Any] = [
    bool,
    int,
    float,
    str,
    Literal["yes", "no"],
    Literal["1", "2", "3", "4", "5"],
    Literal[1, 2, 3],
]

json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=30),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=10,
)


def _answer_like(result: Any, rationale: Any, prose: str, fence: bool) -> str:
    body = json.dumps({"result": result, "rationale": rationale})
    if fence:
        body = f"```json\n{body}\n```"
    return f"{prose}{body}{prose[::-1]}"


answers = st.one_of(
    st.text(max_size=200),
    json_values.map(json.dumps),
    st.builds(_answer_like, json_values, json_values, st.text(max_size=20), st.booleans()),
    st.sampled_from(["{", "}", "{{}", '{"result":', "```", "yes", " 4 ", "NaN", "\x00"]),
)


def _check(text: str, value_type: Any) -> None:
    try:
        answer = parse_answer(text, value_type)
    except EvalkitError as exc:
        assert str(exc)  # it says what was wrong
        return
    if value_type in (bool, int, float, str):
        assert isinstance(answer.value, value_type)
    else:
        assert answer.value in value_type.__args__
    assert answer.rationale is None or isinstance(answer.rationale, str)


@settings(max_examples=300, deadline=None)
@given(answers, st.sampled_from(VALUE_TYPES))
def test_any_answer_parses_or_raises_an_evalkit_error(text: str, value_type: Any) -> None:
    _check(text, value_type)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=100), st.sampled_from(VALUE_TYPES))
def test_arbitrary_bytes_decoded_as_text_never_crash(raw: bytes, value_type: Any) -> None:
    _check(raw.decode("utf-8", "replace"), value_type)
