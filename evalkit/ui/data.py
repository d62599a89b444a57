"""What the UI reads from the tracking store, shaped for its pages.

Every read goes through this module (and :mod:`evalkit.ui.feedback` for the one write), so
the pages do not know how the store is laid out. Per-row tables are loaded once and kept in
a small cache: a 100,000-row run is read from disk on its first page and then paged,
filtered and searched in memory.
"""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from evalkit.errors import TrackingError

if TYPE_CHECKING:
    import pandas as pd

    from evalkit.entities.runs import Run

__all__ = [
    "MAX_TRACES",
    "RUN_ID",
    "TRACES_PAGE_SIZE",
    "TRACE_ID",
    "ExperimentSummary",
    "RowPage",
    "RunTable",
    "TracePage",
    "add_trace_feedback",
    "dataset_uses",
    "experiments",
    "get_run",
    "get_trace",
    "run_table",
    "runs_of",
    "session_traces",
    "traces_page",
]

TABLE_ARTIFACT = "eval_results_table.json"
RUN_ID = re.compile(r"^[0-9a-f]{32}$")
"""What a run id looks like; anything else in a URL is refused before the store is asked."""
_RECORD_COLUMNS = ("inputs", "outputs", "expectations")


def _tracking() -> Any:
    import evalkit.tracking

    return evalkit.tracking


@dataclass(frozen=True, kw_only=True)
class ExperimentSummary:
    """One line of the experiments page."""

    experiment_id: str
    """The experiment's id."""
    name: str
    """The experiment's name."""
    run_count: int
    """How many active runs it has."""
    last_activity: int | None
    """The newest run start (or the experiment's creation), ms since the epoch."""


def _experiment_ids() -> list[str]:
    return [e.experiment_id for e in _tracking().search_experiments()]


def experiments(search: str = "") -> list[ExperimentSummary]:
    """Every experiment whose name contains ``search`` (any case), newest activity first."""
    tracking = _tracking()
    runs: list[Run] = tracking.search_runs(search_all_experiments=True, output_format="list")
    counts: dict[str, int] = {}
    newest: dict[str, int] = {}
    for run in runs:
        eid = run.info.experiment_id
        counts[eid] = counts.get(eid, 0) + 1
        newest[eid] = max(newest.get(eid, 0), run.info.start_time or 0)
    found = []
    needle = search.strip().lower()
    for eid in _experiment_ids():
        experiment = tracking.get_experiment(eid)
        if experiment is None or (needle and needle not in experiment.name.lower()):
            continue
        found.append(
            ExperimentSummary(
                experiment_id=eid,
                name=experiment.name,
                run_count=counts.get(eid, 0),
                last_activity=newest.get(eid) or getattr(experiment, "creation_time", None),
            )
        )
    found.sort(key=lambda e: -(e.last_activity or 0))
    return found


def get_experiment(experiment_id: str) -> Any:
    """The experiment, or a TrackingError that names the id."""
    if not experiment_id.isdigit():
        raise TrackingError(f"no experiment {experiment_id!r}")
    experiment = _tracking().get_experiment(experiment_id)
    if experiment is None:
        raise TrackingError(f"no experiment {experiment_id!r}")
    return experiment


def runs_of(experiment_id: str, filter_string: str = "") -> list[Run]:
    """The experiment's runs matching an MLflow filter string, newest first."""
    runs: list[Run] = _tracking().search_runs(
        experiment_ids=[experiment_id],
        filter_string=filter_string or None,
        output_format="list",
        order_by=["start_time DESC"],
    )
    return runs


def get_run(run_id: str) -> Run:
    """The run, or a TrackingError; ids that are not run ids never reach the store."""
    if not RUN_ID.match(run_id):
        raise TrackingError(f"no run {run_id!r}")
    try:
        run: Run = _tracking().get_run(run_id)
    except TrackingError:
        raise TrackingError(f"no run {run_id!r}") from None
    return run


def cost(run: Run) -> float | None:
    """The run's judge cost (``usage/cost``), if it made judge calls."""
    value = run.data.metrics.get("usage/cost")
    return None if value is None else float(value)


def duration_s(run: Run) -> float | None:
    """How long the run took, in seconds (``None`` while it runs)."""
    if run.info.end_time is None or run.info.start_time is None:
        return None
    return (run.info.end_time - run.info.start_time) / 1000


# -- per-row tables --------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RowPage:
    """One page of a run's per-row table after filtering."""

    positions: list[int]
    """Row positions (0-based, in the stored table) on this page, in order."""
    matched: int
    """How many rows match the filter, over all pages."""
    total: int
    """How many rows the run has."""
    page: int
    """This page's number, from 1."""
    pages: int
    """How many pages the matching rows fill."""


@dataclass
class RunTable:
    """A run's per-row table, with what filtering needs computed once."""

    frame: pd.DataFrame
    """The table as stored."""
    scorers: list[str] = field(default_factory=list)
    """The scorers with a ``<scorer>/value`` column, in table order."""

    def __post_init__(self) -> None:
        self.scorers = [
            str(c)[: -len("/value")] for c in self.frame.columns if str(c).endswith("/value")
        ]
        self._lock = threading.Lock()

    @property
    def record_columns(self) -> list[str]:
        """The ``inputs`` / ``outputs`` / ``expectations`` columns the table has."""
        return [c for c in _RECORD_COLUMNS if c in self.frame.columns]

    def __len__(self) -> int:
        return len(self.frame)

    @cached_property
    def failed(self) -> Any:
        """A boolean mask: the rows where a scorer or the prediction failed."""
        import numpy as np

        mask = np.zeros(len(self.frame), dtype=bool)
        for column in self.frame.columns:
            name = str(column)
            if name.endswith("/error_code") or name == "prediction_error":
                mask |= self.frame[column].notna().to_numpy()
        return mask

    def scores(self, scorer: str) -> Any:
        """The scorer's values as floats (bools as 0/1; NaN where not a number)."""
        with self._lock:
            cache = self.__dict__.setdefault("_scores", {})
            if scorer not in cache:
                from evalkit.engine.table_cells import row_number

                values = self.frame[f"{scorer}/value"].tolist()
                numbers = [row_number(v) for v in values]
                cache[scorer] = [math.nan if n is None else n for n in numbers]
            return cache[scorer]

    @cached_property
    def text(self) -> list[str]:
        """Every row's record cells as one lower-case string, for text search."""
        import orjson

        def plain_text(value: Any) -> str:
            if isinstance(value, str):
                return value
            try:
                return orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY).decode()
            except TypeError:
                return str(value)

        columns = [self.frame[c].tolist() for c in self.record_columns]
        return [
            "\n".join(plain_text(v) for v in cells).lower() for cells in zip(*columns, strict=True)
        ]

    def _matching(self, needle: str) -> Any:
        """Rows whose text contains ``needle``; the last few searches are kept, so paging
        through a search's results does not search again."""
        import numpy as np

        with self._lock:
            kept: OrderedDict[str, Any] = self.__dict__.setdefault("_searches", OrderedDict())
            if needle in kept:
                kept.move_to_end(needle)
                return kept[needle]
        found = np.fromiter((needle in t for t in self.text), dtype=bool, count=len(self.frame))
        with self._lock:
            kept[needle] = found
            while len(kept) > 8:
                kept.popitem(last=False)
        return found

    def select(
        self,
        *,
        show: str = "all",
        below: tuple[str, float] | None = None,
        search: str = "",
        sort: str = "",
        descending: bool = False,
        page: int = 1,
        page_size: int = 50,
    ) -> RowPage:
        """The rows matching every filter given, sorted, cut to one page.

        Args:
            show: ``"all"`` or ``"failed"`` (rows where a scorer or the prediction failed).
            below: ``(scorer, x)``: rows whose score is below ``x``.
            search: Rows whose inputs, outputs or expectations contain this text (any case).
            sort: A scorer to sort by (default: table order).
            descending: Sort high to low.
            page: The page, from 1; past the end gives the last page.
            page_size: Rows per page.
        """
        import numpy as np

        mask = np.ones(len(self.frame), dtype=bool)
        if show == "failed":
            mask &= self.failed
        if below is not None and below[0] in self.scorers:
            with np.errstate(invalid="ignore"):
                mask &= np.asarray(self.scores(below[0])) < below[1]
        if search.strip():
            mask &= self._matching(search.strip().lower())
        positions = np.flatnonzero(mask)
        if sort in self.scorers:
            keys = np.asarray(self.scores(sort))[positions]
            keys = np.where(np.isnan(keys), np.inf if not descending else -np.inf, keys)
            order = np.argsort(-keys if descending else keys, kind="stable")
            positions = positions[order]
        matched = len(positions)
        pages = max(1, math.ceil(matched / page_size))
        page = min(max(1, page), pages)
        start = (page - 1) * page_size
        chosen = positions[start : start + page_size]
        return RowPage(
            positions=[int(p) for p in chosen],
            matched=matched,
            total=len(self.frame),
            page=page,
            pages=pages,
        )

    def row(self, position: int) -> dict[str, Any]:
        """One row's cells by column name."""
        if not 0 <= position < len(self.frame):
            raise TrackingError(f"no row {position}")
        return {str(k): v for k, v in self.frame.iloc[position].items()}


_TABLES: OrderedDict[str, RunTable | None] = OrderedDict()
_TABLES_LOCK = threading.Lock()
_TABLES_KEPT = 4


def run_table(run_id: str) -> RunTable | None:
    """The run's per-row table (cached for the few runs last looked at), or ``None``."""
    with _TABLES_LOCK:
        if run_id in _TABLES:
            _TABLES.move_to_end(run_id)
            return _TABLES[run_id]
    get_run(run_id)
    try:
        frame = _tracking().load_table(TABLE_ARTIFACT, run_ids=[run_id])
        table: RunTable | None = RunTable(frame=frame.reset_index(drop=True))
    except (TrackingError, FileNotFoundError, KeyError):
        table = None
    with _TABLES_LOCK:
        _TABLES[run_id] = table
        while len(_TABLES) > _TABLES_KEPT:
            _TABLES.popitem(last=False)
    return table


def forget_tables() -> None:
    """Drop every cached table (tests, and after the store is pointed elsewhere)."""
    with _TABLES_LOCK:
        _TABLES.clear()


# -- datasets --------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DatasetUse:
    """A dataset (by name and digest) and the runs that used it."""

    name: str
    """The dataset's name."""
    digest: str
    """Its content digest: equal data, equal digest."""
    source: str | None
    """Where it came from (file path, stored dataset)."""
    num_records: int | None
    """How many records it had."""
    runs: list[tuple[str, str]]
    """``(run_id, run name)`` of each run that used it, newest first."""


def dataset_uses() -> list[DatasetUse]:
    """Every dataset a run used, grouped by name and digest."""
    runs: list[Run] = _tracking().search_runs(
        search_all_experiments=True, output_format="list", order_by=["start_time DESC"]
    )
    found: dict[tuple[str, str], DatasetUse] = {}
    for run in runs:
        for used in run.inputs.dataset_inputs:
            key = (used.name, used.digest)
            if key not in found:
                found[key] = DatasetUse(
                    name=used.name,
                    digest=used.digest,
                    source=used.source,
                    num_records=used.num_records,
                    runs=[],
                )
            found[key].runs.append((run.info.run_id, run.info.run_name or run.info.run_id))
    return list(found.values())


def stored_datasets() -> list[dict[str, Any]]:
    """The evaluation datasets kept in the store: name, id, record count, tags."""
    from evalkit.tracking.datasets import search_datasets

    listed = []
    for dataset in search_datasets():
        listed.append(
            {
                "name": dataset.name or "",
                "dataset_id": dataset.dataset_id or "",
                "records": len(dataset),
                "tags": dict(dataset.tags),
            }
        )
    return listed


def metric_history(runs: Sequence[Run], metric: str) -> list[tuple[int, float, str]]:
    """``(start time, value, run name)`` of each run that has ``metric``, oldest first."""
    points = [
        (run.info.start_time, float(run.data.metrics[metric]), run.info.run_name or "")
        for run in runs
        if metric in run.data.metrics
    ]
    return sorted(points)


# -- traces ---------------------------------------------------------------------------------

TRACE_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
"""What a trace id may look like; anything else in a URL is refused before the store is asked."""
MAX_TRACES = 500
"""The most traces one traces page lists (and the most turns a conversation page shows)."""
TRACES_PAGE_SIZE = 100
"""How many traces a traces page lists unless asked for another page size."""


@dataclass(frozen=True, kw_only=True)
class TracePage:
    """One page of an experiment's traces (newest first) matching a filter."""

    traces: list[Any]
    """The traces on this page, in order."""
    page: int
    """This page's number, from 1."""
    size: int
    """How many traces a page holds."""
    has_next: bool
    """Whether another page follows."""

    @property
    def first(self) -> int:
        """The position (from 1) of this page's first trace among the matches."""
        return (self.page - 1) * self.size + 1

    @property
    def last(self) -> int:
        """The position of this page's last trace (``first - 1`` on an empty page)."""
        return self.first + len(self.traces) - 1


def traces_page(
    experiment_id: str, filter_string: str = "", page: int = 1, size: int = TRACES_PAGE_SIZE
) -> TracePage:
    """One page of the experiment's traces matching MLflow's trace filter syntax, newest
    first; ``size`` is kept between 1 and :data:`MAX_TRACES`, ``page`` at least 1.

    Raises:
        TrackingError: The filter does not parse.
    """
    from evalkit.tracking.traces import search_traces_page

    size = max(1, min(size, MAX_TRACES))
    page = max(1, page)
    traces, more = search_traces_page(
        [experiment_id], filter_string or None, size, None, (page - 1) * size
    )
    return TracePage(traces=traces, page=page, size=size, has_next=more)


def get_trace(trace_id: str) -> Any:
    """The stored trace, or a TrackingError that names the id."""
    if not TRACE_ID.match(trace_id):
        raise TrackingError(f"no trace {trace_id!r}")
    trace = _tracking().get_trace(trace_id)
    if trace is None:
        raise TrackingError(f"no trace {trace_id!r}")
    return trace


def session_traces(experiment_id: str, session_id: str) -> list[Any]:
    """The traces (turns) of one conversation, oldest first."""
    quoted = session_id.replace("'", "''")
    traces: list[Any] = _tracking().search_traces(
        experiment_ids=[experiment_id],
        filter_string=f"metadata.`mlflow.trace.session` = '{quoted}'",
        max_results=MAX_TRACES,
        order_by=["timestamp_ms ASC"],
        return_type="list",
    )
    return traces


def add_trace_feedback(
    trace_id: str, name: str, value: Any, rationale: str = "", source_id: str = "ui"
) -> Any:
    """Store a person's feedback on a trace as a ``HUMAN`` assessment; return it."""
    from evalkit.entities.assessments import AssessmentSource, AssessmentSourceType

    return _tracking().log_feedback(
        trace_id,
        name=name,
        value=value,
        rationale=rationale or None,
        source=AssessmentSource(source_type=AssessmentSourceType.HUMAN, source_id=source_id),
    )
