"""Run artifacts: files in the run's artifact folder, each written atomically.

A file appears in the artifact folder complete or not at all (written to a temporary name,
then renamed), so a reader never sees half a table, even when the writer is killed.
Tables use MLflow's ``log_table`` JSON layout, ``{"columns": [...], "data": [[...], ...]}``.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

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


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _copy_file(source: Path, destination: Path) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        dir=destination.parent, prefix=f".{destination.name}.", suffix=".tmp"
    )
    os.close(fd)
    try:
        shutil.copyfile(source, tmp)
        os.replace(tmp, destination)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
    if hasattr(value, "item") and type(value).__module__ == "numpy":
        return value.item()
    if hasattr(value, "tolist"):
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
    except orjson.JSONEncodeError:  # e.g. integers beyond 64 bits: the slow, general way
        return json.dumps(value, default=_json_default, sort_keys=sort_keys).encode()


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
