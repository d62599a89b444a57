"""The per-row journal of an evaluation: what lets ``evaluate(..., resume=run_id)`` go on.

While an evaluation runs, every finished (row, scorer) outcome and every prediction is
appended to the run's ``evaluation_journal.jsonl`` artifact, one JSON line each. Lines are
written through a buffer flushed at least every :data:`FLUSH_SECONDS` and at the end, so a
``kill -9`` loses at most the last fraction of a second (those pairs are simply scored again
on resume; their judge calls are answered by the call cache).

Each line names the row by its index and a digest of its record (inputs, outputs,
expectations), so resuming on changed data is refused with a clear error.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalkit.entities import AssessmentError, Feedback
from evalkit.errors import DataError

__all__ = ["FLUSH_SECONDS", "JOURNAL_ARTIFACT", "Journal", "JournalState", "read_journal"]

JOURNAL_ARTIFACT = "evaluation_journal.jsonl"
"""The artifact name of the per-row journal."""
FLUSH_SECONDS = 0.05
"""The longest a finished pair waits in the buffer before it is written to the file."""


def row_digest(inputs: Any, outputs: Any, expectations: Any) -> str:
    """A short digest of one record, to tell whether the data changed between runs."""
    payload = json.dumps([inputs, outputs, expectations], sort_keys=True, default=repr)
    return hashlib.blake2b(payload.encode(), digest_size=8).hexdigest()


def _error(e: AssessmentError | None) -> dict[str, Any] | None:
    if e is None:
        return None
    return {"c": e.error_code, "m": e.error_message}


def _unerror(d: dict[str, Any] | None) -> AssessmentError | None:
    return None if d is None else AssessmentError(error_code=d["c"], error_message=d["m"])


def encode(value: Any) -> Any:
    """One scorer outcome (a value, Feedback, list of Feedback or Failed) as JSON data."""
    from evalkit.results import Failed

    if isinstance(value, Failed):
        return {"f": _error(value.error)}
    if isinstance(value, Feedback):
        value = [value]
    if isinstance(value, list) and value and all(isinstance(v, Feedback) for v in value):
        return {
            "fb": [
                {
                    "n": v.name,
                    "v": v.value,
                    "r": v.rationale,
                    "e": _error(v.error),
                    "md": dict(v.metadata),
                }
                for v in value
            ]
        }
    return {"v": value}


def decode(data: dict[str, Any]) -> Any:
    """The outcome :func:`encode` wrote."""
    from evalkit.results import Failed

    if "f" in data:
        error = _unerror(data["f"])
        assert error is not None
        return Failed(error)
    if "fb" in data:
        items = [
            Feedback(
                name=d["n"],
                value=d["v"],
                rationale=d["r"],
                error=_unerror(d["e"]),
                metadata=d["md"],
            )
            for d in data["fb"]
        ]
        return items[0] if len(items) == 1 else items
    return data["v"]


def is_error(data: dict[str, Any]) -> bool:
    """Whether a journaled outcome is (or holds) an error."""
    if "f" in data:
        return True
    return any(d["e"] is not None for d in data.get("fb", ()))


class Journal:
    """Appends journal lines from many threads; flushes by time and on :meth:`close`."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._file = path.open("a", encoding="utf-8")
        self._lock = threading.Lock()
        self._last = time.monotonic()

    def _write(self, line: str) -> None:
        with self._lock:
            self._file.write(line)
            now = time.monotonic()
            if now - self._last >= FLUSH_SECONDS:
                self._file.flush()
                self._last = now

    def score(self, row: int, digest: str, scorer: str, value: Any) -> None:
        """Record the outcome of ``scorer`` on row ``row``."""
        try:
            line = json.dumps({"r": row, "d": digest, "s": scorer, "o": encode(value)})
        except (TypeError, ValueError):  # not JSON data: not journaled, scored again on resume
            return
        self._write(line + "\n")

    def prediction(
        self, row: int, digest: str, outputs: Any, latency: float | None, error: Any
    ) -> None:
        """Record the ``predict_fn`` result of row ``row``."""
        try:
            line = json.dumps(
                {"r": row, "d": digest, "p": outputs, "l": latency, "pe": _error(error)}
            )
        except (TypeError, ValueError):
            return
        self._write(line + "\n")

    def close(self) -> None:
        """Flush and close the file."""
        with self._lock:
            self._file.close()


@dataclass
class JournalState:
    """What a journal holds: outcomes by (row, scorer), predictions and digests by row."""

    scores: dict[tuple[int, str], dict[str, Any]] = field(default_factory=dict)
    predictions: dict[int, dict[str, Any]] = field(default_factory=dict)
    digests: dict[int, str] = field(default_factory=dict)


def read_journal(path: Path) -> JournalState:
    """Read a journal; a torn last line (the process died while writing it) is skipped."""
    state = JournalState()
    if not path.exists():
        return state
    with path.open(encoding="utf-8") as f:
        for line in f:
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            row = entry["r"]
            state.digests[row] = entry["d"]
            if "s" in entry:
                state.scores[(row, entry["s"])] = entry["o"]
            else:
                state.predictions[row] = entry
    return state


def check_rows(state: JournalState, digests: list[str], run_id: str) -> None:
    """Refuse to resume when the data is not the data the run started on."""
    for row, digest in state.digests.items():
        if row >= len(digests):
            raise DataError(
                f"cannot resume run {run_id}: it scored row {row}, but the data has only "
                f"{len(digests)} rows; resume with the same data the run started on"
            )
        if digests[row] != digest:
            raise DataError(
                f"cannot resume run {run_id}: row {row} differs from the record the run "
                "scored (its inputs, outputs or expectations changed); resume with the "
                "same data, or start a new evaluation"
            )
