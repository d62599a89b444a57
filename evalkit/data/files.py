"""Reading data files (``.jsonl``, ``.json``, ``.csv``, ``.parquet``) into record dicts."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from evalkit.data.values import is_missing, plain
from evalkit.errors import DataError

__all__ = ["FILE_SUFFIXES", "frame_records", "read_file"]

FILE_SUFFIXES = (".jsonl", ".json", ".csv", ".parquet")
"""The data file types ``evaluate`` reads."""
_NESTED = ("inputs", "expectations", "tags")


def read_file(path: Path) -> list[dict[str, Any]]:
    """The records of a data file.

    Raises:
        DataError: The file is missing, of an unknown type, or malformed.
    """
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
        return _json_records(loaded, path)
    if suffix in (".csv", ".parquet"):
        import pandas as pd

        df = pd.read_csv(path) if suffix == ".csv" else pd.read_parquet(path)
        return _parse_json_cells(frame_records(df))
    raise DataError(
        f"cannot read {str(path)!r}: unsupported file type {suffix or '(none)'!r}; "
        f"use one of {', '.join(FILE_SUFFIXES)}"
    )


def _json_records(loaded: Any, path: Path) -> list[dict[str, Any]]:
    from evalkit.data.records import records_from

    return records_from(loaded, where=str(path))


def frame_records(df: Any) -> list[dict[str, Any]]:
    """A DataFrame's rows as dicts of plain Python values (missing cells as ``None``)."""
    records = df.to_dict(orient="records")
    return [{str(k): (None if is_missing(v) else plain(v)) for k, v in r.items()} for r in records]


def _parse_json_cells(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for r in records:
        for key in (*_NESTED, "trace"):
            v = r.get(key)
            if isinstance(v, str) and v.lstrip()[:1] in ("{", "["):
                with contextlib.suppress(json.JSONDecodeError):
                    r[key] = json.loads(v)
    return records
