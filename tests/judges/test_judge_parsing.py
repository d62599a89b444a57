"""Reading judge answers: tolerant of fences and prose, strict about the declared type."""

from __future__ import annotations

import math
from typing import Any, Literal

import pytest

from evalkit.errors import JudgeError
from evalkit.judges.parsing import (
    JudgeOutputError,
    check_value_type,
    parse_answer,
    response_format,
)

SCORE = Literal["1", "2", "3", "4", "5"]
YES_NO = Literal["yes", "no"]


@pytest.mark.parametrize(
    ("text", "value_type", "value", "rationale"),
    [
        ('{"rationale": "fine", "result": "4"}', SCORE, "4", "fine"),
        ('```json\n{"result": "yes", "rationale": "r"}\n```', YES_NO, "yes", "r"),
        ('```\n{"result": "no"}\n```', YES_NO, "no", None),
        (
            'Sure! Here is my verdict:\n{"result": "3", "rationale": "ok"}\nThanks.',
            SCORE,
            "3",
            "ok",
        ),
        (
            '{"result": 4, "rationale": "number for a string choice"}',
            SCORE,
            "4",
            "number for a string choice",
        ),
        ('{"result": "Yes", "rationale": "case"}', YES_NO, "yes", "case"),
        ('{"result": "[[no]]", "rationale": "brackets"}', YES_NO, "no", "brackets"),
        ("Yes.", YES_NO, "yes", None),
        ("5", SCORE, "5", None),
        ('{"result": true, "rationale": "b"}', bool, True, "b"),
        ('{"result": "no", "rationale": "b"}', bool, False, "b"),
        ('{"result": "4", "rationale": "i"}', int, 4, "i"),
        ('{"result": 4.0, "rationale": "i"}', int, 4, "i"),
        ('{"result": "0.75", "rationale": "f"}', float, 0.75, "f"),
        ('{"result": 2, "rationale": "f"}', float, 2.0, "f"),
        ('{"result": "free text", "rationale": "s"}', str, "free text", "s"),
        ('{"result": 7, "rationale": ["a", "b"]}', str, "7", '["a", "b"]'),
        (
            '{"notes": 1} and then {"result": "2", "rationale": "second object"}',
            SCORE,
            "2",
            "second object",
        ),
        ('{"result": 2}', Literal[1, 2, 3], 2, None),
    ],
)
def test_answers_are_read(text: str, value_type: Any, value: Any, rationale: str | None) -> None:
    answer = parse_answer(text, value_type)
    assert answer.value == value and type(answer.value) is type(value)
    assert answer.rationale == rationale


@pytest.mark.parametrize(
    ("text", "value_type", "message"),
    [
        ("", YES_NO, "the answer is empty"),
        (
            '{"result": "maybe", "rationale": "x"}',
            YES_NO,
            'result "maybe" is not one of the allowed values "yes", "no"',
        ),
        ('{"rationale": "forgot"}', YES_NO, 'no "result" key (keys: rationale)'),
        ('{"result": ["a"], "rationale": 42}', SCORE, "is not one of the allowed values"),
        ('{"result": "NaN"}', float, "is not a finite number"),
        ('{"result": "inf"}', float, "is not a finite number"),
        ('{"result": 2.5}', int, "is not a whole number"),
        ('{"result": true}', int, "is not a finite number"),
        ('{"result": "perhaps"}', bool, "is not a boolean"),
        ('{"result": {"a": 1}}', str, "is not a string"),
        ('{"result": "4", "rationale": "trunc', SCORE, 'holds no JSON object with a "result" key'),
        ("I think it is quite good overall, maybe a four?", SCORE, "holds no JSON object"),
        ("Maybe.", YES_NO, 'the answer is not JSON and result "Maybe." is not one of'),
    ],
)
def test_answers_that_do_not_fit_say_why(text: str, value_type: Any, message: str) -> None:
    with pytest.raises(JudgeOutputError) as info:
        parse_answer(text, value_type)
    assert message in str(info.value)


def test_nan_is_never_returned() -> None:
    for text in ('{"result": NaN}', "nan", '{"result": "-inf"}'):
        with pytest.raises(JudgeOutputError):
            value = parse_answer(text, float).value
            assert not math.isnan(value)


def test_response_format_is_a_strict_json_schema() -> None:
    fmt = response_format("my judge!", SCORE)
    assert fmt == {
        "type": "json_schema",
        "json_schema": {
            "name": "my_judge_",
            "strict": True,
            "schema": {
                "type": "object",
                "properties": {
                    "rationale": {
                        "type": "string",
                        "description": "Step-by-step reasoning that leads to the result.",
                    },
                    "result": {"type": "string", "enum": ["1", "2", "3", "4", "5"]},
                },
                "required": ["rationale", "result"],
                "additionalProperties": False,
            },
        },
    }
    assert response_format("b", bool)["json_schema"]["schema"]["properties"]["result"] == {
        "type": "boolean"
    }
    assert response_format("n", Literal[1, 2])["json_schema"]["schema"]["properties"]["result"] == {
        "enum": [1, 2]
    }


@pytest.mark.parametrize("bad", [list, dict, Literal[()], None, "yes/no", Literal[object()]])  # type: ignore[misc]
def test_unsupported_value_types_are_rejected(bad: Any) -> None:
    with pytest.raises(JudgeError, match="feedback_value_type"):
        check_value_type(bad)
