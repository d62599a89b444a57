"""The per-row table of a chunked evaluation, written in Parquet parts and read lazily.

A chunked ``evaluate(..., chunk_size=N)`` writes one part per chunk,
``<folder>/part-<chunk:06d>.parquet``, with the columns of ``eval_results_table`` (see
:mod:`evalkit.engine.collect`) and the rows' positions in the whole data as the index.
Cells that are not plain numbers or text (``inputs``, ``expectations``, ``trace``, ``tags``,
dict outputs, value columns mixing types) are stored as JSON text and parsed back when a part
is read; the names of those columns are kept in the part's schema metadata.

:class:`TableParts` reads them: ``len(parts)`` (rows, from the Parquet footers),
``parts.iter_frames()`` (one DataFrame per part, so a 10M-row table is never whole in
memory), ``parts.to_pandas(columns=[...])`` (everything, or only some columns), and
``parts.paths``. :class:`LazyTables` is what ``result.tables`` is for a chunked run:
``result.tables["eval_results_table"]`` loads the parts into one DataFrame when asked, which
is right for small runs; big ones should use ``result.table_parts``.

A chunked run with session-level scorers writes the conversation table
(``result.tables["conversations"]``) the same way, one part per chunk, indexed by the
conversation's position. A column only some parts have (``session_id`` where some chunks
have no session) is placed and filled (``None``) as in a table built whole.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "TABLE_PARTS_FOLDER",
    "LazyTables",
    "TableParts",
    "part_columns",
    "part_path",
    "part_trace_ids",
    "write_table_part",
]

TABLE_PARTS_FOLDER = "eval_results_table"
"""The folder (an artifact of the run, when logged) that holds the table's parts."""
_JSON_KEY = b"evalkit.json_columns"
_TRACE_IDS_KEY = b"evalkit.trace_ids"
_PLAIN_KINDS = "biufM"  # bool, int, unsigned, float, datetime


def part_path(folder: str | os.PathLike[str], chunk: int) -> Path:
    """Where chunk ``chunk``'s part lives in ``folder``."""
    return Path(folder) / f"part-{chunk:06d}.parquet"


def _json_default(value: Any) -> Any:
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def _to_json(value: Any) -> str | None:
    import orjson

    if value is None:
        return None
    try:
        return orjson.dumps(
            value,
            default=_json_default,
            option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS,
        ).decode()
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(value, default=_json_default)


def _is_text(values: list[Any]) -> bool:
    return all(v is None or type(v) is str for v in values)


def write_table_part(
    frame: pd.DataFrame,
    path: str | os.PathLike[str],
    trace_ids: list[str | None] | None = None,
) -> None:
    """Write one part of a per-row table atomically (a temporary file, then a rename).

    ``trace_ids``: each row's stored trace id (``None`` where it has none), kept in the
    part's metadata so the scores can be attached to the traces without reading them back
    (:func:`part_trace_ids`).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns: dict[str, Any] = {}
    as_json: list[str] = []
    for name in frame.columns:
        series = frame[name]
        if series.dtype.kind in _PLAIN_KINDS:
            columns[str(name)] = series.to_numpy()
            continue
        values = series.tolist()
        if _is_text(values):
            columns[str(name)] = pa.array(values, type=pa.string())
        else:
            columns[str(name)] = pa.array([_to_json(v) for v in values], type=pa.string())
            as_json.append(str(name))
    table = pa.table(columns)
    table = table.append_column("__row__", pa.array(frame.index.to_numpy(), type=pa.int64()))
    metadata = {**(table.schema.metadata or {}), _JSON_KEY: json.dumps(as_json).encode()}
    if trace_ids is not None and any(t is not None for t in trace_ids):
        metadata[_TRACE_IDS_KEY] = json.dumps(trace_ids).encode()
    table = table.replace_schema_metadata(metadata)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, target)


def read_table_part(path: str | os.PathLike[str], columns: list[str] | None = None) -> pd.DataFrame:
    """One part as a DataFrame (JSON cells parsed back), indexed by row position."""
    import pyarrow.parquet as pq

    wanted = None if columns is None else [*columns, "__row__"]
    table = pq.read_table(path, columns=wanted)
    raw = (table.schema.metadata or {}).get(_JSON_KEY)
    as_json = set(json.loads(raw)) if raw else set()
    import pandas as pd
    import pyarrow as pa

    index = pd.Index(table.column("__row__").to_numpy())
    data: dict[str, Any] = {}
    for name in table.column_names:
        if name == "__row__":
            continue
        column = table.column(name)
        if pa.types.is_string(column.type) or pa.types.is_null(column.type):
            values = column.to_pylist()  # text stays Python str, and a missing cell None
            if name in as_json:
                values = [None if v is None else json.loads(v) for v in values]
            # as build_table makes them: values let pandas infer, other cells stay objects
            data[name] = pd.Series(values, dtype=None if _inferred(name) else object, index=index)
        else:
            data[name] = pd.Series(column.to_numpy(zero_copy_only=False), index=index)
    return pd.DataFrame(data, index=index)


def _inferred(name: str) -> bool:
    """Whether pandas infers the column's dtype when the table is built whole (values,
    latency; a conversation table's turn counts and per-row means), rather than keeping
    Python objects."""
    return name.endswith(("/value", "/mean")) or name in ("latency", "turns")


def part_trace_ids(path: str | os.PathLike[str]) -> list[str | None] | None:
    """The stored trace id of each row of a part (``None`` where it has none), from the
    part's metadata (only its footer is read); ``None`` when the part has no stored trace."""
    import pyarrow.parquet as pq

    raw = (pq.read_schema(path).metadata or {}).get(_TRACE_IDS_KEY)
    return json.loads(raw) if raw else None


def part_columns(path: str | os.PathLike[str]) -> list[str]:
    """The table columns of a part (from its footer)."""
    import pyarrow.parquet as pq

    return [c for c in pq.read_schema(path).names if c != "__row__"]


class TableParts:
    """A per-row table stored as Parquet parts, read lazily (see the module docstring)."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)

    @property
    def paths(self) -> list[Path]:
        """The parts, in row order."""
        return sorted(self.folder.glob("part-*.parquet"))

    def __len__(self) -> int:
        import pyarrow.parquet as pq

        return sum(pq.ParquetFile(p).metadata.num_rows for p in self.paths)

    def __repr__(self) -> str:
        return f"TableParts({str(self.folder)!r}, parts={len(self.paths)})"

    def iter_frames(self, columns: list[str] | None = None) -> Iterator[pd.DataFrame]:
        """One DataFrame per part, in row order (only ``columns`` when given)."""
        for path in self.paths:
            yield read_table_part(path, columns)

    def to_pandas(self, columns: list[str] | None = None) -> pd.DataFrame:
        """The whole table as one DataFrame (only ``columns`` when given)."""
        import pandas as pd

        frames = list(self.iter_frames(columns))
        if not frames:
            return pd.DataFrame()
        if len(frames) == 1:
            return frames[0]
        # a column only some parts have (session_id where only some chunks have sessions)
        # goes where those parts have it, empty (None) elsewhere, as in a table built whole
        order: list[str] = []
        for part in frames:
            before = -1
            for name in part.columns:
                if name not in order:
                    order.insert(before + 1, name)
                before = order.index(name)
        for k, part in enumerate(frames):
            if list(part.columns) != order:
                missing = {
                    name: pd.Series([None] * len(part), dtype=object, index=part.index)
                    for name in order
                    if name not in part.columns
                }
                frames[k] = part.assign(**missing)[order]
        frame = pd.concat(frames)
        for name in frame.columns:  # as inferred over the whole column, not part by part
            if frame[name].dtype == object and _inferred(name):
                frame[name] = pd.Series(frame[name].tolist(), index=frame.index)
        return frame


class LazyTables(Mapping[str, "pd.DataFrame"]):
    """``result.tables`` of a chunked run: each table is loaded from its parts when asked."""

    def __init__(self, parts: Mapping[str, TableParts]) -> None:
        self._parts = dict(parts)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self._parts[name].to_pandas()

    def __iter__(self) -> Iterator[str]:
        return iter(self._parts)

    def __contains__(self, name: object) -> bool:
        return name in self._parts  # Mapping's own would load the table to answer

    def __len__(self) -> int:
        return len(self._parts)

    def parts(self, name: str) -> TableParts:
        """The parts of table ``name``, to read it part by part."""
        return self._parts[name]

    def __repr__(self) -> str:
        return f"LazyTables({self._parts!r})"
