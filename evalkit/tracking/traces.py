"""Traces in the tracking store: MLflow's trace and assessment API, and the tracing sink.

Traces arrive two ways: :mod:`evalkit.tracing` exports every finished trace when tracing is on
(``evalkit.tracing.enable()`` / ``EVALKIT_TRACING=1``) through the sink this module registers,
and :func:`log_traces` stores traces a program already holds. They are read back with
:func:`search_traces` (MLflow's filter syntax) and :func:`get_trace`; humans, judges and code
attach assessments with :func:`log_feedback` / :func:`log_expectation`.

Example:
    >>> evalkit.tracing.enable()
    >>> answer = my_app("What is MLflow?")          # traced functions log a trace
    >>> evalkit.tracing.flush()
    >>> df = evalkit.search_traces(filter_string="attributes.status = 'OK'")
    >>> evalkit.log_feedback(df.trace_id[0], name="helpful", value=True,
    ...                      source=AssessmentSource(source_type="HUMAN", source_id="ann"))
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal

from evalkit import tracing as _tracing
from evalkit.entities.assessments import (
    AnyAssessment,
    AssessmentError,
    AssessmentSource,
    AssessmentSourceType,
    Expectation,
    Feedback,
)
from evalkit.entities.trace import SOURCE_RUN_METADATA_KEY, EncodedTrace, Trace
from evalkit.errors import DataError, TrackingError
from evalkit.tracking import _context
from evalkit.tracking.store import TrackingStore

if TYPE_CHECKING:
    import pandas as pd


__all__ = [
    "TRACE_COLUMNS",
    "attach_feedback",
    "delete_assessment",
    "delete_trace_tag",
    "delete_traces",
    "get_assessment",
    "get_trace",
    "iter_traces",
    "log_assessment",
    "log_expectation",
    "log_feedback",
    "log_traces",
    "search_traces",
    "search_traces_page",
    "set_trace_tag",
    "traces_to_frame",
    "update_assessment",
]

TRACE_COLUMNS = [
    "trace_id",
    "trace",
    "client_request_id",
    "state",
    "request_time",
    "execution_duration",
    "request",
    "response",
    "trace_metadata",
    "tags",
    "spans",
    "assessments",
]
"""The columns of :func:`search_traces`' DataFrame (MLflow 3's)."""


def _store() -> TrackingStore:
    return _context.current_store()


def _experiment(store: TrackingStore) -> str:
    from evalkit.tracking.fluent import current_experiment_id

    return current_experiment_id(store)


def _active_run_id() -> str | None:
    stack = _context.run_stack()
    return stack[-1].info.run_id if stack else None


# -- the tracing sink --------------------------------------------------------------------------


def _capture() -> dict[str, str]:
    """Called by tracing in the app's thread when a trace ends: the active run, if any."""
    run_id = _active_run_id()
    return {SOURCE_RUN_METADATA_KEY: run_id} if run_id else {}


def _sink(traces: list[EncodedTrace], experiment_id: str | None) -> None:
    """Store exported traces (called by tracing's export thread, never by the app)."""
    store = _store()
    default = experiment_id or _experiment(store)
    for trace in traces:
        if trace.info.experiment_id is None:
            trace.info.experiment_id = default
    log_encoded = getattr(store, "log_encoded_traces", None)
    if log_encoded is not None:  # the SQL store's fast path: the spans' JSON as encoded
        log_encoded(traces)
    else:
        store.log_traces([trace.to_trace() for trace in traces])


_tracing.register_sink(_sink, capture=_capture)


# -- traces ------------------------------------------------------------------------------------


def log_traces(traces: Iterable[Trace], experiment_id: str | None = None) -> list[str]:
    """Store traces a program holds (e.g. from :func:`evalkit.tracing.collect_trace`).

    Args:
        traces: The traces; each keeps its own ``info.experiment_id`` if it has one.
        experiment_id: Where traces without one go (default: the active experiment). The
            active run, if any, is recorded in their metadata (``mlflow.sourceRun``).

    Returns:
        Their trace ids.

    Raises:
        DataError: A trace's spans are not one tree; nothing is stored.
    """
    store = _store()
    default = str(experiment_id) if experiment_id is not None else _experiment(store)
    run_id = _active_run_id()
    batch = list(traces)
    for trace in batch:
        if not isinstance(trace, Trace):
            raise DataError(f"log_traces takes evalkit.Trace objects, got {type(trace).__name__}")
        if trace.info.experiment_id is None:
            trace.info.experiment_id = default
        if run_id is not None:
            trace.info.trace_metadata.setdefault(SOURCE_RUN_METADATA_KEY, run_id)
        if not trace.info.request_time:
            trace.finish_info()
    store.log_traces(batch)
    return [t.info.trace_id for t in batch]


def get_trace(trace_id: str) -> Trace | None:
    """The stored trace with this id (spans, tags, metadata, assessments), or ``None``."""
    return _store().get_trace(trace_id)


def _experiment_ids(
    store: TrackingStore,
    experiment_ids: Sequence[str] | None,
    experiment_names: Sequence[str] | None,
) -> list[str]:
    ids = [str(i) for i in experiment_ids or []]
    for name in experiment_names or []:
        experiment = store.get_experiment_by_name(name)
        if experiment is None:
            raise TrackingError(f"no experiment named {name!r}")
        ids.append(experiment.experiment_id)
    if experiment_ids is None and experiment_names is None:
        ids = [_experiment(store)]
    return ids


def _with_model(filter_string: str | None, model_id: str | None) -> str | None:
    if model_id is None:
        return filter_string
    quoted = str(model_id).replace("'", "''")
    clause = f"metadata.`mlflow.modelId` = '{quoted}'"
    return f"{filter_string} AND {clause}" if filter_string else clause


def search_traces(
    experiment_ids: Sequence[str] | None = None,
    filter_string: str | None = None,
    max_results: int | None = None,
    order_by: list[str] | None = None,
    run_id: str | None = None,
    return_type: Literal["pandas", "list"] = "pandas",
    *,
    experiment_names: Sequence[str] | None = None,
    model_id: str | None = None,
    include_spans: bool = True,
) -> Any:
    """Find stored traces, as a DataFrame (default) or a list of :class:`Trace` (MLflow's).

    Every match is read into memory at once; to go through many traces (to evaluate 10,000
    of them, say) read them page by page with :func:`iter_traces` instead.

    Args:
        experiment_ids: The experiments to search (default: the active one).
        filter_string: MLflow's trace filter syntax, clauses joined by ``AND``:
            ``attributes.status = 'OK'``, ``attributes.timestamp_ms > 1700000000000``,
            ``attributes.execution_time_ms > 500``, ``trace.name = 'agent'``,
            ``tags.env = 'prod'``, ``metadata.`mlflow.trace.session` = 's1'``,
            ``attributes.run_id = '...'``; comparators ``= != < <= > >= LIKE ILIKE IN``.
        max_results: At most this many traces (default: all).
        order_by: e.g. ``["timestamp_ms DESC"]`` (the default), ``["execution_time_ms"]``,
            ``["tags.env"]``.
        run_id: Only traces logged in this run.
        return_type: ``"pandas"`` or ``"list"``.
        experiment_names: Or the experiments to search, by name.
        model_id: Only traces whose metadata ``mlflow.modelId`` is this (MLflow's
            ``search_traces(model_id=...)``).
        include_spans: ``False`` leaves the spans out (info, tags, metadata and
            assessments only; much less to read), as MLflow's ``include_spans``.

    Returns:
        With ``"pandas"``: one row per trace, columns :data:`TRACE_COLUMNS` (``trace`` holds
        the :class:`Trace`; ``request``/``response`` the root span's inputs/outputs;
        ``assessments`` a list of Feedback/Expectation).

    Raises:
        TrackingError: The filter does not parse or names an unknown attribute.
    """
    if return_type not in ("pandas", "list"):
        raise TrackingError(f"return_type must be 'pandas' or 'list', not {return_type!r}")
    store = _store()
    ids = _experiment_ids(store, experiment_ids, experiment_names)
    filter_string = _with_model(filter_string, model_id)
    traces = store.search_traces(
        ids, filter_string, max_results, order_by, run_id, include_spans=include_spans
    )
    return traces if return_type == "list" else traces_to_frame(traces)


def _page_token(offset: int) -> str:
    """The opaque token of the page that starts at match ``offset`` (MLflow's form: base64
    of a small JSON object)."""
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def _page_offset(token: str | None) -> int:
    """The match a page token starts at (0 for ``None``).

    Raises:
        TrackingError: The token was not made by :func:`_page_token`.
    """
    if token is None or token == "":
        return 0
    try:
        offset = json.loads(base64.urlsafe_b64decode(str(token).encode()))["offset"]
    except (ValueError, TypeError, KeyError):
        offset = None
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise TrackingError(
            f"page_token {str(token)[:40]!r} is not a token this search returned; pass the "
            "previous page's .token, or None for the first page"
        )
    return offset


def search_traces_page(
    experiment_ids: Sequence[str],
    filter_string: str | None = None,
    max_results: int = 100,
    order_by: list[str] | None = None,
    offset: int = 0,
    run_id: str | None = None,
    include_spans: bool = True,
    *,
    store: TrackingStore | None = None,
) -> tuple[list[Trace], bool]:
    """One page of matching traces: the ``max_results`` from match ``offset`` on, and
    whether more follow. What :meth:`MlflowClient.search_traces` (page tokens),
    :func:`iter_traces` and the UI's traces page are built on.

    Pages are cut by position among the matches, so the order must be one that traces
    logged meanwhile do not shift: oldest first (``["timestamp_ms ASC"]``) for a walk over
    traces still arriving.

    Raises:
        TrackingError: A bad filter, ``max_results`` under 1 or a negative ``offset``.
    """
    if isinstance(max_results, bool) or not isinstance(max_results, int) or max_results < 1:
        raise TrackingError(f"max_results must be a whole number, at least 1, got {max_results!r}")
    traces = (store or _store()).search_traces(
        experiment_ids,
        filter_string,
        max_results + 1,  # one more says whether there is a next page
        order_by,
        run_id,
        offset=offset,
        include_spans=include_spans,
    )
    return traces[:max_results], len(traces) > max_results


def iter_traces(
    experiment_ids: Sequence[str] | None = None,
    filter_string: str | None = None,
    order_by: list[str] | None = None,
    run_id: str | None = None,
    *,
    page_size: int = 500,
    experiment_names: Sequence[str] | None = None,
    model_id: str | None = None,
    include_spans: bool = True,
) -> Iterator[Trace]:
    """Stored traces one at a time, read from the store a page at a time.

    Memory holds one page (``page_size`` traces), however many match, so this is how to
    evaluate many stored traces: ``evaluate(data=iter_traces(...), scorers=...,
    chunk_size=1000)`` reads, scores and writes them chunk by chunk, and each score is still
    attached to its stored trace. The arguments are :func:`search_traces`'; the order is
    oldest first unless ``order_by`` says otherwise (so traces logged during the walk come
    at its end instead of shifting the pages).

    The filter is checked (and the experiments found) when this is called, not when the
    first trace is read.

    Example:
        >>> result = evalkit.evaluate(
        ...     data=evalkit.iter_traces(filter_string="tags.env = 'prod'"),
        ...     scorers=[answer_length], chunk_size=1000)

    Raises:
        TrackingError: The filter does not parse, an experiment name is unknown, or
            ``page_size`` is not at least 1.
    """
    if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
        raise TrackingError(f"page_size must be a whole number, at least 1, got {page_size!r}")
    store = _store()
    ids = _experiment_ids(store, experiment_ids, experiment_names)
    filter_string = _with_model(filter_string, model_id)
    order = list(order_by) if order_by else ["timestamp_ms ASC"]

    def page(offset: int) -> tuple[list[Trace], bool]:
        return search_traces_page(
            ids, filter_string, page_size, order, offset, run_id, include_spans, store=store
        )

    first = page(0)

    def walk(traces: list[Trace], more: bool) -> Iterator[Trace]:
        offset = 0
        while True:
            yield from traces
            if not more:
                return
            offset += page_size
            traces, more = page(offset)

    return walk(*first)


def traces_to_frame(traces: Sequence[Trace]) -> pd.DataFrame:
    """Traces as MLflow's ``search_traces`` DataFrame (columns :data:`TRACE_COLUMNS`)."""
    import pandas as pd

    records = []
    for trace in traces:
        info = trace.info
        root = trace.root
        records.append(
            {
                "trace_id": info.trace_id,
                "trace": trace,
                "client_request_id": info.client_request_id,
                "state": str(info.state),
                "request_time": info.request_time,
                "execution_duration": info.execution_duration,
                "request": root.inputs if root is not None else None,
                "response": root.outputs if root is not None else None,
                "trace_metadata": dict(info.trace_metadata),
                "tags": dict(info.tags),
                "spans": list(trace.data.spans),
                "assessments": list(info.assessments),
            }
        )
    return pd.DataFrame.from_records(records, columns=TRACE_COLUMNS)


def delete_traces(
    experiment_id: str,
    max_timestamp_millis: int | None = None,
    max_traces: int | None = None,
    trace_ids: Sequence[str] | None = None,
) -> int:
    """Delete traces of an experiment: those started at or before a time, or by id.

    Args:
        experiment_id: The experiment.
        max_timestamp_millis: Delete traces started at or before this time (ms).
        max_traces: At most this many (oldest first).
        trace_ids: Or exactly these traces.

    Returns:
        How many traces were deleted (with their spans, tags and assessments).
    """
    return _store().delete_traces(str(experiment_id), max_timestamp_millis, max_traces, trace_ids)


def set_trace_tag(trace_id: str, key: str, value: Any) -> None:
    """Set a tag on a stored trace (tags may change; metadata may not)."""
    _store().set_trace_tag(trace_id, key, value)


def delete_trace_tag(trace_id: str, key: str) -> None:
    """Delete a tag of a stored trace. Raises TrackingError if it has no such tag."""
    _store().delete_trace_tag(trace_id, key)


# -- assessments -------------------------------------------------------------------------------


def _human() -> AssessmentSource:
    from evalkit.tracking.fluent import current_user

    return AssessmentSource(source_type=AssessmentSourceType.HUMAN, source_id=current_user())


def log_assessment(trace_id: str, assessment: AnyAssessment) -> AnyAssessment:
    """Attach a :class:`Feedback` or :class:`Expectation` to a stored trace.

    Returns:
        The stored assessment, with its ``assessment_id`` and times.

    Raises:
        TrackingError: No trace has this id.
    """
    if not isinstance(assessment, Feedback | Expectation):
        raise TrackingError(
            f"log_assessment takes a Feedback or an Expectation, not {type(assessment).__name__}"
        )
    return _store().create_assessment(trace_id, assessment)


def log_feedback(
    trace_id: str,
    name: str = "feedback",
    value: Any = None,
    source: AssessmentSource | None = None,
    error: BaseException | AssessmentError | None = None,
    rationale: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    span_id: str | None = None,
) -> AnyAssessment:
    """Attach feedback (a judgement of the trace) to a stored trace: MLflow's ``log_feedback``.

    Args:
        trace_id: The trace.
        name: What is judged, e.g. ``"helpful"``.
        value: The judgement: a bool, number, string label, or a list/dict of them.
        source: Who judged; default ``HUMAN`` / the OS user.
        error: Instead of a value, why there is none.
        rationale: Why the value is what it is.
        metadata: Free-form details.
        span_id: The span judged, when only one step is.

    Returns:
        The stored :class:`Feedback` with its ``assessment_id``.
    """
    if value is None and error is None:
        raise TrackingError("log_feedback needs a value or an error")
    feedback = Feedback(
        name=name,
        value=value,
        source=source or _human(),
        error=error,  # type: ignore[arg-type]  # an exception is turned into an error
        rationale=rationale,
        metadata=dict(metadata or {}),
        span_id=span_id,
    )
    return log_assessment(trace_id, feedback)


def log_expectation(
    trace_id: str,
    name: str,
    value: Any,
    source: AssessmentSource | None = None,
    metadata: Mapping[str, Any] | None = None,
    span_id: str | None = None,
) -> AnyAssessment:
    """Attach an expectation (ground truth) to a stored trace: MLflow's ``log_expectation``.

    ``evaluate`` reads a trace's expectations as the row's ``expectations``.

    Returns:
        The stored :class:`Expectation` with its ``assessment_id``.
    """
    expectation = Expectation(
        name=name,
        value=value,
        source=source or _human(),
        metadata=dict(metadata or {}),
        span_id=span_id,
    )
    return log_assessment(trace_id, expectation)


def get_assessment(trace_id: str, assessment_id: str) -> AnyAssessment:
    """One assessment of a trace. Raises TrackingError if there is none with that id."""
    return _store().get_assessment(trace_id, assessment_id)


def update_assessment(
    trace_id: str, assessment_id: str, assessment: AnyAssessment | None = None, **changes: Any
) -> AnyAssessment:
    """Change an assessment: give a new Feedback/Expectation, or fields as keywords.

    Example:
        >>> evalkit.update_assessment(trace_id, a.assessment_id, value=False, rationale="wrong")
    """
    if assessment is not None:
        changes = {
            "name": assessment.name,
            "value": assessment.value,
            "metadata": dict(assessment.metadata or {}),
            **({"source": assessment.source} if assessment.source is not None else {}),
            **(
                {"rationale": assessment.rationale, "error": assessment.error}
                if isinstance(assessment, Feedback)
                else {}
            ),
            **changes,
        }
    if not changes:
        raise TrackingError("update_assessment: give the new assessment or fields to change")
    return _store().update_assessment(trace_id, assessment_id, changes)


def delete_assessment(trace_id: str, assessment_id: str) -> None:
    """Delete one assessment of a trace."""
    _store().delete_assessment(trace_id, assessment_id)


def attach_feedback(trace_id: str, feedbacks: Iterable[Feedback]) -> list[AnyAssessment]:
    """Attach the feedback an evaluation produced for a stored trace (for ``evaluate``).

    Feedback without a name, and any feedback when the trace is not stored, is skipped, so a
    judged row never fails because of its trace. The active run's id goes in each one's
    metadata (``mlflow.sourceRun``). One transaction.

    Returns:
        The stored assessments.
    """
    run_id = _active_run_id()
    items = []
    for feedback in feedbacks:
        if not isinstance(feedback, Feedback) or not feedback.name:
            continue
        metadata = dict(feedback.metadata or {})
        if run_id is not None:
            metadata.setdefault(SOURCE_RUN_METADATA_KEY, run_id)
        items.append(replace(feedback, trace_id=trace_id, metadata=metadata))
    return _store().log_assessments(items) if items else []
