"""The per-row journal of an evaluation: what lets ``evaluate(..., resume=run_id)`` go on.

While an evaluation runs, every finished (row, scorer) outcome and every prediction is
appended to the run's ``evaluation_journal.jsonl`` artifact. Outcomes are written through a
buffer flushed every :data:`FLUSH_SECONDS` and at the end, so a ``kill -9`` loses at most the
last fraction of a second (those pairs are simply scored again on resume; their judge calls
are answered by the call cache).

Each flush writes one JSON line ``{"b": [[row, scorer, value], [row, scorer, null,
encoded], ...], "d": {row: digest}}``: plain values as they are, other outcomes (Feedback,
errors, NaN) as :func:`encode` writes them. One ``orjson`` call per batch keeps journaling
cheap (under 1 us a pair; one call per entry cost 5). Predictions, and a batch that cannot
be written that way, are single-entry lines ``{"r": row, "d": digest, "s": scorer, "o":
encoded}`` or ``{"r": row, "d": digest, "p": outputs, "l": latency, "pe": error}``. The
digest of each row's record (inputs, outputs, expectations) lets a resume on changed data
be refused with a clear error.
"""

from __future__ import annotations

import collections
import hashlib
import itertools
import json
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalkit.entities import AssessmentError, Feedback
from evalkit.errors import DataError, TrackingError

__all__ = ["FLUSH_SECONDS", "JOURNAL_ARTIFACT", "Journal", "JournalState", "read_journal"]

JOURNAL_ARTIFACT = "evaluation_journal.jsonl"
"""The artifact name of the per-row journal."""
FLUSH_SECONDS = 0.05
"""The longest a finished pair waits in the buffer before it is written to the file."""


def row_digest(inputs: Any, outputs: Any, expectations: Any) -> str:
    """A short digest of one record, to tell whether the data changed between runs."""
    import orjson

    record = [inputs, outputs, expectations]
    try:
        payload = orjson.dumps(
            record, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=repr
        )
    except TypeError:
        payload = json.dumps(record, sort_keys=True, default=repr).encode()
    return hashlib.blake2b(payload, digest_size=8).hexdigest()


def _error(e: AssessmentError | None) -> dict[str, Any] | None:
    if e is None:
        return None
    return {"c": e.error_code, "m": e.error_message}


def _unerror(d: dict[str, Any] | None) -> AssessmentError | None:
    return None if d is None else AssessmentError(error_code=d["c"], error_message=d["m"])


def encode(value: Any) -> Any:
    """One scorer outcome (a value, a Feedback or a list of Feedback) as JSON data."""
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
    if isinstance(value, float) and not math.isfinite(value):  # JSON has no NaN/inf
        return {"fv": repr(value)}
    return {"v": value}


def decode(data: dict[str, Any]) -> Any:
    """The outcome :func:`encode` wrote (``{"f": error}``, from older journals, as a
    Feedback with that error)."""
    if "f" in data:
        return Feedback(error=_unerror(data["f"]))
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
    if "fv" in data:
        return float(data["fv"])
    return data["v"]


def is_error(data: dict[str, Any]) -> bool:
    """Whether a journaled outcome is (or holds) an error."""
    if "f" in data:
        return True
    return any(d["e"] is not None for d in data.get("fb", ()))


_PLAIN = frozenset({bool, int, str, type(None)})
"""Outcome types written as they are in a batch line (finite floats too)."""


class Journal:
    """Appends journal lines from many threads; flushes by time and on :meth:`close`.

    Workers only append ``(row, scorer, outcome)`` to a deque (thread-safe, no lock); a
    flusher thread wakes every :data:`FLUSH_SECONDS`, encodes what is buffered with orjson
    and writes it in one call, so an outcome reaches the file within that time however
    slowly the next one comes.
    """

    def __init__(self, path: Path, digests: list[str]) -> None:
        self.path = path
        self.digests = digests
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = path.open("ab")
        except OSError as exc:
            raise TrackingError(
                f"cannot write artifact {path}: {exc.strerror or exc}; the artifact folder "
                "must be writable (see EVALKIT_ARTIFACT_ROOT, or the tracking folder)"
            ) from exc
        self._lock = threading.Lock()
        self._buffer: collections.deque[tuple[Any, ...]] = collections.deque()
        self._closing = threading.Event()
        self._flusher = threading.Thread(
            target=self._flush_every, name="evalkit-journal", daemon=True
        )
        self._flusher.start()

    def _flush_every(self) -> None:
        while not self._closing.wait(FLUSH_SECONDS):
            if self._buffer:
                self.flush()

    def _add(self, entry: tuple[Any, ...]) -> None:
        self._buffer.append(entry)

    def score(self, row: int, scorer: str, value: Any) -> None:
        """Record the outcome of ``scorer`` on row ``row``."""
        self._add((row, scorer, value))

    def scores(self, scorer: str, rows: Sequence[int], values: Sequence[Any]) -> None:
        """Record plain values of ``scorer``: ``values[i]`` on row ``rows[i]``."""
        if len(rows) != len(values):
            raise ValueError(f"{len(rows)} rows but {len(values)} values of {scorer!r}")
        self._buffer.extend(zip(rows, itertools.repeat(scorer), values))

    def prediction(self, row: int, outputs: Any, latency: float | None, error: Any) -> None:
        """Record the ``predict_fn`` result of row ``row``."""
        self._add((row, None, (outputs, latency, error)))

    def _line(self, entry: tuple[Any, ...]) -> bytes | None:
        import orjson

        row, scorer, value = entry
        if scorer is None:
            outputs, latency, error = value
            data: dict[str, Any] = {
                "r": row,
                "d": self.digests[row],
                "p": outputs,
                "l": latency,
                "pe": _error(error),
            }
        else:
            data = {"r": row, "d": self.digests[row], "s": scorer, "o": encode(value)}
        try:
            return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS) + b"\n"
        except TypeError:  # not JSON data: not journaled, scored again on resume
            return None

    def _batch_line(self, batch: list[tuple[Any, ...]]) -> list[bytes] | None:
        """The batch's outcomes as one line, its predictions as their own lines."""
        import orjson

        scores, predictions = [], []
        for entry in batch:
            row, scorer, value = entry
            if scorer is None:
                predictions.append(entry)
            elif type(value) in _PLAIN or (type(value) is float and math.isfinite(value)):
                scores.append(entry)
            else:
                scores.append((row, scorer, None, encode(value)))
        digests = self.digests
        lines: list[bytes] = []
        if scores:
            data = {"b": scores, "d": {e[0]: digests[e[0]] for e in scores}}
            try:
                lines.append(orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS) + b"\n")
            except TypeError:
                return None
        lines.extend(line for line in map(self._line, predictions) if line is not None)
        return lines

    def flush(self) -> None:
        """Write what is buffered."""
        with self._lock:
            batch = []
            while True:  # popleft is atomic: an entry appended meanwhile is never lost
                try:
                    batch.append(self._buffer.popleft())
                except IndexError:
                    break
            if self._file.closed:
                return
            lines = self._batch_line(batch)
            if lines is None:  # a value orjson refuses (an int over 64 bits...): line by line
                lines = [line for line in map(self._line, batch) if line is not None]
            if lines:
                self._file.write(b"".join(lines))
                self._file.flush()

    def close(self) -> None:
        """Flush and close the file."""
        self._closing.set()
        self._flusher.join()
        self.flush()
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
    with path.open("rb") as f:
        for line in f:
            try:  # bytes: a line torn inside a multi-byte character is invalid, not fatal
                entry = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError):
                continue
            if "b" in entry:
                for row, digest in entry["d"].items():
                    state.digests[int(row)] = digest
                for item in entry["b"]:
                    outcome = {"v": item[2]} if len(item) == 3 else item[3]
                    state.scores[(item[0], item[1])] = outcome
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
