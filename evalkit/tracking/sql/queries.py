"""Searching runs: parsed filters and orderings turned into one SQL query."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from evalkit.entities.runs import LifecycleStage, Run, ViewType
from evalkit.errors import TrackingError
from evalkit.tracking.filters import Clause, OrderBy, compare, parse_filter, parse_order_by
from evalkit.tracking.sql import schema as t

if TYPE_CHECKING:
    from evalkit.tracking.sql.store import SqlStore

__all__ = ["latest_metrics", "search_experiments_query", "search_runs"]

_RUN_ATTRIBUTES: dict[str, tuple[str, bool]] = {  # name -> (column, numeric)
    "run_id": ("run_id", False),
    "run_uuid": ("run_id", False),
    "run_name": ("run_name", False),
    "status": ("status", False),
    "start_time": ("start_time", True),
    "end_time": ("end_time", True),
    "artifact_uri": ("artifact_uri", False),
    "lifecycle_stage": ("lifecycle_stage", False),
}


def _attribute(key: str, where: str) -> tuple[Any, bool]:
    found = _RUN_ATTRIBUTES.get(key)
    if found is None:
        raise TrackingError(
            f"{where}: unknown run attribute {key!r}; use one of {', '.join(_RUN_ATTRIBUTES)}, "
            "or metrics.<name>, params.<name>, tags.<name>"
        )
    return t.runs.c[found[0]], found[1]


def _condition(clause: Clause, latest: sa.Subquery) -> Any:
    where = f"filter_string clause on {clause.entity} {clause.key!r}"
    runs = t.runs
    if clause.entity == "attribute":
        column, numeric = _attribute(clause.key, where)
        if clause.op == "IS NULL":
            return column.is_(None)
        if clause.op == "IS NOT NULL":
            return column.is_not(None)
        if numeric != isinstance(clause.value, int | float) and clause.op not in ("IN", "NOT IN"):
            kind = "a number" if numeric else "a quoted string"
            raise TrackingError(f"{where}: {clause.key} compares with {kind}")
        return compare(column, clause.op, clause.value, where)
    if clause.entity == "metric":
        value_col: Any = latest.c.value
        table_run, table_key = latest.c.run_id, latest.c.key
        if clause.op not in ("IS NULL", "IS NOT NULL") and not isinstance(
            clause.value, int | float
        ):
            raise TrackingError(f"{where}: metrics compare with numbers, got {clause.value!r}")
        extra = [latest.c.is_nan == sa.false()]
    else:
        table = t.params if clause.entity == "param" else t.tags
        value_col, table_run, table_key = table.c.value, table.c.run_id, table.c.key
        if clause.op in ("<", "<=", ">", ">="):
            raise TrackingError(f"{where}: {clause.entity}s are strings; use =, !=, LIKE or IN")
        if isinstance(clause.value, int | float):
            raise TrackingError(f"{where}: {clause.entity} values are strings; quote the value")
        extra = []
    exists = sa.select(sa.literal(1)).where(table_run == runs.c.run_id, table_key == clause.key)
    if clause.op == "IS NULL":
        return ~exists.exists()
    if clause.op == "IS NOT NULL":
        return exists.exists()
    return exists.where(compare(value_col, clause.op, clause.value, where), *extra).exists()


def _order_column(order: OrderBy, query: Any, latest: sa.Subquery, n: int) -> tuple[Any, Any]:
    where = f"order_by {order.entity} {order.key!r}"
    if order.entity == "attribute":
        column, _ = _attribute(order.key, where)
        return column, query
    if order.entity == "metric":
        alias = latest.alias(f"order_{n}")
        query = query.outerjoin(
            alias, sa.and_(alias.c.run_id == t.runs.c.run_id, alias.c.key == order.key)
        )
        return alias.c.value, query
    table = (t.params if order.entity == "param" else t.tags).alias(f"order_{n}")
    query = query.outerjoin(
        table, sa.and_(table.c.run_id == t.runs.c.run_id, table.c.key == order.key)
    )
    return table.c.value, query


def search_runs(
    store: SqlStore,
    experiment_ids: Sequence[str],
    filter_string: str | None = None,
    run_view_type: ViewType | str = ViewType.ACTIVE_ONLY,
    max_results: int = 100_000,
    order_by: list[str] | None = None,
) -> list[Run]:
    """The runs of the experiments that match the filter, in order (syntax: ``filters``)."""

    clauses = parse_filter(filter_string)
    orders = parse_order_by(order_by)
    try:
        view = ViewType(str(run_view_type).upper())
    except ValueError:
        raise TrackingError(
            f"run_view_type {run_view_type!r} is not one of ACTIVE_ONLY, DELETED_ONLY, ALL"
        ) from None
    if max_results < 1:
        raise TrackingError(f"max_results must be at least 1, got {max_results}")
    ids = [int(i) for i in experiment_ids if str(i).isdigit()]
    runs = t.runs
    in_experiments = runs.c.experiment_id.in_(ids)
    latest = latest_metrics(t.metrics.c.run_id.in_(sa.select(runs.c.run_id).where(in_experiments)))
    query: Any = sa.select(runs.c.run_id).select_from(runs).where(in_experiments)
    if view == ViewType.ACTIVE_ONLY:
        query = query.where(runs.c.lifecycle_stage == LifecycleStage.ACTIVE.value)
    elif view == ViewType.DELETED_ONLY:
        query = query.where(runs.c.lifecycle_stage == LifecycleStage.DELETED.value)
    for clause in clauses:
        query = query.where(_condition(clause, latest))
    ordering = []
    for n, order in enumerate(orders):
        column, query = _order_column(order, query, latest, n)
        ordering.append(sa.nulls_last(column.asc() if order.ascending else column.desc()))
    if not any(o.entity == "attribute" and o.key == "start_time" for o in orders):
        ordering.append(runs.c.start_time.desc())
    ordering.append(runs.c.run_id.asc())
    query = query.order_by(*ordering).limit(max_results)
    with store.read() as conn:
        run_ids = [r[0] for r in conn.execute(query)]
        return store.load_runs(conn, run_ids)


def latest_metrics(where: Any = None) -> sa.Subquery:
    """A subquery of each (run, metric)'s latest value: highest step, then latest time."""
    m = t.metrics
    rank = (
        sa.func.row_number()
        .over(
            partition_by=(m.c.run_id, m.c.key),
            order_by=(m.c.step.desc(), m.c.timestamp.desc(), m.c.id.desc()),
        )
        .label("rank")
    )
    ranked = sa.select(m.c.run_id, m.c.key, m.c.value, m.c.is_nan, rank)
    if where is not None:
        ranked = ranked.where(where)
    sub = ranked.subquery()
    return (
        sa.select(sub.c.run_id, sub.c.key, sub.c.value, sub.c.is_nan)
        .where(sub.c.rank == 1)
        .subquery("latest_metrics")
    )


_EXPERIMENT_ATTRIBUTES = ("experiment_id", "name", "creation_time", "last_update_time")


def search_experiments_query(
    view_type: ViewType | str, filter_string: str | None, order_by: list[str] | None
) -> Any:
    """A SELECT of the experiments matching the filter, in order (default: oldest first)."""
    e = t.experiments
    try:
        view = ViewType(str(view_type).upper())
    except ValueError:
        raise TrackingError(
            f"view_type {view_type!r} is not one of ACTIVE_ONLY, DELETED_ONLY, ALL"
        ) from None
    query: Any = sa.select(e)
    if view == ViewType.ACTIVE_ONLY:
        query = query.where(e.c.lifecycle_stage == LifecycleStage.ACTIVE.value)
    elif view == ViewType.DELETED_ONLY:
        query = query.where(e.c.lifecycle_stage == LifecycleStage.DELETED.value)
    known = ", ".join(_EXPERIMENT_ATTRIBUTES)
    for clause in parse_filter(filter_string):
        where = f"filter_string clause on {clause.entity} {clause.key!r}"
        if clause.entity == "tag":
            tags = t.experiment_tags
            exists = sa.select(sa.literal(1)).where(
                tags.c.experiment_id == e.c.experiment_id, tags.c.key == clause.key
            )
            if clause.op in ("IS NULL", "IS NOT NULL"):
                cond = exists.exists()
                query = query.where(~cond if clause.op == "IS NULL" else cond)
            else:
                cond = compare(tags.c.value, clause.op, clause.value, where)
                query = query.where(exists.where(cond).exists())
        elif clause.entity == "attribute" and clause.key in _EXPERIMENT_ATTRIBUTES:
            value = clause.value
            if clause.key == "experiment_id":
                value = [int(v) for v in value] if isinstance(value, list) else int(value)
            query = query.where(compare(e.c[clause.key], clause.op, value, where))
        else:
            raise TrackingError(f"{where}: experiments can be filtered by {known} and tags.<key>")
    ordering = []
    for order in parse_order_by(order_by):
        if order.entity != "attribute" or order.key not in _EXPERIMENT_ATTRIBUTES:
            raise TrackingError(f"order_by {order.key!r}: experiments can be ordered by {known}")
        column = e.c[order.key]
        ordering.append(column.asc() if order.ascending else column.desc())
    return query.order_by(*ordering, e.c.experiment_id.asc())
