"""Every accepted shape of ``data`` -> a list of plain record dicts (not yet validated)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from evalkit.data.files import frame_records, read_file
from evalkit.data.traces import is_trace
from evalkit.data.values import plain
from evalkit.errors import DataError

__all__ = ["RecordSource", "records_from"]


@runtime_checkable
class RecordSource(Protocol):
    """Anything that holds evaluation records, such as an
    :class:`~evalkit.EvaluationDataset`: the data layer reads them without knowing the type."""

    @property
    def records(self) -> list[dict[str, Any]]:
        """The records, each a dict with ``inputs`` and any other column."""
        ...


def records_from(data: Any, where: str = "data") -> list[dict[str, Any]]:
    """Any accepted shape -> a list of plain record dicts (not yet validated)."""
    if isinstance(data, str | os.PathLike):
        path = Path(data)
        loaded = read_file(path)
        # a JSON document may hold columns or non-dict rows: it is checked like in-memory data
        return records_from(loaded, where=str(path)) if path.suffix.lower() == ".json" else loaded
    if type(data).__module__.startswith("pandas") and hasattr(data, "to_dict"):
        if not hasattr(data, "columns"):
            raise DataError(f"{where}: a pandas Series is not a dataset; pass a DataFrame")
        return frame_records(data)
    if isinstance(data, RecordSource):
        return [dict(r) for r in data.records]
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
        return [{k: plain(col[i]) for k, col in columns.items()} for i in range(n)]
    if isinstance(data, Iterable) and not isinstance(data, bytes):
        # Records are read, never modified, so plain dicts are used as they are.
        records = list(data)
        for i, r in enumerate(records):
            if type(r) is not dict:
                if is_trace(r):  # a list of traces: each is a record of its own
                    records[i] = {"trace": r}
                    continue
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
