"""Traces and assessments in the SQL store.

Layout (migration ``0003_traces``): ``trace_info`` (one row per trace: the columns searches
filter and order on), ``trace_spans`` (the spans of a trace as one JSON document -- traces are
written and read whole, and a search reads the spans of the traces it returns only),
``trace_tags`` and ``trace_metadata`` (key/value rows), ``assessments`` (one row per feedback
or expectation).

Payload limit: each span field (``inputs``, ``outputs``, ``attributes``, ``events``) is kept
up to :data:`MAX_SPAN_FIELD_CHARS` characters of JSON. A larger field is stored as a string:
its first :data:`MAX_SPAN_FIELD_CHARS` characters of JSON followed by
``"... [truncated by evalkit: <n> characters, limit <limit>]"``, and the span's attribute
``evalkit.truncated`` lists the fields cut. Nothing else of the trace is lost.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import orjson
import sqlalchemy as sa

from evalkit.entities.assessments import (
    AnyAssessment,
    AssessmentError,
    AssessmentSource,
    AssessmentSourceType,
    Expectation,
    Feedback,
)
from evalkit.entities.runs import now_ms
from evalkit.entities.trace import (
    SOURCE_RUN_METADATA_KEY,
    EncodedTrace,
    Span,
    Trace,
    TraceData,
    TraceInfo,
    TraceState,
    encode_spans,
)
from evalkit.errors import DataError, TrackingError
from evalkit.tracking.filters import (
    TRACE_ENTITIES,
    Clause,
    OrderBy,
    compare,
    parse_filter,
    parse_order_by,
)
from evalkit.tracking.sql import schema as t

if TYPE_CHECKING:
    from evalkit.tracking.sql.store import SqlStore

__all__ = [
    "MAX_SPAN_FIELD_CHARS",
    "create_assessment",
    "delete_assessment",
    "delete_trace_tag",
    "delete_traces",
    "get_assessment",
    "get_traces",
    "log_assessments",
    "log_encoded_traces",
    "log_traces",
    "search_traces",
    "set_trace_tag",
    "update_assessment",
]

MAX_SPAN_FIELD_CHARS = 1_000_000
"""A span's inputs, outputs, attributes or events are kept up to this many characters of JSON."""
MAX_TAG_VALUE_CHARS = 8000
"""Trace tags and metadata values are kept up to this many characters."""
_SPAN_FIELDS = ("inputs", "outputs", "attributes", "events")

_ATTRIBUTES: dict[str, tuple[str, bool]] = {  # filter name -> (trace_info column, numeric)
    "trace_id": ("trace_id", False),
    "request_id": ("trace_id", False),
    "status": ("state", False),
    "state": ("state", False),
    "timestamp_ms": ("request_time", True),
    "timestamp": ("request_time", True),
    "request_time": ("request_time", True),
    "execution_time_ms": ("execution_duration", True),
    "execution_time": ("execution_duration", True),
    "execution_duration": ("execution_duration", True),
    "name": ("name", False),
    "run_id": ("run_id", False),
    "client_request_id": ("client_request_id", False),
}


# -- writing -----------------------------------------------------------------------------------


def _cap(value: Any, limit: int) -> tuple[Any, bool]:
    text = json.dumps(value, default=str, ensure_ascii=False)
    if len(text) <= limit:
        return value, False
    marker = f"... [truncated by evalkit: {len(text)} characters, limit {limit}]"
    return text[:limit] + marker, True


def span_record(span: Span, limit: int = MAX_SPAN_FIELD_CHARS) -> dict[str, Any]:
    """A span as stored: :meth:`Span.to_dict` with each field capped at ``limit`` characters."""
    return _capped(span.to_dict(), limit)


def _capped(record: dict[str, Any], limit: int) -> dict[str, Any]:
    """A JSON-ready span record with each payload field capped at ``limit`` characters."""
    record = dict(record)
    cut = []
    for name in _SPAN_FIELDS:
        if name in record:
            record[name], truncated = _cap(record[name], limit)
            if truncated:
                cut.append(name)
    if cut:
        attributes = record.get("attributes")
        attributes = attributes if isinstance(attributes, dict) else {}
        record["attributes"] = {**attributes, "evalkit.truncated": cut}
    return record


def spans_json(spans: Sequence[Span], limit: int = MAX_SPAN_FIELD_CHARS) -> str:
    """The spans of a trace as stored: a JSON list of :func:`span_record`.

    One encode of the whole trace when it is small (the usual case: no field can exceed
    ``limit`` if the whole does not); field by field, capped, otherwise.
    """
    text = encode_spans(spans).decode()
    if len(text) <= limit:
        return text
    return json.dumps([span_record(s, limit) for s in spans], ensure_ascii=False)


def _encoded_spans_json(trace: EncodedTrace, limit: int = MAX_SPAN_FIELD_CHARS) -> str:
    """:func:`spans_json` for a trace the exporter encoded: its text, or capped field by field."""
    if len(trace.spans_json) <= limit:
        return trace.spans_json
    return json.dumps([_capped(s, limit) for s in trace.spans], ensure_ascii=False)


def _experiment_ids(conn: sa.Connection) -> set[int]:
    return {r[0] for r in conn.execute(sa.select(t.experiments.c.experiment_id))}


def _text(value: Any, what: str) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    if len(text) > MAX_TAG_VALUE_CHARS:
        raise TrackingError(
            f"{what} is {len(text)} characters long; trace tags and metadata hold at most "
            f"{MAX_TAG_VALUE_CHARS}. Put long values in a span's attributes instead"
        )
    return text


def _key(key: Any, what: str) -> str:
    if not isinstance(key, str) or not key or len(key) > 250:
        raise TrackingError(f"{what} key {key!r:.80} is invalid: use a non-empty string of <= 250")
    return key


def log_traces(store: SqlStore, traces: Sequence[Trace]) -> None:
    """Store whole traces in one transaction (a trace id stored before is replaced).

    Every trace is checked first (:meth:`Trace.validate`, an experiment id that exists);
    a bad one raises before anything is written.

    Raises:
        DataError: A trace's spans are not one tree (cycle, unknown parent, no span id).
        TrackingError: A trace names no experiment, or one that does not exist.
    """
    rows: list[_Row] = []
    for trace in traces:
        if not isinstance(trace, Trace):
            raise DataError(f"log_traces takes Trace objects, got {type(trace).__name__}")
        trace.validate()
        if trace.info.experiment_id is None:
            raise TrackingError(f"trace {trace.info.trace_id}: no experiment_id to store it in")
        root = trace.root
        rows.append(
            (
                trace.info,
                spans_json(trace.data.spans),
                root.name if root is not None else None,
                len(trace.data.spans),
            )
        )
    _write(store, rows)


def log_encoded_traces(store: SqlStore, traces: Sequence[EncodedTrace]) -> None:
    """Store traces the exporter encoded (already checked), in one transaction.

    The fast path of :func:`log_traces` for :mod:`evalkit.tracing`'s export thread: the spans'
    JSON is stored as it is (capped field by field only when it exceeds the limit).

    Raises:
        TrackingError: A trace names no experiment, or one that does not exist.
    """
    _write(
        store,
        [(tr.info, _encoded_spans_json(tr), tr.root_name, tr.span_count) for tr in traces],
    )


_Row = tuple[TraceInfo, str, "str | None", int]
"""One trace to insert: its info, its spans' JSON, its root span's name, its span count."""


def _write(store: SqlStore, rows: list[_Row]) -> None:
    for info, _, _, _ in rows:
        if info.experiment_id is None:
            raise TrackingError(f"trace {info.trace_id}: no experiment_id to store it in")
    if not rows:
        return
    with store.write() as conn:
        known = _experiment_ids(conn)
        for info, _, _, _ in rows:
            eid = info.experiment_id
            if not str(eid).isdigit() or int(str(eid)) not in known:
                raise TrackingError(f"trace {info.trace_id}: no experiment with id {eid!r}")
        ids = [info.trace_id for info, _, _, _ in rows]
        conn.execute(t.trace_info.delete().where(t.trace_info.c.trace_id.in_(ids)))
        _insert(conn, rows)


_INFO_COLUMNS = (
    "trace_id",
    "experiment_id",
    "request_time",
    "execution_duration",
    "state",
    "name",
    "client_request_id",
    "request_preview",
    "response_preview",
    "run_id",
    "span_count",
)


def _insert(conn: sa.Connection, rows: list[_Row]) -> None:
    infos, spans, tags, metadata = [], [], [], []
    assessments: list[dict[str, Any]] = []
    for info, spans_text, root_name, span_count in rows:
        trace_id = info.trace_id
        infos.append(
            (
                trace_id,
                int(str(info.experiment_id)),
                int(info.request_time or 0),
                info.execution_duration,
                str(info.state),
                root_name[:250] if root_name is not None else None,
                info.client_request_id,
                info.request_preview,
                info.response_preview,
                info.trace_metadata.get(SOURCE_RUN_METADATA_KEY),
                span_count,
            )
        )
        spans.append((trace_id, spans_text))
        if info.tags:
            tags += [(trace_id, _key(k, "trace tag"), _text(v, k)) for k, v in info.tags.items()]
        if info.trace_metadata:
            metadata += [
                (trace_id, _key(k, "trace metadata"), _text(v, k))
                for k, v in info.trace_metadata.items()
            ]
        if info.assessments:
            assessments += [_assessment_row(trace_id, a) for a in info.assessments]
    _insert_many(conn, t.trace_info, _INFO_COLUMNS, infos)
    _insert_many(conn, t.trace_spans, ("trace_id", "spans"), spans)
    _insert_many(conn, t.trace_tags, ("trace_id", "key", "value"), tags)
    _insert_many(conn, t.trace_metadata, ("trace_id", "key", "value"), metadata)
    if assessments:
        conn.execute(t.assessments.insert(), assessments)


_MARKS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


def _insert_many(
    conn: sa.Connection, table: sa.Table, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    """``INSERT`` many rows of plain values through the driver's ``executemany``.

    Not ``conn.execute(table.insert(), dicts)``: SQLAlchemy's per-row parameter processing
    was half of the trace export thread's writing time (~4 us a row; these columns need no
    type conversion). Other parameter styles take SQLAlchemy's path.
    """
    if not rows:
        return
    mark = _MARKS.get(conn.dialect.paramstyle)
    if mark is None:
        conn.execute(table.insert(), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    quote = conn.dialect.identifier_preparer.quote
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({', '.join([mark] * len(columns))})"
    )
    conn.exec_driver_sql(sql, rows)


def _new_assessment_id() -> str:
    """``a-<time in ns, hex><random>``: ids sort in the order they were made, so assessments
    logged within one millisecond still come back in the order they were logged."""
    return f"a-{time.time_ns():016x}{uuid.uuid4().hex[:16]}"


def _assessment_row(trace_id: str, a: AnyAssessment) -> dict[str, Any]:
    if not isinstance(a, Feedback | Expectation):
        raise DataError(f"an assessment is a Feedback or an Expectation, not {type(a).__name__}")
    if not a.name:
        raise DataError(f"trace {trace_id}: an assessment needs a name")
    now = now_ms()
    source = a.source or AssessmentSource(source_type=AssessmentSourceType.CODE)
    error = None
    if isinstance(a, Feedback) and a.error is not None:
        error = json.dumps(
            {"error_code": a.error.error_code, "error_message": a.error.error_message}
        )
    return {
        "assessment_id": a.assessment_id or _new_assessment_id(),
        "trace_id": trace_id,
        "name": _key(a.name, "assessment"),
        "kind": "expectation" if isinstance(a, Expectation) else "feedback",
        "value": json.dumps(a.value, default=str, ensure_ascii=False),
        "error": error,
        "rationale": a.rationale,
        "source_type": str(source.source_type),
        "source_id": source.source_id,
        "span_id": a.span_id,
        "run_id": (a.metadata or {}).get(SOURCE_RUN_METADATA_KEY),
        "metadata": json.dumps(dict(a.metadata or {}), default=str, ensure_ascii=False),
        "create_time_ms": a.create_time_ms or now,
        "last_update_time_ms": a.last_update_time_ms or a.create_time_ms or now,
    }


# -- reading -----------------------------------------------------------------------------------


def _assessment(row: Any) -> AnyAssessment:
    common: dict[str, Any] = {
        "name": row["name"],
        "source": AssessmentSource(
            source_type=AssessmentSourceType(row["source_type"]), source_id=row["source_id"]
        ),
        "metadata": json.loads(row["metadata"]) if row["metadata"] else {},
        "trace_id": row["trace_id"],
        "assessment_id": row["assessment_id"],
        "span_id": row["span_id"],
        "create_time_ms": row["create_time_ms"],
        "last_update_time_ms": row["last_update_time_ms"],
    }
    value = json.loads(row["value"]) if row["value"] is not None else None
    if row["kind"] == "expectation":
        return Expectation(value=value, **common)
    error = json.loads(row["error"]) if row["error"] else None
    return Feedback(
        value=value,
        rationale=row["rationale"],
        error=AssessmentError(**error) if error else None,
        **common,
    )


def get_traces(
    conn: sa.Connection, trace_ids: Sequence[str], include_spans: bool = True
) -> list[Trace]:
    """The traces with these ids, in the order given (ids not stored are left out); without
    their spans when ``include_spans`` is false (info, tags, metadata, assessments only)."""
    if not trace_ids:
        return []
    found: dict[str, Trace] = {}
    tags: dict[str, dict[str, str]] = {}
    metadata: dict[str, dict[str, str]] = {}
    assessments: dict[str, list[AnyAssessment]] = {}
    for chunk_start in range(0, len(trace_ids), 500):  # keep IN lists small
        chunk = list(trace_ids[chunk_start : chunk_start + 500])
        for row in conn.execute(
            sa.select(t.trace_tags).where(t.trace_tags.c.trace_id.in_(chunk))
        ).mappings():
            tags.setdefault(row["trace_id"], {})[row["key"]] = row["value"]
        for row in conn.execute(
            sa.select(t.trace_metadata).where(t.trace_metadata.c.trace_id.in_(chunk))
        ).mappings():
            metadata.setdefault(row["trace_id"], {})[row["key"]] = row["value"]
        for row in conn.execute(
            sa.select(t.assessments)
            .where(t.assessments.c.trace_id.in_(chunk))
            .order_by(t.assessments.c.create_time_ms, t.assessments.c.assessment_id)
        ).mappings():
            assessments.setdefault(row["trace_id"], []).append(_assessment(row))
        if include_spans:
            query = (
                sa.select(t.trace_info, t.trace_spans.c.spans)
                .join(t.trace_spans, t.trace_spans.c.trace_id == t.trace_info.c.trace_id)
                .where(t.trace_info.c.trace_id.in_(chunk))
            )
        else:
            query = sa.select(t.trace_info).where(t.trace_info.c.trace_id.in_(chunk))
        for row in conn.execute(query).mappings():
            tid = row["trace_id"]
            info = TraceInfo(
                trace_id=tid,
                experiment_id=str(row["experiment_id"]),
                request_time=row["request_time"],
                execution_duration=row["execution_duration"],
                state=TraceState(row["state"]),
                request_preview=row["request_preview"],
                response_preview=row["response_preview"],
                client_request_id=row["client_request_id"],
                trace_metadata=metadata.get(tid, {}),
                tags=tags.get(tid, {}),
                assessments=assessments.get(tid, []),
            )
            spans = [Span.from_dict(s) for s in orjson.loads(row["spans"])] if include_spans else []
            found[tid] = Trace(info=info, data=TraceData(spans=spans))
    return [found[i] for i in trace_ids if i in found]


def _condition(clause: Clause) -> Any:
    where = f"filter_string clause on {clause.entity} {clause.key!r}"
    info = t.trace_info
    if clause.entity == "attribute":
        found = _ATTRIBUTES.get(clause.key.removeprefix("trace.").lower())
        if found is None:
            raise TrackingError(
                f"{where}: unknown trace attribute {clause.key!r}; use one of "
                f"{', '.join(_ATTRIBUTES)}, or tags.<key>, metadata.<key>"
            )
        column: Any = info.c[found[0]]
        numeric = found[1]
        if clause.op == "IS NULL":
            return column.is_(None)
        if clause.op == "IS NOT NULL":
            return column.is_not(None)
        value = clause.value
        if found[0] == "state" and isinstance(value, str):
            value = value.upper()
        elif found[0] == "state" and isinstance(value, list):
            value = [str(v).upper() for v in value]
        if numeric != isinstance(value, int | float) and clause.op not in ("IN", "NOT IN"):
            kind = "a number" if numeric else "a quoted string"
            raise TrackingError(f"{where}: {clause.key} compares with {kind}")
        return compare(column, clause.op, value, where)
    table = t.trace_tags if clause.entity == "tag" else t.trace_metadata
    if clause.op in ("<", "<=", ">", ">="):
        raise TrackingError(f"{where}: {clause.entity} values are strings; use =, !=, LIKE or IN")
    if isinstance(clause.value, int | float):
        raise TrackingError(f"{where}: {clause.entity} values are strings; quote the value")
    exists = sa.select(sa.literal(1)).where(
        table.c.trace_id == info.c.trace_id, table.c.key == clause.key
    )
    if clause.op == "IS NULL":
        return ~exists.exists()
    if clause.op == "IS NOT NULL":
        return exists.exists()
    return exists.where(compare(table.c.value, clause.op, clause.value, where)).exists()


def _order_column(order: OrderBy, query: Any, n: int) -> tuple[Any, Any]:
    where = f"order_by {order.entity} {order.key!r}"
    if order.entity == "attribute":
        found = _ATTRIBUTES.get(order.key.removeprefix("trace.").lower())
        if found is None:
            raise TrackingError(
                f"{where}: unknown trace attribute; use one of {', '.join(_ATTRIBUTES)}"
            )
        return t.trace_info.c[found[0]], query
    table = (t.trace_tags if order.entity == "tag" else t.trace_metadata).alias(f"order_{n}")
    query = query.outerjoin(
        table, sa.and_(table.c.trace_id == t.trace_info.c.trace_id, table.c.key == order.key)
    )
    return table.c.value, query


def search_trace_ids(
    conn: sa.Connection,
    experiment_ids: Sequence[str],
    filter_string: str | None = None,
    max_results: int | None = None,
    order_by: list[str] | None = None,
    run_id: str | None = None,
    offset: int = 0,
) -> list[str]:
    """The ids of the traces that match, in order (default newest first), skipping the
    first ``offset`` of them."""
    clauses = parse_filter(filter_string, TRACE_ENTITIES)
    orders = parse_order_by(order_by, TRACE_ENTITIES)
    if max_results is not None and max_results < 1:
        raise TrackingError(f"max_results must be at least 1, got {max_results}")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise TrackingError(f"the offset must be a whole number, at least 0, got {offset!r}")
    info = t.trace_info
    ids = [int(i) for i in experiment_ids if str(i).isdigit()]
    query: Any = sa.select(info.c.trace_id).select_from(info)
    query = query.where(info.c.experiment_id.in_(ids))
    if run_id is not None:
        query = query.where(info.c.run_id == run_id)
    for clause in clauses:
        query = query.where(_condition(clause))
    ordering = []
    for n, order in enumerate(orders):
        column, query = _order_column(order, query, n)
        ordering.append(sa.nulls_last(column.asc() if order.ascending else column.desc()))
    ordering += [info.c.request_time.desc(), info.c.trace_id.asc()]
    query = query.order_by(*ordering)
    if max_results is not None:
        query = query.limit(max_results)
    if offset:
        query = query.offset(offset)
    return [r[0] for r in conn.execute(query)]


def search_traces(
    store: SqlStore,
    experiment_ids: Sequence[str],
    filter_string: str | None = None,
    max_results: int | None = None,
    order_by: list[str] | None = None,
    run_id: str | None = None,
    *,
    offset: int = 0,
    include_spans: bool = True,
) -> list[Trace]:
    """The traces of the experiments that match the filter, in order, in one snapshot
    (from the ``offset``-th match on; without spans unless ``include_spans``)."""
    with store.read() as conn:
        ids = search_trace_ids(
            conn, experiment_ids, filter_string, max_results, order_by, run_id, offset
        )
        return get_traces(conn, ids, include_spans)


def delete_traces(
    store: SqlStore,
    experiment_id: str,
    max_timestamp_millis: int | None = None,
    max_traces: int | None = None,
    trace_ids: Sequence[str] | None = None,
) -> int:
    """Delete traces of an experiment (older than a time, or by id); return how many."""
    if (max_timestamp_millis is None) == (trace_ids is None):
        raise TrackingError("delete_traces needs exactly one of max_timestamp_millis, trace_ids")
    info = t.trace_info
    if not str(experiment_id).isdigit():
        raise TrackingError(f"no experiment with id {experiment_id!r}")
    query: Any = sa.select(info.c.trace_id).where(info.c.experiment_id == int(experiment_id))
    if trace_ids is not None:
        query = query.where(info.c.trace_id.in_(list(trace_ids)))
    else:
        query = query.where(info.c.request_time <= max_timestamp_millis)
    query = query.order_by(info.c.request_time.asc())
    if max_traces is not None:
        query = query.limit(max_traces)
    with store.write() as conn:
        ids = [r[0] for r in conn.execute(query)]
        for start in range(0, len(ids), 500):
            conn.execute(info.delete().where(info.c.trace_id.in_(ids[start : start + 500])))
    return len(ids)


def _require(conn: sa.Connection, trace_id: str) -> None:
    found = conn.execute(
        sa.select(t.trace_info.c.trace_id).where(t.trace_info.c.trace_id == trace_id)
    ).first()
    if found is None:
        raise TrackingError(f"no trace with id {trace_id!r}")


def set_trace_tag(store: SqlStore, trace_id: str, key: str, value: Any) -> None:
    """Set (or overwrite) one tag of a stored trace."""
    from evalkit.tracking.sql.engine import upsert

    row = {"trace_id": trace_id, "key": _key(key, "trace tag"), "value": _text(value, key)}
    with store.write() as conn:
        _require(conn, trace_id)
        upsert(conn, t.trace_tags, [row], ["trace_id", "key"])


def delete_trace_tag(store: SqlStore, trace_id: str, key: str) -> None:
    """Delete one tag of a stored trace (raises if the trace or the tag does not exist)."""
    with store.write() as conn:
        _require(conn, trace_id)
        done = conn.execute(
            t.trace_tags.delete().where(
                t.trace_tags.c.trace_id == trace_id, t.trace_tags.c.key == key
            )
        )
        if done.rowcount == 0:
            raise TrackingError(f"trace {trace_id!r} has no tag {key!r}")


# -- assessments -------------------------------------------------------------------------------


def create_assessment(store: SqlStore, trace_id: str, assessment: AnyAssessment) -> AnyAssessment:
    """Attach an assessment to a stored trace; return it with its id and times."""
    row = _assessment_row(trace_id, replace(assessment, assessment_id=None))
    with store.write() as conn:
        _require(conn, trace_id)
        conn.execute(t.assessments.insert().values(**row))
    return _assessment(row)


def log_assessments(store: SqlStore, assessments: Sequence[AnyAssessment]) -> list[AnyAssessment]:
    """Attach many assessments (each names its ``trace_id``) in one transaction; those whose
    trace is not stored are skipped. Returns the stored ones, with ids and times."""
    wanted = [a for a in assessments if a.trace_id]
    if not wanted:
        return []
    rows = [_assessment_row(str(a.trace_id), replace(a, assessment_id=None)) for a in wanted]
    ids = sorted({r["trace_id"] for r in rows})
    with store.write() as conn:
        known: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            known.update(
                r[0]
                for r in conn.execute(
                    sa.select(t.trace_info.c.trace_id).where(t.trace_info.c.trace_id.in_(chunk))
                )
            )
        rows = [r for r in rows if r["trace_id"] in known]
        if rows:
            conn.execute(t.assessments.insert(), rows)
    return [_assessment(r) for r in rows]


def get_assessment(store: SqlStore, trace_id: str, assessment_id: str) -> AnyAssessment:
    """One assessment of a trace. Raises TrackingError if there is none with that id."""
    with store.read() as conn:
        row = (
            conn.execute(
                sa.select(t.assessments).where(
                    t.assessments.c.trace_id == trace_id,
                    t.assessments.c.assessment_id == assessment_id,
                )
            )
            .mappings()
            .first()
        )
    if row is None:
        raise TrackingError(f"trace {trace_id!r} has no assessment {assessment_id!r}")
    return _assessment(row)


def update_assessment(
    store: SqlStore, trace_id: str, assessment_id: str, changes: Mapping[str, Any]
) -> AnyAssessment:
    """Change fields of an assessment (``value``, ``rationale``, ``metadata``, ``name``...)."""
    current = get_assessment(store, trace_id, assessment_id)
    allowed = {"name", "value", "rationale", "metadata", "source", "error", "span_id"}
    unknown = set(changes) - allowed
    if unknown:
        raise TrackingError(
            f"update_assessment cannot change {sorted(unknown)}; it changes {sorted(allowed)}"
        )
    if isinstance(current, Expectation) and {"rationale", "error"} & set(changes):
        raise TrackingError("an expectation has no rationale or error to change")
    updated = replace(current, **dict(changes), last_update_time_ms=now_ms())
    row = _assessment_row(trace_id, updated)
    with store.write() as conn:
        conn.execute(
            t.assessments.update()
            .where(t.assessments.c.assessment_id == assessment_id)
            .values(**{k: v for k, v in row.items() if k not in ("assessment_id", "trace_id")})
        )
    return _assessment(row)


def delete_assessment(store: SqlStore, trace_id: str, assessment_id: str) -> None:
    """Delete one assessment of a trace. Raises TrackingError if there is none with that id."""
    with store.write() as conn:
        done = conn.execute(
            t.assessments.delete().where(
                t.assessments.c.trace_id == trace_id,
                t.assessments.c.assessment_id == assessment_id,
            )
        )
        if done.rowcount == 0:
            raise TrackingError(f"trace {trace_id!r} has no assessment {assessment_id!r}")
