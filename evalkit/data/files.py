"""Reading data files (``.jsonl``, ``.json``, ``.csv``, ``.parquet``) into record dicts.

Text files must be UTF-8 (a leading byte-order mark is accepted, as Excel and Windows tools
write one). A malformed file is a :class:`~evalkit.DataError` that names the file and the
line: invalid UTF-8, invalid JSON, a line that is not a JSON object, nesting deeper than the
JSON parser allows, an unterminated CSV quote, a file that is not really Parquet.

In tabular files, cells of ``inputs``, ``outputs``, ``expectations``, ``tags`` and ``trace``
that hold a JSON object or array are parsed. A cell that looks like a Python ``repr`` (what
``DataFrame.to_csv()`` writes for a column of dicts) stays text, with a warning saying how
to write JSON instead.
"""

from __future__ import annotations

import ast
import io
import json
import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from evalkit.data.values import is_missing, plain
from evalkit.errors import DataError

__all__ = ["FILE_SUFFIXES", "frame_records", "read_file"]

FILE_SUFFIXES = (".jsonl", ".json", ".csv", ".parquet")
"""The data file types ``evaluate`` reads."""
_STRUCTURED = ("inputs", "outputs", "expectations", "tags", "trace")
_BOM = b"\xef\xbb\xbf"
_REPR_CHECK_LIMIT = 100_000  # longer cells are not tried as Python literals


def read_file(path: Path) -> Any:
    """The records of a data file (a ``.json`` document may also be a dict of columns).

    Raises:
        DataError: The file is missing, of an unknown type, or malformed (naming the line).
    """
    if not path.exists():
        raise DataError(f"data file {str(path)!r} does not exist; check the path")
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return _read_jsonl(path)
    if suffix == ".json":
        return _read_json(path)
    if suffix == ".csv":
        return _parse_json_cells(_read_csv(path), path)
    if suffix == ".parquet":
        return _parse_json_cells(_read_parquet(path), path)
    raise DataError(
        f"cannot read {str(path)!r}: unsupported file type {suffix or '(none)'!r}; "
        f"use one of {', '.join(FILE_SUFFIXES)}"
    )


def _text(path: Path) -> str:
    """The file as text: UTF-8, with or without a byte-order mark."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read data file {str(path)!r}: {exc.strerror or exc}") from None
    data = data.removeprefix(_BOM)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DataError(
            f"{path}: line {line} is not valid UTF-8 (byte 0x{data[exc.start]:02x}); "
            "save the file as UTF-8"
        ) from None


def _too_deep(path: Path, where: str) -> DataError:
    return DataError(
        f"{path}: {where} is nested deeper than the JSON parser allows; flatten the data"
    )


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    records = []
    # split on "\n" only: str.splitlines would also split inside strings at U+2028 etc.
    for line_no, line in enumerate(_text(path).split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(
                f"{path}: line {line_no} is not valid JSON ({exc.msg}); "
                "each line of a .jsonl file must be one JSON object"
            ) from None
        except RecursionError:
            raise _too_deep(path, f"line {line_no}") from None
        if not isinstance(record, dict):
            kind = {list: "list", str: "string", bool: "boolean", type(None): "null"}.get(
                type(record), "number"
            )
            raise DataError(
                f"{path}: line {line_no} is a {kind}, not a JSON object; each line of a "
                '.jsonl file must be one record such as {"inputs": {...}, "outputs": ...}'
            )
        records.append(record)
    return records


def _read_json(path: Path) -> Any:
    """The JSON document's records: a list of records, a dict of columns, or the value of its
    ``"records"`` key (:func:`evalkit.data.records.records_from` checks the shape)."""
    try:
        loaded = json.loads(_text(path))
    except json.JSONDecodeError as exc:
        raise DataError(
            f"{path}: line {exc.lineno} is not valid JSON ({exc.msg}, column {exc.colno})"
        ) from None
    except RecursionError:
        raise _too_deep(path, "the file") from None
    if isinstance(loaded, Mapping) and "records" in loaded:
        loaded = loaded["records"]
    if isinstance(loaded, str | int | float | bool) or loaded is None:
        raise DataError(
            f"{path}: the JSON document is a {type(loaded).__name__}; it must be a list of "
            'records, a dict of columns, or {"records": [...]}'
        )
    return loaded


_CSV_ROW = re.compile(r"row (\d+)")


def _read_csv(path: Path) -> list[dict[str, Any]]:
    import pandas as pd

    text = _text(path)
    try:
        frame = pd.read_csv(io.StringIO(text))
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file is empty; write a header row and records") from None
    except pd.errors.ParserError as exc:
        message = str(exc).strip().splitlines()[-1]
        row = _CSV_ROW.search(message)
        if "EOF inside string" in message and row:
            raise DataError(
                f"{path}: line {int(row.group(1)) + 1} opens a quoted field that never closes "
                '(a " without its closing quote); close it, or double quotes inside a field'
            ) from None
        raise DataError(f"{path}: not a well-formed CSV file ({message})") from None
    return frame_records(frame)


def _read_parquet(path: Path) -> list[dict[str, Any]]:
    import pandas as pd

    try:
        frame = pd.read_parquet(path)
    except ImportError:
        raise
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError... on a damaged file
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(
            f"{path} is not a readable Parquet file ({reason}); check that it was written as "
            "Parquet, or give it the suffix of its real format"
        ) from None
    return frame_records(frame)


def frame_records(df: Any) -> list[dict[str, Any]]:
    """A DataFrame's rows as dicts of plain Python values (missing cells as ``None``)."""
    records = df.to_dict(orient="records")
    return [{str(k): (None if is_missing(v) else plain(v)) for k, v in r.items()} for r in records]


def _looks_like_python_repr(text: str) -> bool:
    if len(text) > _REPR_CHECK_LIMIT:
        return False
    try:
        return isinstance(ast.literal_eval(text), dict | list)
    except (ValueError, SyntaxError, TypeError, RecursionError, MemoryError):
        return False


def _parse_json_cells(records: list[dict[str, Any]], path: Path) -> list[dict[str, Any]]:
    warned: set[str] = set()
    for i, r in enumerate(records):
        for key in _STRUCTURED:
            v = r.get(key)
            if not (isinstance(v, str) and v.lstrip()[:1] in ("{", "[")):
                continue
            try:
                r[key] = json.loads(v)
            except (json.JSONDecodeError, RecursionError):
                if key not in warned and _looks_like_python_repr(v):
                    warned.add(key)
                    warnings.warn(
                        f"{path}: column {key!r} (row {i}: {v[:40]!r}) looks like a Python repr, "
                        "not JSON, so it is read as text. DataFrame.to_csv() writes dicts that "
                        f"way: write the column as JSON first (df[{key!r}] = "
                        f"df[{key!r}].map(json.dumps)), or save the data as .jsonl",
                        UserWarning,
                        stacklevel=2,
                    )
    return records
