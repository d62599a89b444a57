"""The engine's side of journaling and resuming (see :mod:`evalkit.tracking.journal`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from evalkit.tracking.journal import (
    Journal,
    JournalState,
    check_rows,
    decode,
    is_error,
    read_journal,
    row_digest,
)

if TYPE_CHECKING:
    from evalkit.data import EvalRow
    from evalkit.tracking.evaluation import EvaluationLogger

__all__ = ["Journaling"]


class Journaling:
    """Writes an evaluation's journal and answers what a resumed run already has."""

    def __init__(
        self,
        tracking: EvaluationLogger,
        rows: list[EvalRow],
        run_id: str,
        resume: bool,
        retry_errors: bool,
    ) -> None:
        path = tracking.journal_path()
        self.digests = [row_digest(r.inputs, r.outputs, r.expectations) for r in rows]
        self.state = read_journal(path) if resume else JournalState()
        check_rows(self.state, self.digests, run_id)
        self.retry_errors = retry_errors
        self.journal = Journal(path, self.digests)

    @property
    def resuming(self) -> bool:
        """Whether anything was journaled before."""
        return bool(self.state.digests)

    def restore_prediction(self, row: EvalRow, trace_scorers: Sequence[str] = ()) -> bool:
        """Put back row's journaled prediction; ``False`` when it must be predicted.

        Traces are not journaled, so a row that one of ``trace_scorers`` (scorers reading
        the trace) has still to score is predicted again, for a fresh trace.
        """
        entry = self.state.predictions.get(row.index)
        if entry is None or (self.retry_errors and entry["pe"] is not None):
            return False
        if entry["pe"] is None and not all(self.restored(row.index, s)[0] for s in trace_scorers):
            return False
        from evalkit.entities import AssessmentError

        row.outputs = entry["p"]
        row.latency = entry["l"]
        pe = entry["pe"]
        row.prediction_error = (
            None if pe is None else AssessmentError(error_code=pe["c"], error_message=pe["m"])
        )
        return True

    def record_prediction(self, row: EvalRow) -> None:
        """Journal row's prediction."""
        self.journal.prediction(row.index, row.outputs, row.latency, row.prediction_error)

    def restored(self, row: int, scorer: str) -> tuple[bool, Any]:
        """``(found, outcome)`` of the pair in the journal (errors count as missing when
        ``retry_errors``)."""
        entry = self.state.scores.get((row, scorer))
        if entry is None or (self.retry_errors and is_error(entry)):
            return False, None
        return True, decode(entry)

    def record(self, row: int, scorer: str, value: Any) -> None:
        """Journal the outcome of ``scorer`` on ``row``."""
        self.journal.score(row, scorer, value)

    def close(self) -> None:
        """Flush and close the journal."""
        self.journal.close()
