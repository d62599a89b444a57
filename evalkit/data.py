"""Every accepted data shape, turned into validated rows before any work starts.

Accepted ``data``: a list of dicts, a pandas DataFrame, a dict of columns
(``{"inputs": [...], "ground_truth": [...]}``), a path to a ``.jsonl``, ``.json``,
``.csv`` or ``.parquet`` file, or an :class:`~evalkit.EvaluationDataset`.

Columns of a record:

* ``inputs`` (required): a dict of the app's inputs. A bare string ``s`` means
  ``{"question": s}``. With a ``predict_fn`` it must be a dict: its keys are the
  function's keyword arguments.
* ``outputs``: what the app answered (any JSON-like value).
* ``expectations``: a dict of ground truth. A bare value ``v`` means
  ``{"expected_response": v}``.
* ``trace``: an :class:`evalkit.Trace`, or its dict/JSON form (``Trace.to_dict()``).
* ``tags`` (a dict of strings).

MLflow's aliases are understood: ``request`` for ``inputs``, ``response`` for ``outputs``,
``ground_truth`` and ``expected_response`` for ``expectations["expected_response"]``. In
tabular files, a column ``inputs.question`` fills ``inputs["question"]`` and cells of
``inputs``/``expectations``/``tags`` holding a JSON object are parsed.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalkit.errors import DataError

__all__ = ["COLUMNS", "EvalRow", "normalize_data"]

COLUMNS: tuple[str, ...] = ("inputs", "outputs", "expectations", "trace", "tags")
"""The columns a record may have."""

_ALIASES = {"request": "inputs", "response": "outputs"}
_EXPECTED_RESPONSE_ALIASES = ("ground_truth", "expected_response")
_NESTED = ("inputs", "expectations", "tags")
_FILE_SUFFIXES = (".jsonl", ".json", ".csv", ".parquet")


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


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return type(value).__name__ in ("NAType", "NaTType")


def _plain(value: Any) -> Any:
    """numpy scalars and arrays (from DataFrames and parquet) to plain Python values."""
    if type(value).__module__ == "numpy":
        return value.tolist() if hasattr(value, "tolist") else value
    return value


def _load_file(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        raise DataError(f"data file {str(path)!r} does not exist; check the path")
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        records = []
        with path.open(encoding="utf-8") as fh:
            for line_no, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise DataError(
                        f"{path}: line {line_no} is not valid JSON ({exc.msg}); "
                        "each line of a .jsonl file must be one JSON object"
                    ) from None
        return records
    if suffix == ".json":
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise DataError(f"{path} is not valid JSON: {exc}") from None
        if isinstance(loaded, Mapping) and "records" in loaded:
            loaded = loaded["records"]
        return _records_from(loaded, where=str(path))
    if suffix in (".csv", ".parquet"):
        import pandas as pd

        df = pd.read_csv(path) if suffix == ".csv" else pd.read_parquet(path)
        return _parse_json_cells(_frame_records(df))
    raise DataError(
        f"cannot read {str(path)!r}: unsupported file type {suffix or '(none)'!r}; "
        f"use one of {', '.join(_FILE_SUFFIXES)}"
    )


def _frame_records(df: Any) -> list[dict[str, Any]]:
    records = df.to_dict(orient="records")
    return [
        {str(k): (None if _is_missing(v) else _plain(v)) for k, v in r.items()} for r in records
    ]


def _parse_json_cells(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for r in records:
        for key in (*_NESTED, "trace"):
            v = r.get(key)
            if isinstance(v, str) and v.lstrip()[:1] in ("{", "["):
                with contextlib.suppress(json.JSONDecodeError):
                    r[key] = json.loads(v)
    return records


def _records_from(data: Any, where: str = "data") -> list[dict[str, Any]]:
    """Any accepted shape -> a list of plain record dicts (not yet validated)."""
    from evalkit.datasets import EvaluationDataset

    if isinstance(data, EvaluationDataset):
        return [dict(r) for r in data.records]
    if isinstance(data, str | os.PathLike):
        return _load_file(Path(data))
    if type(data).__module__.startswith("pandas") and hasattr(data, "to_dict"):
        if not hasattr(data, "columns"):
            raise DataError(f"{where}: a pandas Series is not a dataset; pass a DataFrame")
        return _frame_records(data)
    if isinstance(data, Mapping):
        lengths = {k: _column_length(v) for k, v in data.items()}
        if not data or any(n is None for n in lengths.values()):
            raise DataError(
                f"{where}: a dict must map column names to equal-length lists, e.g. "
                '{"inputs": [...], "outputs": [...]}; to pass one record, wrap it in a list'
            )
        if len(set(lengths.values())) > 1:
            sizes = ", ".join(f"{k!r}: {n}" for k, n in lengths.items())
            raise DataError(f"{where}: columns have different lengths ({sizes}); make them equal")
        columns = {k: list(v) for k, v in data.items()}
        n = len(next(iter(columns.values())))
        return [{k: _plain(col[i]) for k, col in columns.items()} for i in range(n)]
    if isinstance(data, Iterable) and not isinstance(data, bytes):
        # Records are read, never modified, so plain dicts are used as they are.
        records = list(data)
        for i, r in enumerate(records):
            if type(r) is not dict:
                if not isinstance(r, Mapping):
                    raise DataError(
                        f"{where}: row {i} is a {type(r).__name__}, not a record; each record "
                        'must be a dict such as {"inputs": {...}, "outputs": ...}'
                    )
                records[i] = dict(r)
        return records
    raise DataError(
        f"{where}: cannot use a {type(data).__name__} as evaluation data; pass a list of dicts, "
        "a pandas DataFrame, a dict of columns, a file path or an EvaluationDataset"
    )


def _column_length(value: Any) -> int | None:
    if isinstance(value, str | bytes | Mapping):
        return None
    if isinstance(value, Sequence) or hasattr(value, "__array__") or hasattr(value, "tolist"):
        try:
            return len(value)
        except TypeError:
            return None
    return None


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
    tags = record.get("tags")
    outputs = record.get("outputs")
    if (
        type(inputs) is not dict
        or (expectations is not None and type(expectations) is not dict)
        or (tags is not None and type(tags) is not dict)
        or (type(outputs) is float and math.isnan(outputs))
    ):
        return None
    return EvalRow(
        index=i,
        inputs=dict(inputs),
        outputs=outputs,
        expectations=dict(expectations) if expectations is not None else None,
        trace=_trace_of(i, record.get("trace")),
        tags=dict(tags) if tags is not None else None,
    )


def _normalize_record(i: int, record: dict[str, Any], allow_extra: bool) -> EvalRow:
    fast = _fast_record(i, record)
    if fast is not None:
        return fast
    rec: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    nested: dict[str, dict[str, Any]] = {}
    for key, value in record.items():
        key = str(key)
        if _is_missing(value):
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

    if "inputs" not in rec:
        raise DataError(
            f"row {i}: column 'inputs' is missing; every record needs inputs, e.g. "
            '{"inputs": {"question": "..."}}'
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
        trace=_trace_of(i, rec.get("trace")),
        tags=dict(tags) if tags is not None else None,
        extra=extra or None,
    )


def _trace_of(i: int, value: Any) -> Any:
    """A ``trace`` cell as a :class:`~evalkit.tracing.Trace` (from the object, dict or JSON)."""
    if value is None:
        return None
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
    records = _records_from(data)
    if not records:
        raise DataError("the evaluation data is empty; pass at least one record")
    rows = []
    for i, record in enumerate(records):
        if has_predict_fn:
            raw_inputs = record.get("inputs", record.get("request"))
            if isinstance(raw_inputs, str):
                raise DataError(
                    f"row {i}: column 'inputs' is a string, but predict_fn is called with "
                    "**inputs; make inputs a dict keyed by predict_fn's parameter names, "
                    'e.g. {"question": "..."}'
                )
            if not _is_missing(record.get("outputs", record.get("response"))):
                raise DataError(
                    f"row {i}: column 'outputs' is set and a predict_fn is given; pass either "
                    "outputs in the data or a predict_fn that produces them, not both"
                )
        rows.append(_normalize_record(i, record, allow_extra_columns))
    return rows
