"""Reading a judge's answer: the JSON it was asked for, found tolerantly, checked by type.

A judge asks for ``{"rationale": "...", "result": <value>}``. Models wrap that in code
fences, add prose around it, answer with a bare value, or write ``"Yes"`` for ``"yes"`` and
``4`` for ``"4"``; all of those are read. What does not fit the declared
``feedback_value_type`` is a :class:`JudgeOutputError` whose message tells the model (on the
one retry) and then the user what was wrong — never a silent NaN.
"""

from __future__ import annotations

import json
import math
import re
import typing
from dataclasses import dataclass
from typing import Any, Literal, get_args, get_origin

from evalkit.errors import JudgeError, JudgeOutputError

__all__ = [
    "FEEDBACK_VALUE_TYPES",
    "JudgeAnswer",
    "JudgeOutputError",
    "check_value_type",
    "describe_value_type",
    "parse_answer",
    "response_format",
]

FEEDBACK_VALUE_TYPES = (
    "a Literal[...] of choices, bool, int, float or str, or a dict[str, T] or list[T] of those"
)
"""The ``feedback_value_type`` values a judge accepts, in words."""

_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)
_TRUE = {"yes", "true", "y", "1", "pass", "passed"}
_FALSE = {"no", "false", "n", "0", "fail", "failed"}


@dataclass(frozen=True, slots=True)
class JudgeAnswer:
    """A judge's answer, read and checked."""

    value: Any
    """The verdict, of the declared type."""
    rationale: str | None
    """The judge's reasoning, when it gave one."""


def check_value_type(value_type: Any) -> Any:
    """Validate a ``feedback_value_type`` when a judge is built; return it.

    Raises:
        JudgeError: It is not one of :data:`FEEDBACK_VALUE_TYPES`.
    """
    if get_origin(value_type) is dict:
        key, inner = (*get_args(value_type), None, None)[:2]
        if key is not str or inner is None:
            raise JudgeError(
                f"feedback_value_type {value_type!r}: a dict must be dict[str, T], T one of "
                "bool, int, float, str or a Literal[...]"
            )
        if get_origin(inner) in (dict, list):
            _nested(value_type)
        _check_scalar_type(inner)
        return value_type
    if get_origin(value_type) is list:
        args = get_args(value_type)
        if len(args) != 1:
            raise JudgeError(
                f"feedback_value_type {value_type!r}: a list must be list[T], T one of "
                "bool, int, float, str or a Literal[...]"
            )
        if get_origin(args[0]) in (dict, list):
            _nested(value_type)
        _check_scalar_type(args[0])
        return value_type
    return _check_scalar_type(value_type)


def _nested(value_type: Any) -> typing.NoReturn:
    raise JudgeError(
        f"feedback_value_type {value_type!r}: containers cannot be nested; use dict[str, T] "
        "or list[T] with T one of bool, int, float, str or a Literal[...]"
    )


def _check_scalar_type(value_type: Any) -> Any:
    if value_type in (bool, int, float, str):
        return value_type
    if get_origin(value_type) is Literal:
        choices = get_args(value_type)
        if not choices:
            raise JudgeError("feedback_value_type Literal[] has no choices; list at least one")
        if any(not isinstance(c, str | int | float | bool) for c in choices):
            raise JudgeError(
                f"feedback_value_type {value_type!r}: Literal choices must be strings, numbers "
                "or booleans"
            )
        return value_type
    raise JudgeError(
        f"feedback_value_type {value_type!r} is not supported; use {FEEDBACK_VALUE_TYPES}, "
        'e.g. Literal["yes", "no"] or Literal["1", "2", "3", "4", "5"]'
    )


def describe_value_type(value_type: Any) -> str:
    """How the prompt describes the expected ``result`` to the model."""
    if get_origin(value_type) is dict:
        inner = describe_value_type(get_args(value_type)[1])
        return f"a JSON object whose keys are strings and whose values are each {inner}"
    if get_origin(value_type) is list:
        return f"a JSON array whose items are each {describe_value_type(get_args(value_type)[0])}"
    if get_origin(value_type) is Literal:
        return "exactly one of " + ", ".join(json.dumps(c) for c in get_args(value_type))
    return {
        bool: "a JSON boolean, true or false",
        int: "a whole number (JSON integer)",
        float: "a number (JSON number)",
        str: "a string",
    }[value_type]


def _schema_of(value_type: Any) -> dict[str, Any]:
    if get_origin(value_type) is dict:
        return {"type": "object", "additionalProperties": _schema_of(get_args(value_type)[1])}
    if get_origin(value_type) is list:
        return {"type": "array", "items": _schema_of(get_args(value_type)[0])}
    if get_origin(value_type) is Literal:
        choices = list(get_args(value_type))
        kinds = {type(c) for c in choices}
        if kinds == {str}:
            return {"type": "string", "enum": choices}
        return {"enum": choices}
    return {
        bool: {"type": "boolean"},
        int: {"type": "integer"},
        float: {"type": "number"},
        str: {"type": "string"},
    }[value_type]


def response_format(name: str, value_type: Any) -> dict[str, Any]:
    """The OpenAI ``json_schema`` response format asking for ``{rationale, result}``."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", name)[:64] or "judge"
    return {
        "type": "json_schema",
        "json_schema": {
            "name": safe,
            # OpenAI's strict mode allows no free-form object keys: a dict verdict is not strict
            "strict": get_origin(value_type) is not dict,
            "schema": {
                "type": "object",
                "properties": {
                    "rationale": {
                        "type": "string",
                        "description": "Step-by-step reasoning that leads to the result.",
                    },
                    "result": _schema_of(value_type),
                },
                "required": ["rationale", "result"],
                "additionalProperties": False,
            },
        },
    }


def _json_objects(text: str) -> typing.Iterator[dict[str, Any]]:
    """Every JSON object in ``text``: the whole text, fenced blocks, then embedded ``{...}``."""
    candidates = [text.strip(), *(m.strip() for m in _FENCE.findall(text))]
    for candidate in candidates:
        try:
            parsed = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(parsed, dict):
            yield parsed
    decoder = json.JSONDecoder()
    for match in re.finditer(r"\{", text):
        try:
            parsed, _ = decoder.raw_decode(text, match.start())
        except ValueError:
            continue
        if isinstance(parsed, dict):
            yield parsed


def _coerce(raw: Any, value_type: Any) -> Any:
    """``raw`` as ``value_type``; raise :class:`JudgeOutputError` saying why not."""
    if get_origin(value_type) is dict:
        if not isinstance(raw, dict):
            raise JudgeOutputError(f"result {json.dumps(raw)} is not a JSON object")
        inner = get_args(value_type)[1]
        return {str(k): _coerce(v, inner) for k, v in raw.items()}
    if get_origin(value_type) is list:
        if not isinstance(raw, list):
            raise JudgeOutputError(f"result {json.dumps(raw)} is not a JSON array")
        return [_coerce(v, get_args(value_type)[0]) for v in raw]
    if get_origin(value_type) is Literal:
        choices = get_args(value_type)
        if not isinstance(raw, bool) and raw in choices:
            return next(c for c in choices if c == raw and type(c) is type(raw))
        if isinstance(raw, str | int | float | bool):
            spoken = _spoken(raw)
            for c in choices:
                if _spoken(c) == spoken:
                    return c
        raise JudgeOutputError(
            f"result {json.dumps(raw)} is not one of the allowed values "
            f"{', '.join(json.dumps(c) for c in choices)}"
        )
    if value_type is bool:
        if isinstance(raw, bool):
            return raw
        word = _spoken(raw) if isinstance(raw, str | int) else None
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
        raise JudgeOutputError(f"result {json.dumps(raw)} is not a boolean; answer true or false")
    if value_type in (int, float):
        number = _number(raw)
        if number is None or not math.isfinite(number):
            raise JudgeOutputError(f"result {json.dumps(raw)} is not a finite number")
        if value_type is int:
            if not float(number).is_integer():
                raise JudgeOutputError(f"result {json.dumps(raw)} is not a whole number")
            return int(number)
        return float(number)
    if isinstance(raw, str):
        return raw
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return str(raw)
    raise JudgeOutputError(f"result {json.dumps(raw)} is not a string")


def _spoken(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip().strip("\"'.*[]").strip().lower()


def _number(raw: Any) -> float | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return float(raw)
    if isinstance(raw, str):
        try:
            return float(raw.strip())
        except ValueError:
            return None
    return None


_MLFLOW_TEXT = re.compile(r"\s*score:\s*(\S+)\s*\njustification:\s*(.*)\Z", re.I | re.S)


def parse_answer(text: str, value_type: Any) -> JudgeAnswer:
    """Read a judge's answer as ``value_type`` with its rationale.

    Accepted: ``{"result": ..., "rationale": ...}`` alone, in a code fence or inside prose;
    MLflow's judge answers ``{"score": ..., "justification": ...}`` and
    ``score: 4\njustification: ...``; or, when the answer holds no such object, a bare
    value (``"yes"``, ``"4"``).

    Raises:
        JudgeOutputError: Nothing in the answer fits; the message says what was expected.
    """
    if not text or not text.strip():
        raise JudgeOutputError("the answer is empty")
    problem: JudgeOutputError | None = None
    for obj in _json_objects(text):
        if "result" not in obj and "score" in obj:  # MLflow's form
            obj = {"result": obj["score"], "rationale": obj.get("justification")}
        if "result" not in obj:
            problem = problem or JudgeOutputError(
                f'the JSON object has no "result" key (keys: {", ".join(map(str, obj)) or "none"})'
            )
            continue
        try:
            value = _coerce(obj["result"], value_type)
        except JudgeOutputError as exc:
            problem = problem or exc
            continue
        rationale = obj.get("rationale")
        if rationale is not None and not isinstance(rationale, str):
            rationale = json.dumps(rationale)
        return JudgeAnswer(value=value, rationale=rationale)
    if problem is not None:
        raise problem
    spoken = _MLFLOW_TEXT.match(text)
    if spoken is not None:  # MLflow's two-line form
        return JudgeAnswer(
            value=_coerce(spoken.group(1), value_type), rationale=spoken.group(2).strip()
        )
    bare = text.strip()
    if len(bare) <= 40 and "\n" not in bare and not bare.startswith(("{", "[")):
        try:
            return JudgeAnswer(value=_coerce(bare, value_type), rationale=None)
        except JudgeOutputError as exc:
            raise JudgeOutputError(f"the answer is not JSON and {exc}") from None
    raise JudgeOutputError(
        f'the answer holds no JSON object with a "result" key: {json.dumps(text.strip()[:200])}'
    )
