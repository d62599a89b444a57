"""Evaluation datasets in the tracking store: rows, tags, records (upserted by inputs)."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from evalkit.entities.runs import DatasetInfo, now_ms
from evalkit.errors import TrackingError
from evalkit.tracking.filters import compare, parse_filter, parse_order_by
from evalkit.tracking.sql import schema as t
from evalkit.tracking.sql.engine import insert, upsert

if TYPE_CHECKING:
    from evalkit.tracking.sql.store import SqlStore

__all__ = [
    "create",
    "delete",
    "delete_tag",
    "get",
    "inputs_hash",
    "load_records",
    "merge",
    "search",
    "set_tags",
    "update_experiments",
]

_ATTRIBUTES: dict[str, tuple[str, bool]] = {
    "dataset_id": ("dataset_id", False),
    "name": ("name", False),
    "created_time": ("created_time", True),
    "last_update_time": ("last_update_time", True),
    "created_by": ("created_by", False),
    "last_updated_by": ("last_updated_by", False),
}


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def inputs_hash(inputs: Any) -> str:
    """The key records are upserted by: a hash of their canonical ``inputs``."""
    return hashlib.sha256(_canonical(inputs).encode()).hexdigest()


def _row_to_info(conn: sa.Connection, row: Mapping[str, Any]) -> DatasetInfo:
    dataset_id = row["dataset_id"]
    tags = conn.execute(
        sa.select(t.dataset_tags.c.key, t.dataset_tags.c.value).where(
            t.dataset_tags.c.dataset_id == dataset_id
        )
    ).all()
    experiments = conn.execute(
        sa.select(t.dataset_experiments.c.experiment_id)
        .where(t.dataset_experiments.c.dataset_id == dataset_id)
        .order_by(t.dataset_experiments.c.experiment_id)
    ).all()
    return DatasetInfo(
        dataset_id=row["dataset_id"],
        name=row["name"],
        tags={k: v for k, v in tags},
        experiment_ids=[str(e[0]) for e in experiments],
        created_time=row["created_time"],
        last_update_time=row["last_update_time"],
        created_by=row["created_by"],
        last_updated_by=row["last_updated_by"],
    )


def create(
    store: SqlStore,
    name: str,
    experiment_ids: Sequence[str],
    tags: Mapping[str, Any] | None,
    user: str | None,
) -> DatasetInfo:
    """Create an empty dataset; return its info. Raises TrackingError if the name is taken."""
    if not isinstance(name, str) or not name.strip():
        raise TrackingError(f"dataset name {name!r} is invalid: use a non-empty string")
    dataset_id = "d-" + uuid.uuid4().hex
    now = now_ms()
    for experiment_id in experiment_ids:
        if store.get_experiment(experiment_id) is None:
            raise TrackingError(f"create_dataset: no experiment with id {experiment_id!r}")
    try:
        with store.write() as conn:
            conn.execute(
                t.datasets.insert().values(
                    dataset_id=dataset_id,
                    name=name,
                    created_time=now,
                    last_update_time=now,
                    created_by=user,
                    last_updated_by=user,
                )
            )
            rows = [{"dataset_id": dataset_id, "experiment_id": int(e)} for e in experiment_ids]
            if rows:
                conn.execute(t.dataset_experiments.insert(), rows)
            tag_rows = [
                {"dataset_id": dataset_id, "key": str(k), "value": str(v)}
                for k, v in (tags or {}).items()
                if v is not None
            ]
            if tag_rows:
                conn.execute(t.dataset_tags.insert(), tag_rows)
    except sa.exc.IntegrityError:
        raise TrackingError(
            f"a dataset named {name!r} already exists; read it with get_dataset(name={name!r}) "
            "or pick another name"
        ) from None
    found = get(store, dataset_id=dataset_id)
    assert found is not None
    return found


def get(
    store: SqlStore, *, dataset_id: str | None = None, name: str | None = None
) -> DatasetInfo | None:
    """The dataset's info (without records), or ``None``."""
    column = t.datasets.c.dataset_id if dataset_id is not None else t.datasets.c.name
    with store.read() as conn:
        row = (
            conn.execute(sa.select(t.datasets).where(column == (dataset_id or name)))
            .mappings()
            .first()
        )
        return None if row is None else _row_to_info(conn, row)


def load_records(store: SqlStore, dataset_id: str) -> list[dict[str, Any]]:
    """The dataset's records, in the order they were first added."""
    with store.read() as conn:
        rows = conn.execute(
            sa.select(t.dataset_records.c.record)
            .where(t.dataset_records.c.dataset_id == dataset_id)
            .order_by(t.dataset_records.c.id)
        ).all()
    return [json.loads(r[0]) for r in rows]


def merge(
    store: SqlStore,
    dataset_id: str,
    records: Sequence[Mapping[str, Any]],
    merge_into: Callable[[dict[str, Any], Mapping[str, Any]], None],
    user: str | None,
) -> None:
    """Upsert ``records`` by inputs in one transaction; ``merge_into(current, new)`` merges."""
    now = now_ms()
    with store.write() as conn:
        locked = conn.execute(
            sa.select(t.datasets.c.dataset_id)
            .where(t.datasets.c.dataset_id == dataset_id)
            .with_for_update()  # PostgreSQL: merges of one dataset queue; SQLite locks anyway
        ).first()
        if locked is None:
            raise TrackingError(f"dataset {dataset_id!r} no longer exists")
        incoming: dict[str, dict[str, Any]] = {}
        for record in records:
            key = inputs_hash(record.get("inputs"))
            current = incoming.get(key)
            if current is None:
                incoming[key] = dict(record)
            else:
                merge_into(current, record)
        existing: dict[str, dict[str, Any]] = {}
        keys = list(incoming)
        for start in range(0, len(keys), 500):
            for key, text in conn.execute(
                sa.select(t.dataset_records.c.inputs_hash, t.dataset_records.c.record).where(
                    t.dataset_records.c.dataset_id == dataset_id,
                    t.dataset_records.c.inputs_hash.in_(keys[start : start + 500]),
                )
            ):
                existing[key] = json.loads(text)
        new_rows, updated_rows = [], []
        for key, record in incoming.items():
            if key in existing:
                merged = existing[key]
                merge_into(merged, record)
                updated_rows.append({"h": key, "record": _canonical(merged), "now": now})
            else:
                new_rows.append(
                    {
                        "dataset_id": dataset_id,
                        "inputs_hash": key,
                        "record": _canonical(record),
                        "created_time": now,
                        "last_update_time": now,
                    }
                )
        if new_rows:
            conn.execute(t.dataset_records.insert(), new_rows)
        if updated_rows:
            r = t.dataset_records
            conn.execute(
                r.update()
                .where(r.c.dataset_id == dataset_id, r.c.inputs_hash == sa.bindparam("h"))
                .values(record=sa.bindparam("record"), last_update_time=sa.bindparam("now")),
                updated_rows,
            )
        conn.execute(
            t.datasets.update()
            .where(t.datasets.c.dataset_id == dataset_id)
            .values(last_update_time=now, last_updated_by=user)
        )


def delete(store: SqlStore, dataset_id: str) -> None:
    """Delete a dataset with its records and tags (permanently)."""
    with store.write() as conn:
        for table in (t.dataset_records, t.dataset_tags, t.dataset_experiments, t.datasets):
            conn.execute(table.delete().where(table.c.dataset_id == dataset_id))


def _require(conn: sa.Connection, dataset_id: str) -> None:
    if (
        conn.execute(
            sa.select(t.datasets.c.dataset_id).where(t.datasets.c.dataset_id == dataset_id)
        ).first()
        is None
    ):
        raise TrackingError(f"no dataset with id {dataset_id!r}")


def set_tags(store: SqlStore, dataset_id: str, tags: Mapping[str, Any]) -> None:
    """Merge ``tags`` into the dataset's tags; a ``None`` value deletes that tag."""
    with store.write() as conn:
        _require(conn, dataset_id)
        rows = [
            {"dataset_id": dataset_id, "key": str(k), "value": str(v)}
            for k, v in tags.items()
            if v is not None
        ]
        upsert(conn, t.dataset_tags, rows, ("dataset_id", "key"))
        gone = [str(k) for k, v in tags.items() if v is None]
        if gone:
            conn.execute(
                t.dataset_tags.delete().where(
                    t.dataset_tags.c.dataset_id == dataset_id, t.dataset_tags.c.key.in_(gone)
                )
            )
        conn.execute(
            t.datasets.update()
            .where(t.datasets.c.dataset_id == dataset_id)
            .values(last_update_time=now_ms())
        )


def update_experiments(
    store: SqlStore, dataset_id: str, add: Sequence[str], remove: Sequence[str]
) -> DatasetInfo:
    """Link the dataset to ``add`` experiments and unlink it from ``remove`` ones."""
    for experiment_id in add:
        if store.get_experiment(str(experiment_id)) is None:
            raise TrackingError(
                f"add_dataset_to_experiments: no experiment with id {experiment_id!r}"
            )
    links = t.dataset_experiments
    with store.write() as conn:
        _require(conn, dataset_id)
        rows = [{"dataset_id": dataset_id, "experiment_id": int(e)} for e in add]
        if rows:
            stmt: Any = insert(conn, links)
            conn.execute(stmt.on_conflict_do_nothing(), rows)
        if remove:
            conn.execute(
                links.delete().where(
                    links.c.dataset_id == dataset_id,
                    links.c.experiment_id.in_([int(e) for e in remove if str(e).isdigit()]),
                )
            )
        conn.execute(
            t.datasets.update()
            .where(t.datasets.c.dataset_id == dataset_id)
            .values(last_update_time=now_ms())
        )
    found = get(store, dataset_id=dataset_id)
    assert found is not None
    return found


def delete_tag(store: SqlStore, dataset_id: str, key: str) -> None:
    """Delete one tag of the dataset (no error if it is not set)."""
    set_tags(store, dataset_id, {key: None})


def search(
    store: SqlStore,
    experiment_ids: Sequence[str] | None,
    filter_string: str | None,
    max_results: int | None,
    order_by: list[str] | None,
) -> list[DatasetInfo]:
    """Infos of the datasets that match, in order (default newest first)."""
    d = t.datasets
    query: Any = sa.select(d)
    if experiment_ids is not None:
        linked = sa.select(t.dataset_experiments.c.dataset_id).where(
            t.dataset_experiments.c.experiment_id.in_([int(e) for e in experiment_ids])
        )
        query = query.where(d.c.dataset_id.in_(linked))
    for clause in parse_filter(filter_string):
        where = f"filter_string clause on {clause.entity} {clause.key!r}"
        if clause.entity == "tag":
            exists = sa.select(sa.literal(1)).where(
                t.dataset_tags.c.dataset_id == d.c.dataset_id, t.dataset_tags.c.key == clause.key
            )
            if clause.op in ("IS NULL", "IS NOT NULL"):
                cond = exists.exists()
                query = query.where(~cond if clause.op == "IS NULL" else cond)
            else:
                cond = compare(t.dataset_tags.c.value, clause.op, clause.value, where)
                query = query.where(exists.where(cond).exists())
        elif clause.entity == "attribute" and clause.key in _ATTRIBUTES:
            column = d.c[_ATTRIBUTES[clause.key][0]]
            query = query.where(compare(column, clause.op, clause.value, where))
        else:
            raise TrackingError(
                f"{where}: datasets can be filtered by {', '.join(_ATTRIBUTES)} and tags.<key>"
            )
    ordering = []
    for order in parse_order_by(order_by) or parse_order_by(["created_time DESC"]):
        if order.entity != "attribute" or order.key not in _ATTRIBUTES:
            raise TrackingError(
                f"order_by {order.key!r}: datasets can be ordered by {', '.join(_ATTRIBUTES)}"
            )
        column = d.c[_ATTRIBUTES[order.key][0]]
        ordering.append(column.asc() if order.ascending else column.desc())
    query = query.order_by(*ordering, d.c.dataset_id)
    if max_results is not None:
        query = query.limit(max_results)
    with store.read() as conn:
        return [_row_to_info(conn, row) for row in conn.execute(query).mappings().all()]
