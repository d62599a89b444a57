"""Record dicts -> validated :class:`EvalRow` values, rejecting bad ones with a fix."""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from evalkit.data.records import records_from
from evalkit.data.traces import expectations_of, is_trace, request_response, session_of
from evalkit.data.traces import root_span as root_of
from evalkit.data.traces import spans_of as trace_spans
from evalkit.data.values import is_missing
from evalkit.errors import DataError

__all__ = ["COLUMNS", "EvalRow", "normalize_data"]

COLUMNS: tuple[str, ...] = ("inputs", "outputs", "expectations", "trace", "tags", "session_id")
"""The columns a record may have."""

_ALIASES = {"request": "inputs", "response": "outputs"}
_EXPECTED_RESPONSE_ALIASES = ("ground_truth", "expected_response")
_NESTED = ("inputs", "expectations", "tags")


@dataclass(slots=True)
class EvalRow:
    """One validated record, as the engine and scorers see it."""

    index: int
    """Position of the record in the input data (0-based)."""
    inputs: Any
    """The app's inputs, normally a dict."""
    outputs: Any = None
    """The app's outputs; filled by ``predict_fn`` when it is given."""
    expectations: dict[str, Any] | None = None
    """Ground truth, or ``None`` when the record has none."""
    trace: Any = None
    """The record's trace, if any."""
    tags: dict[str, Any] | None = None
    """Free-form tags of the record."""
    latency: float | None = None
    """Seconds ``predict_fn`` took for this record."""
    prediction_error: Any = None
    """The :class:`~evalkit.AssessmentError` of a failed ``predict_fn`` call."""
    extra: dict[str, Any] | None = None
    """Columns beyond the standard ones, kept only when the caller allows them."""
    session_id: str | None = None
    """The conversation the record is a turn of (the ``session_id`` column, else the
    trace's session metadata); ``None`` for a single-turn record."""


def _unknown_column(i: int, key: str) -> DataError:
    known = [*COLUMNS, *_ALIASES, *_EXPECTED_RESPONSE_ALIASES]
    close = difflib.get_close_matches(key, known, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return DataError(
        f"row {i}: unknown column {key!r}.{hint} A record has the columns "
        f"{', '.join(COLUMNS)} (MLflow's request/response/ground_truth are understood too)."
    )


_COLUMN_SET = frozenset(COLUMNS)


def _fast_record(i: int, record: dict[str, Any]) -> EvalRow | None:
    """The common case (standard columns, dict inputs) without the general machinery."""
    if not record.keys() <= _COLUMN_SET:
        return None
    inputs = record.get("inputs")
    expectations = record.get("expectations")
    if type(expectations) is str:  # a bare ground truth, as the general path reads it
        expectations = {"expected_response": expectations}
    tags = record.get("tags")
    outputs = record.get("outputs")
    if (
        type(inputs) is not dict
        or (expectations is not None and type(expectations) is not dict)
        or (tags is not None and type(tags) is not dict)
        or (type(outputs) is float and math.isnan(outputs))
    ):
        return None
    raw_trace = record.get("trace")
    raw_session = record.get("session_id")
    trace = session_id = None
    if raw_trace is not None:  # most records have neither: skip the work for them
        trace = _trace_of(i, raw_trace)
        if trace is not None and (outputs is None or expectations is None):
            return None  # the trace fills them in: the general path
    if raw_session is not None or trace is not None:
        session_id = _session_id(i, raw_session, trace)
    return EvalRow(
        index=i,
        inputs=dict(inputs),
        outputs=outputs,
        expectations=dict(expectations) if expectations is not None else None,
        trace=trace,
        tags=dict(tags) if tags is not None else None,
        session_id=session_id,
    )


_TRACE_FRAME_KEEP = ("trace", "expectations", "session_id")


def _normalize_record(i: int, record: dict[str, Any], allow_extra: bool) -> EvalRow:
    if "trace_id" in record and "trace" in record:
        # a row of search_traces()'s DataFrame: the trace holds the request, the response,
        # the session and the expectations; the other columns are its previews
        record = {k: record[k] for k in _TRACE_FRAME_KEEP if not is_missing(record.get(k))}
    fast = _fast_record(i, record)
    if fast is not None:
        return fast
    rec: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    nested: dict[str, dict[str, Any]] = {}
    for key, value in record.items():
        key = str(key)
        if is_missing(value):
            continue
        head, dot, rest = key.partition(".")
        if dot and head in _NESTED:
            nested.setdefault(head, {})[rest] = value
            continue
        key = _ALIASES.get(key, key)
        if key in _EXPECTED_RESPONSE_ALIASES:
            nested.setdefault("expectations", {})["expected_response"] = value
            continue
        if key not in COLUMNS:
            if not allow_extra:
                raise _unknown_column(i, key)
            extra[key] = value
            continue
        if key in rec:
            raise DataError(f"row {i}: column {key!r} is given twice (directly and as an alias)")
        rec[key] = value
    for head, fields in nested.items():
        base = rec.get(head)
        if base is None:
            rec[head] = fields
        elif isinstance(base, Mapping):
            rec[head] = {**base, **fields}
        else:
            rec[head] = {"expected_response": base, **fields} if head == "expectations" else base

    trace = _trace_of(i, rec.get("trace"))
    if trace is not None:
        _fill_from_trace(i, rec, trace)
    if "inputs" not in rec:
        raise DataError(
            f"row {i}: column 'inputs' is missing; every record needs inputs, e.g. "
            '{"inputs": {"question": "..."}} (or a trace, whose root span gives them)'
        )
    inputs = rec["inputs"]
    if isinstance(inputs, str):
        inputs = {"question": inputs}
    elif not isinstance(inputs, Mapping):
        raise DataError(
            f"row {i}: column 'inputs' is a {type(inputs).__name__}; it must be a dict of "
            'named inputs such as {"question": "..."} (a bare string means {"question": ...})'
        )
    expectations = rec.get("expectations")
    if expectations is not None and not isinstance(expectations, Mapping):
        expectations = {"expected_response": expectations}
    tags = rec.get("tags")
    if tags is not None and not isinstance(tags, Mapping):
        raise DataError(
            f"row {i}: column 'tags' is a {type(tags).__name__}; it must be a dict of strings"
        )
    return EvalRow(
        index=i,
        inputs=dict(inputs),
        outputs=rec.get("outputs"),
        expectations=dict(expectations) if expectations is not None else None,
        trace=trace,
        tags=dict(tags) if tags is not None else None,
        extra=extra or None,
        session_id=_session_id(i, rec.get("session_id"), trace),
    )


def _fill_from_trace(i: int, rec: dict[str, Any], trace: Any) -> None:
    """Inputs, outputs and expectations a record lacks, from its trace."""
    if "inputs" in rec and "outputs" in rec and "expectations" in rec:
        return
    request, response = request_response(trace)
    if "inputs" not in rec:
        if request is None and not trace_spans(trace):
            raise DataError(
                f"row {i}: the trace has no spans and the record no inputs; give inputs, "
                "or a trace with a root span that recorded them"
            )
        if request is None and root_of(trace) is None:
            raise DataError(
                f"row {i}: the trace has no root span (every span names a parent that is "
                "not in the trace), so it has no request; give inputs, or the whole trace"
            )
        if isinstance(request, Mapping):
            rec["inputs"] = dict(request)
        elif request is None:
            rec["inputs"] = {}
        elif isinstance(request, str):
            rec["inputs"] = {"question": request}
        else:
            rec["inputs"] = {"request": request}
    if "outputs" not in rec and response is not None:
        rec["outputs"] = response
    if "expectations" not in rec:
        expected = expectations_of(trace)
        if expected is not None:
            rec["expectations"] = expected


def record_session_id(i: int, record: Mapping[str, Any]) -> str | None:
    """The session id a raw record will have once validated (its ``session_id`` column,
    else its trace's session metadata), without validating the rest of it.

    A chunked run reads it to cut chunks between conversations.

    Raises:
        DataError: The ``session_id`` cell or the trace cannot be read (naming row ``i``).
    """
    value = record.get("session_id")
    if value is not None and not is_missing(value):
        return _session_id(i, value, None)
    raw = record.get("trace")
    if raw is None or is_missing(raw):
        return None
    trace = _trace_of(i, raw)
    return session_of(trace) if trace is not None else None


def _session_id(i: int, value: Any, trace: Any) -> str | None:
    if value is None or is_missing(value):
        return session_of(trace) if trace is not None else None
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise DataError(
            f"row {i}: column 'session_id' is a {type(value).__name__}; it must be a string "
            "naming the conversation the record belongs to"
        )
    return str(value)


def _trace_of(i: int, value: Any) -> Any:
    """A ``trace`` cell as a :class:`~evalkit.tracing.Trace` (from the object, dict or JSON)."""
    if value is None:
        return None
    if is_trace(value):  # a Trace object of either shape: used as it is
        return value
    from evalkit.tracing import to_trace

    try:
        return to_trace(value)
    except (ValueError, TypeError, KeyError) as exc:
        raise DataError(
            f"row {i}: column 'trace' cannot be read ({exc}); give an evalkit.Trace or its "
            'dict/JSON form {"spans": [{"name": ..., "span_type": ..., ...}]}'
        ) from None


def normalize_data(
    data: Any, *, has_predict_fn: bool = False, allow_extra_columns: bool = False
) -> list[EvalRow]:
    """Validate ``data`` and return one :class:`EvalRow` per record.

    Args:
        data: Any shape listed in the module docstring.
        has_predict_fn: Whether outputs will come from a ``predict_fn``; then no record may
            carry ``outputs`` and every ``inputs`` must be a dict given by the record.
        allow_extra_columns: Keep unknown columns instead of rejecting them (the legacy
            ``evaluate`` form uses extra columns as metric arguments).

    Raises:
        DataError: naming the row, the column and what to change.
    """
    records = records_from(data)
    if not records:
        raise DataError("the evaluation data is empty; pass at least one record")
    rows = []
    for i, record in enumerate(records):
        check_record(i, record, has_predict_fn)
        rows.append(_normalize_record(i, record, allow_extra_columns))
    return rows


def check_record(i: int, record: dict[str, Any], has_predict_fn: bool) -> None:
    """Refuse a record that cannot go with a ``predict_fn`` (when one is given)."""
    if not has_predict_fn:
        return
    raw_inputs = record.get("inputs", record.get("request"))
    if isinstance(raw_inputs, str):
        raise DataError(
            f"row {i}: column 'inputs' is a string, but predict_fn is called with "
            "**inputs; make inputs a dict keyed by predict_fn's parameter names, "
            'e.g. {"question": "..."}'
        )
    if not is_missing(record.get("outputs", record.get("response"))):
        raise DataError(
            f"row {i}: column 'outputs' is set and a predict_fn is given; pass either "
            "outputs in the data or a predict_fn that produces them, not both"
        )
