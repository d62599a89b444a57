"""Reading evaluation data chunk by chunk, so memory is bounded by the chunk, not the data.

:func:`iter_record_chunks` yields lists of at most ``chunk_size`` plain record dicts, in
input order, from any shape :func:`evalkit.data.records_from` accepts and from iterators:

* ``.parquet``: record batches of ``chunk_size`` rows (``pyarrow.parquet.ParquetFile``);
* ``.jsonl``: ``chunk_size`` lines at a time (a malformed line is a ``DataError`` naming it);
* ``.csv``: ``pandas.read_csv(chunksize=...)``;
* ``.json``, a list, a DataFrame, a dict of columns, a dataset: read whole (they are in
  memory already, or a single JSON document), then sliced;
* any other iterable of dicts (a generator): ``chunk_size`` records at a time.

:func:`normalize_chunk` validates one chunk's records into :class:`~evalkit.data.EvalRow`
values, numbered from 0 within the chunk (the chunk's ``start`` only appears in messages).
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from evalkit.data.files import _parse_json_cells, _read_csv, _text, frame_records, read_file
from evalkit.data.records import records_from
from evalkit.data.rows import EvalRow, _normalize_record, check_record, record_session_id
from evalkit.errors import DataError, UsageError

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "check_chunk_size",
    "iter_record_chunks",
    "normalize_chunk",
    "record_session_id",
]

DEFAULT_CHUNK_SIZE = 10_000
"""Rows per chunk when an executor is given without ``chunk_size``."""


def check_chunk_size(chunk_size: Any) -> int:
    """``chunk_size`` as a whole number of rows, at least 1.

    Raises:
        UsageError: It is not a whole number of at least 1.
    """
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise UsageError(
            f"chunk_size must be a whole number of rows, at least 1, got {chunk_size!r}; "
            f"e.g. chunk_size={DEFAULT_CHUNK_SIZE}"
        )
    return chunk_size


def iter_record_chunks(data: Any, chunk_size: int) -> Iterator[list[dict[str, Any]]]:
    """Yield ``data``'s records as lists of at most ``chunk_size`` plain dicts, in order.

    Raises:
        DataError: The data cannot be read (named as :func:`~evalkit.data.read_file` does).
        UsageError: ``chunk_size`` is not a whole number of at least 1.
    """
    check_chunk_size(chunk_size)
    if isinstance(data, str | os.PathLike):
        path = Path(data)
        if not path.exists():
            raise DataError(f"data file {str(path)!r} does not exist; check the path")
        suffix = path.suffix.lower()
        if suffix == ".parquet":
            yield from _parquet_chunks(path, chunk_size)
        elif suffix == ".jsonl":
            yield from _jsonl_chunks(path, chunk_size)
        elif suffix == ".csv":
            yield from _csv_chunks(path, chunk_size)
        else:
            yield from _slices(read_file(path), chunk_size)
        return
    in_memory = (
        isinstance(data, list | tuple | Mapping)
        or (type(data).__module__.startswith("pandas") and hasattr(data, "to_dict"))
        or hasattr(data, "records")
    )
    if in_memory:
        yield from _slices(records_from(data), chunk_size)
        return
    if isinstance(data, Iterable) and not isinstance(data, bytes | str):
        iterator = iter(data)
        position = 0
        while True:
            batch = list(itertools.islice(iterator, chunk_size))
            if not batch:
                return
            yield records_from(
                batch, where=f"data (records {position}-{position + len(batch) - 1})"
            )
            position += len(batch)
        return
    yield from _slices(records_from(data), chunk_size)


def _slices(records: list[dict[str, Any]], chunk_size: int) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(records), chunk_size):
        yield records[start : start + chunk_size]


def _parquet_chunks(path: Path, chunk_size: int) -> Iterator[list[dict[str, Any]]]:
    import pyarrow.parquet as pq

    try:
        source = pq.ParquetFile(path)
    except Exception as exc:  # ArrowInvalid, OSError... on a damaged file
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(
            f"{path} is not a readable Parquet file ({reason}); check that it was written as "
            "Parquet, or give it the suffix of its real format"
        ) from None
    for batch in _parquet_batches(source, chunk_size):
        yield _parse_json_cells(frame_records(batch.to_pandas()), path)


def _parquet_batches(source: Any, chunk_size: int) -> Iterator[Any]:
    """``source``'s rows as tables of exactly ``chunk_size`` rows (the last one shorter).

    One ``iter_batches`` reader per row group: a single reader over the whole file keeps
    what it decoded until it is exhausted (measured: +125 MB of Arrow memory per million rows
    of a 100k-row-group file), which would make a 10M-row run grow with the file.
    """
    import pyarrow as pa

    pending: list[Any] = []
    held = 0
    for group in range(source.num_row_groups):
        for batch in source.iter_batches(batch_size=chunk_size, row_groups=[group]):
            pending.append(batch)
            held += batch.num_rows
            while held >= chunk_size:
                table = pa.Table.from_batches(pending)
                yield table.slice(0, chunk_size)
                rest = table.slice(chunk_size)
                pending, held = rest.to_batches(), rest.num_rows
                del table, rest
    if held:
        yield pa.Table.from_batches(pending)


def _jsonl_chunks(path: Path, chunk_size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    with path.open("rb") as f:
        for line_no, raw in enumerate(f, start=1):
            if line_no == 1:
                raw = raw.removeprefix(b"\xef\xbb\xbf")
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except UnicodeDecodeError:
                raise DataError(
                    f"{path}: line {line_no} is not valid UTF-8; save the file as UTF-8"
                ) from None
            except json.JSONDecodeError as exc:
                raise DataError(
                    f"{path}: line {line_no} is not valid JSON ({exc.msg}); "
                    "each line of a .jsonl file must be one JSON object"
                ) from None
            if not isinstance(record, dict):
                raise DataError(
                    f"{path}: line {line_no} is a {type(record).__name__}, not a JSON object; "
                    'each line of a .jsonl file must be one record such as {"inputs": {...}}'
                )
            batch.append(record)
            if len(batch) >= chunk_size:
                yield batch
                batch = []
    if batch:
        yield batch


def _csv_chunks(path: Path, chunk_size: int) -> Iterator[list[dict[str, Any]]]:
    import pandas as pd

    _text(path)  # invalid UTF-8 is refused naming the line, as for a whole read
    try:
        reader = pd.read_csv(path, chunksize=chunk_size, encoding="utf-8-sig")
        for frame in reader:
            yield _parse_json_cells(frame_records(frame), path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError):
        _read_csv(path)  # the whole-file reader words the error (line, fix)
        raise


def normalize_chunk(
    records: list[dict[str, Any]],
    *,
    start: int = 0,
    has_predict_fn: bool = False,
    allow_extra_columns: bool = False,
) -> list[EvalRow]:
    """Validate one chunk's records; rows are numbered from 0 within the chunk.

    Args:
        records: The chunk's record dicts.
        start: The position of the chunk's first record in the whole data (for messages).
        has_predict_fn: As for :func:`~evalkit.data.normalize_data`.
        allow_extra_columns: As for :func:`~evalkit.data.normalize_data`.

    Raises:
        DataError: naming the row (its position in the whole data), the column and the fix.
    """
    rows = []
    for i, record in enumerate(records):
        try:
            check_record(i, record, has_predict_fn)
            row = _normalize_record(i, record, allow_extra_columns)
        except DataError as exc:
            if start == 0:
                raise
            raise DataError(str(exc).replace(f"row {i}:", f"row {start + i}:", 1)) from None
        rows.append(row)
    return rows
