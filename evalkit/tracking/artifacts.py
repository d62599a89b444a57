"""Run artifacts: files in the run's artifact folder, each written atomically.

A file appears in the artifact folder complete or not at all (written to a temporary name,
then renamed), so a reader never sees half a table, even when the writer is killed. Files
get the permissions the process's umask gives (a shared artifact root stays readable to the
team). A folder that cannot be written is a :class:`~evalkit.TrackingError` naming it.
Tables use MLflow's ``log_table`` JSON layout, ``{"columns": [...], "data": [[...], ...]}``;
text that is not valid Unicode (a lone surrogate) is written with U+FFFD in its place.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from evalkit.entities.trace import Trace
from evalkit.errors import TrackingError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["columns_of", "copy_in", "read_table", "table_json", "target", "to_json", "write_bytes"]


def target(artifact_uri: str, artifact_file: str | os.PathLike[str]) -> Path:
    """The path of ``artifact_file`` inside a run's artifact folder (never outside it)."""
    relative = PurePosixPath(os.fspath(artifact_file).replace(os.sep, "/"))
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        raise TrackingError(
            f"artifact path {os.fspath(artifact_file)!r} must be a relative path inside the "
            "run's artifacts, without '..'"
        )
    return Path(artifact_uri, *relative.parts)


@contextmanager
def _writable(path: Path) -> Iterator[None]:
    """Turn a failure to write ``path`` into a TrackingError that names it."""
    try:
        yield
    except OSError as exc:
        raise TrackingError(
            f"cannot write artifact {path}: {exc.strerror or exc}; the artifact folder must "
            "be writable (see EVALKIT_ARTIFACT_ROOT, or the tracking folder)"
        ) from exc


@contextmanager
def _temporary(path: Path) -> Iterator[Path]:
    """A new temporary file beside ``path`` (mode 0666 less the umask), renamed onto ``path``
    when the block ends; removed if the block raises."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
    # os.open applies the umask, unlike tempfile.mkstemp (always 0600)
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file, then rename).

    Raises:
        TrackingError: The artifact folder cannot be written.
    """
    with _writable(path), _temporary(path) as tmp:
        tmp.write_bytes(data)


def _copy_file(source: Path, destination: Path) -> None:
    with _writable(destination), _temporary(destination) as tmp:
        shutil.copyfile(source, tmp)


def copy_in(local_path: str | os.PathLike[str], destination_dir: Path) -> None:
    """Copy a file, or a folder's files, into ``destination_dir``.

    Raises:
        TrackingError: ``local_path`` does not exist.
    """
    source = Path(local_path)
    if source.is_file():
        _copy_file(source, destination_dir / source.name)
    elif source.is_dir():
        for file in sorted(p for p in source.rglob("*") if p.is_file()):
            _copy_file(file, destination_dir / file.relative_to(source))
    else:
        raise TrackingError(
            f"cannot log artifact {os.fspath(local_path)!r}: no such file or folder"
        )


def _json_default(value: Any) -> Any:
    if isinstance(value, Trace):  # a per-row trace: MLflow's dict form, spans and all
        return value.to_dict()
    if hasattr(value, "tolist"):  # numpy arrays (any dtype, nested ones too) and scalars
        return value.tolist()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def to_json(value: Any, *, sort_keys: bool = False) -> bytes:
    """Fast JSON (orjson): NaN becomes null, numpy values their Python equivalents."""
    import orjson

    option = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS
    if sort_keys:
        option |= orjson.OPT_SORT_KEYS
    try:
        return orjson.dumps(value, default=_json_default, option=option)
    except orjson.JSONEncodeError:
        pass
    value = _valid_text(value)  # a lone surrogate (invalid Unicode) -> U+FFFD
    try:
        return orjson.dumps(value, default=_json_default, option=option)
    except orjson.JSONEncodeError:  # e.g. integers beyond 64 bits: the slow, general way
        return json.dumps(value, default=_json_default, sort_keys=sort_keys).encode()


def _valid_text(value: Any) -> Any:
    """``value`` with every string that is not valid Unicode repaired (U+FFFD for a lone
    surrogate), through lists, tuples and dicts; numpy arrays become lists on the way."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            # surrogatepass keeps valid pairs together; decoding replaces the lone ones
            return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        return value
    if isinstance(value, dict):
        return {_valid_text(k): _valid_text(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_valid_text(v) for v in value]
    if type(value).__module__ == "numpy" and hasattr(value, "tolist"):
        return _valid_text(value.tolist())
    return value


def columns_of(frame: pd.DataFrame) -> list[list[Any]]:
    """The frame's columns as Python lists."""
    return [frame.iloc[:, i].tolist() for i in range(frame.shape[1])]


def table_json(data: pd.DataFrame | Mapping[str, Any]) -> bytes:
    """A table (DataFrame or dict of columns) as ``{"columns": [...], "data": [[...]]}``."""
    import pandas as pd

    frame = data if isinstance(data, pd.DataFrame) else pd.DataFrame(dict(data))
    # Building one tuple per row would set off the cyclic garbage collector again and again
    # over every live object (most of the run time on large tables); these tuples hold no
    # cycles, so it is paused while they are made.
    enabled = gc.isenabled()
    gc.disable()
    try:
        rows = list(zip(*columns_of(frame), strict=True))
    finally:
        if enabled:
            gc.enable()
    return to_json({"columns": [str(c) for c in frame.columns], "data": rows})


def read_table(path: Path) -> pd.DataFrame:
    """Read a table written by :func:`table_json` back into a DataFrame."""
    import pandas as pd

    try:
        import orjson

        payload = orjson.loads(path.read_bytes())
        return pd.DataFrame(payload["data"], columns=payload["columns"])
    except FileNotFoundError:
        raise TrackingError(f"no table artifact at {path}") from None
    except (ValueError, KeyError, TypeError) as exc:  # orjson.JSONDecodeError is a ValueError
        raise TrackingError(f"artifact {path} is not a table logged with log_table: {exc}") from exc
