"""One outcome shape: whatever a scorer returns becomes ``list[Feedback]`` right there.

A scorer may return a value (bool, int, float, str), a :class:`~evalkit.Feedback`, a list of
Feedback, or raise. The engine turns each into a list of Feedback as soon as the scorer
returns, so everything after it (the journal, metric collection, the table) reads one shape:

* a value ``v``                -> ``[Feedback(name=<scorer>, value=v)]``
* a Feedback without a name    -> the same Feedback named after the scorer
* a list of Feedback           -> the list (unnamed ones named after the scorer)
* a Feedback whose value is a dict of str -> value or a list of values (a judge's structured
  verdict, ``make_judge(feedback_value_type=dict[str, int])``) -> kept as it is
* an exception                 -> ``[Feedback(name=<scorer>, error=...)]``
* ``None`` or NaN              -> an error coded :attr:`ErrorCode.MISSING_VALUE`
* anything else                -> an error coded :attr:`ErrorCode.INVALID_SCORER_RETURN`
"""

from __future__ import annotations

import dataclasses
import enum
import math
from collections.abc import Sequence
from types import MappingProxyType
from typing import Any, overload

from evalkit.entities import AssessmentError, Feedback
from evalkit.errors import ErrorCode, EvalkitError

__all__ = [
    "Outcome",
    "PlainColumn",
    "Shared",
    "error_outcome",
    "failure",
    "to_feedbacks",
    "value_feedback",
]

Outcome = list[Feedback]
"""The outcome of one (row, scorer) pair: one Feedback per metric the scorer produced.
Read-only: equal outcomes may be one shared object (see :class:`Shared`)."""

_PRIMITIVES = (bool, int, float, str)
_NO_METADATA: Any = MappingProxyType({})
_UNSET_FIELDS = tuple(
    f.name
    for f in dataclasses.fields(Feedback)
    if f.name not in ("name", "value", "rationale", "source", "error", "metadata")
)
"""The Feedback fields a plain value's outcome leaves at ``None`` (trace and store ids)."""
_new = object.__new__


def value_feedback(name: str, value: Any) -> Feedback:
    """What ``Feedback(name=name, value=value)`` builds, at a third of the cost.

    This runs once per (row, scorer) pair, and the engine's overhead per pair is a couple
    of microseconds. Each slot is written through its descriptor (what
    ``object.__setattr__`` finds by name).
    """
    fb = _new(Feedback)
    _set_name(fb, name)
    _set_value(fb, value)
    for set_field, default in _DEFAULTS:
        set_field(fb, default)
    return fb


_set_name = getattr(Feedback, "name").__set__  # noqa: B009 (the slot, for mypy too)
_set_value = getattr(Feedback, "value").__set__  # noqa: B009
# every other field of Feedback: its slot's setter and its default (metadata: one shared
# read-only mapping)
_DEFAULTS: tuple[tuple[Any, Any], ...] = tuple(
    (getattr(Feedback, f.name).__set__, _NO_METADATA if f.name == "metadata" else f.default)
    for f in dataclasses.fields(Feedback)
    if f.name not in ("name", "value")
)


class PlainColumn(Sequence[Outcome]):
    """One scorer's outcomes on every row, when each is a plain value (bool, int, str, a
    float that is not NaN): kept as the values. Row ``i``'s outcome,
    ``[Feedback(name=name, value=values[i])]``, is made when it is read; metric collection
    reads :attr:`values` directly. A heuristic's column of 2,000 rows costs one list, not
    2,000 Feedback objects (about a microsecond each).
    """

    __slots__ = ("name", "values")

    def __init__(self, name: str, values: list[Any]) -> None:
        self.name = name
        self.values = values

    def __len__(self) -> int:
        return len(self.values)

    @overload
    def __getitem__(self, i: int) -> Outcome: ...

    @overload
    def __getitem__(self, i: slice) -> list[Outcome]: ...

    def __getitem__(self, i: int | slice) -> Outcome | list[Outcome]:
        if isinstance(i, slice):
            return [[value_feedback(self.name, v)] for v in self.values[i]]
        return [value_feedback(self.name, self.values[i])]

    def __repr__(self) -> str:
        return f"PlainColumn({self.name!r}, {len(self.values)} values)"


def error_outcome(name: str, code: str, message: str) -> Outcome:
    """The outcome of a pair that has no value: one Feedback with the coded error."""
    return [Feedback(name=name, error=AssessmentError(error_code=code, error_message=message))]


def failure(name: str, exc: BaseException) -> Outcome:
    """The outcome of a scorer (or judge) that raised ``exc``."""
    error = AssessmentError.from_exception(exc)
    code = getattr(exc, "code", None)  # a ModelCallError's cause, as the judges report it
    if isinstance(code, str) and isinstance(exc, EvalkitError):
        error = dataclasses.replace(error, error_code=code)
    return [Feedback(name=name, error=error)]


def _plain(value: Any) -> Any:
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        return value.item()
    return value


def _missing(name: str, value: Any) -> Outcome:
    return error_outcome(
        name,
        ErrorCode.MISSING_VALUE,
        f"scorer {name!r} returned {value!r} for this row; return a value, or a "
        "Feedback(error=...) that says why there is none",
    )


def _bad_return(name: str, value: Any) -> Outcome:
    return error_outcome(
        name,
        ErrorCode.INVALID_SCORER_RETURN,
        f"scorer returned a {type(value).__name__} ({value!r:.80}); return a bool, int, "
        "float, str, Feedback or a list of Feedback",
    )


def _checked(name: str, fb: Feedback) -> Feedback:
    """``fb`` named (after the scorer when unnamed), with a missing or bad value as an error."""
    if fb.error is not None:
        return fb if fb.name else dataclasses.replace(fb, name=name)
    value = _plain(fb.value)
    metric = fb.name or name
    if value is None or (type(value) is float and math.isnan(value)):
        return _missing(metric, value)[0]
    if not isinstance(value, _PRIMITIVES) and not _structured(value):
        return _bad_return(metric, value)[0]
    if isinstance(value, enum.Enum):  # a str or int enum: its value
        value = value.value
    if value is fb.value and fb.name:
        return fb
    return dataclasses.replace(fb, name=metric, value=value)


def _structured(value: Any) -> bool:
    """A judge's structured verdict in a Feedback: a dict of str -> primitive or a list of
    primitives (``make_judge(feedback_value_type=dict[str, int] / list[str])``)."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and isinstance(v, _PRIMITIVES) for k, v in value.items())
    if isinstance(value, list):
        return all(isinstance(v, _PRIMITIVES) for v in value)
    return False


class Shared(dict[tuple[type, Any], Outcome]):
    """One scorer's outcomes for repeated plain values (``True``, ``3``, ``"yes"``) within
    one run: a scorer that returns one of a few values gets one outcome object per value,
    not one per row. Outcomes are read-only, so they can be shared."""

    __slots__ = ()
    LIMIT = 1024
    """The most distinct values kept (labels, small counts); others get their own."""


def to_feedbacks(name: str, raw: Any, shared: Shared | None = None) -> Outcome:
    """What scorer ``name`` returned for one row, as its outcome (see the module docstring).

    Outcomes are read-only: with ``shared``, equal plain values of one scorer get the same
    outcome object (a run of a million rows keeps two outcomes for a bool scorer, not a
    million).
    """
    kind = type(raw)
    if kind is bool or kind is int or kind is str:
        if shared is None:
            return [value_feedback(name, raw)]
        key = (kind, raw)
        outcome = shared.get(key)
        if outcome is None:
            outcome = [value_feedback(name, raw)]
            if len(shared) < Shared.LIMIT:
                shared[key] = outcome
        return outcome
    if kind is float:
        return _missing(name, raw) if raw != raw else [value_feedback(name, raw)]  # NaN
    if kind is Feedback:
        return [_checked(name, raw)]
    if kind is list and raw and all(isinstance(f, Feedback) for f in raw):
        return [_checked(name, f) for f in raw]
    raw = _plain(raw)
    if raw is None or (type(raw) is float and math.isnan(raw)):
        return _missing(name, raw)
    if isinstance(raw, Feedback):
        return [_checked(name, raw)]
    if isinstance(raw, enum.Enum):  # a str or int enum: its value
        raw = raw.value
    for kind in _PRIMITIVES:  # other subclasses of the primitives, as the primitive
        if isinstance(raw, kind):
            return to_feedbacks(name, kind(raw), shared)
    return _bad_return(name, raw)
