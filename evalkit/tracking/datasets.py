"""Evaluation datasets: named collections of records that ``evaluate`` accepts directly.

An :class:`EvaluationDataset` lives in memory, or in the tracking store when made with
:func:`create_dataset` (MLflow's ``mlflow.genai.datasets`` API): then ``merge_records``
writes to the store, and :func:`get_dataset` reads it back in any process.

Example:
    >>> ds = create_dataset("support_qa_v1", tags={"team": "ml"})
    >>> ds.merge_records([{"inputs": {"q": "2+2?"}, "expectations": {"a": "4"}}])
    >>> evalkit.evaluate(data=get_dataset(dataset_id=ds.dataset_id), scorers=[...])
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from evalkit.entities.runs import DatasetInfo
from evalkit.errors import DataError, TrackingError
from evalkit.tracking import _context

if TYPE_CHECKING:
    import pandas as pd

    from evalkit.tracking.store import TrackingStore

__all__ = [
    "EvaluationDataset",
    "add_dataset_to_experiments",
    "create_dataset",
    "delete_dataset",
    "delete_dataset_tag",
    "get_dataset",
    "remove_dataset_from_experiments",
    "search_datasets",
    "set_dataset_tags",
]

SCHEMA_VERSION = "1.0"
"""The version written in :attr:`EvaluationDataset.schema`."""
_RECORD_FIELDS = ("inputs", "outputs", "expectations", "tags")
_TO_DICT_KEYS = (
    "dataset_id",
    "name",
    "digest",
    "source_type",
    "source",
    "schema",
    "profile",
    "tags",
    "created_time",
    "last_update_time",
    "created_by",
    "last_updated_by",
    "experiment_ids",
    "records",
)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _merge_into(current: dict[str, Any], record: Mapping[str, Any]) -> None:
    """Update ``current`` with ``record``: dict fields are merged key by key, others replaced."""
    for field, value in record.items():
        if isinstance(value, Mapping) and isinstance(current.get(field), Mapping):
            current[field] = {**current[field], **value}
        else:
            current[field] = value


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, list | tuple):
        return "array"
    return type(value).__name__


def _schema_of(records: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Field -> key -> type name (dict fields), or field -> type name; types seen first win,
    a key whose types differ across records is ``"mixed"``."""
    schema: dict[str, Any] = {}
    for record in records:
        for field in _RECORD_FIELDS:
            if field not in record:
                continue
            value = record[field]
            if isinstance(value, Mapping):
                keys = schema.setdefault(field, {})
                if not isinstance(keys, dict):
                    schema[field] = "mixed"
                    continue
                for key, item in value.items():
                    seen = keys.get(str(key))
                    kind = _type_name(item)
                    keys[str(key)] = kind if seen in (None, kind) else "mixed"
            else:
                seen = schema.get(field)
                kind = _type_name(value)
                schema[field] = kind if seen in (None, kind) else "mixed"
    return schema


def _as_records(records: Any) -> list[Mapping[str, Any]]:
    if type(records).__module__.startswith("pandas") and hasattr(records, "to_dict"):
        # an empty cell of a DataFrame means "not given", not "set to NaN"
        records = [
            {k: v for k, v in row.items() if not (v is None or (isinstance(v, float) and v != v))}
            for row in records.to_dict(orient="records")
        ]
    out = list(records)
    for position, record in enumerate(out):
        if not isinstance(record, Mapping):
            raise DataError(
                f"record {position}: is a {type(record).__name__}, not a dict; pass dicts "
                "such as {'inputs': {...}, 'expectations': {...}}"
            )
        if "inputs" not in record:
            raise DataError(
                f"record {position}: column 'inputs' is missing; records are matched by their "
                "inputs, so every record needs them"
            )
    return out


class EvaluationDataset:
    """A named set of evaluation records (``inputs``, ``expectations``, ...).

    Records are upserted by their ``inputs``: merging a record whose inputs are already
    present updates that record's other fields instead of adding a duplicate.

    Args:
        records: Initial records, each a dict with at least ``inputs``.
        name: A name for the dataset, logged with evaluations that use it.
        tags: Free-form string tags.

    Example:
        >>> ds = EvaluationDataset([{"inputs": {"q": "2+2?"}, "expectations": {"a": "4"}}])
        >>> ds.merge_records([{"inputs": {"q": "2+2?"}, "expectations": {"a": "four"}}])
        >>> len(ds)
        1
    """

    def __init__(
        self,
        records: Iterable[Mapping[str, Any]] | None = None,
        *,
        name: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self.tags: dict[str, str] = dict(tags or {})
        self.dataset_id: str | None = None
        """The store's id (``"d-..."``) for a stored dataset; ``None`` in memory."""
        self.experiment_ids: list[str] = []
        self.created_time: int | None = None
        self.last_update_time: int | None = None
        self.created_by: str | None = None
        self.last_updated_by: str | None = None
        self._store: TrackingStore | None = None
        self._profile: str | None = None
        self._records: dict[str, dict[str, Any]] = {}
        if records is not None:
            self.merge_records(records)

    @classmethod
    def _stored(cls, store: TrackingStore, info: DatasetInfo) -> EvaluationDataset:
        dataset = cls(name=info.name, tags=info.tags)
        dataset._store = store
        dataset._set_info(info)
        dataset._reload()
        return dataset

    def _set_info(self, info: DatasetInfo) -> None:
        self.dataset_id = info.dataset_id
        self.name = info.name
        self.tags = dict(info.tags)
        self.experiment_ids = list(info.experiment_ids)
        self.created_time = info.created_time
        self.last_update_time = info.last_update_time
        self.created_by = info.created_by
        self.last_updated_by = info.last_updated_by

    def _reload(self) -> None:
        assert self._store is not None and self.dataset_id is not None
        self._records = {
            _canonical(r.get("inputs")): r
            for r in self._store.load_dataset_records(self.dataset_id)
        }

    def merge_records(
        self, records: Iterable[Mapping[str, Any]] | pd.DataFrame
    ) -> EvaluationDataset:
        """Add records, updating existing ones that have the same ``inputs``.

        On a stored dataset the merge is one transaction in the store.

        Args:
            records: Dicts (or a DataFrame) with ``inputs`` and any of ``expectations``,
                ``outputs``, ``tags``...

        Returns:
            The dataset itself.

        Raises:
            DataError: A record is not a dict or has no ``inputs``.
        """
        batch = _as_records(records)
        if self._store is None:
            for record in batch:
                key = _canonical(record.get("inputs"))
                current = self._records.get(key)
                if current is None:
                    self._records[key] = dict(record)
                else:
                    _merge_into(current, record)
            return self
        from evalkit.tracking.fluent import current_user

        assert self.dataset_id is not None
        self._store.merge_dataset_records(self.dataset_id, batch, _merge_into, current_user())
        info = self._store.get_dataset(dataset_id=self.dataset_id)
        if info is not None:
            self._set_info(info)
        self._reload()
        return self

    @property
    def records(self) -> list[dict[str, Any]]:
        """The records, in the order they were first added."""
        return list(self._records.values())

    def has_records(self) -> bool:
        """Whether the dataset has any record."""
        return bool(self._records)

    @property
    def digest(self) -> str:
        """A short content hash of the records: equal records give an equal digest."""
        h = hashlib.sha256()
        for record in self._records.values():
            h.update(_canonical(record).encode())
            h.update(b"\n")
        return h.hexdigest()[:16]

    @property
    def create_time(self) -> int | None:
        """MLflow's other name for :attr:`created_time` (milliseconds since the epoch)."""
        return self.created_time

    @property
    def source_type(self) -> str:
        """``mlflow_evaluation_dataset`` for a stored dataset, ``code`` in memory."""
        return "mlflow_evaluation_dataset" if self.dataset_id else "code"

    @property
    def source(self) -> str | None:
        """``evaluation_dataset:<id>`` for a stored dataset, ``None`` in memory."""
        return f"evaluation_dataset:{self.dataset_id}" if self.dataset_id else None

    @property
    def schema(self) -> str | None:
        """The records' fields and their value types, as a JSON string (``None`` when empty).

        Example: ``{"inputs": {"question": "string"}, "expectations": {"score": "integer"},
        "version": "1.0"}``; a key whose type differs between records is ``"mixed"``.
        """
        if not self._records:
            return None
        return json.dumps({**_schema_of(self._records.values()), "version": SCHEMA_VERSION})

    @property
    def profile(self) -> str | None:
        """A JSON summary, ``{"num_records": N}`` unless :meth:`set_profile` set another."""
        if self._profile is not None:
            return self._profile
        return json.dumps({"num_records": len(self._records)})

    def set_profile(self, profile: str) -> EvaluationDataset:
        """Replace :attr:`profile` (kept in memory, as in MLflow); returns the dataset."""
        self._profile = profile
        return self

    def to_dict(self) -> dict[str, Any]:
        """Everything about the dataset as a JSON-ready dict, records included.

        Keys: ``dataset_id``, ``name``, ``digest``, ``source_type``, ``source``, ``schema``,
        ``profile``, ``tags``, ``created_time``, ``last_update_time``, ``created_by``,
        ``last_updated_by``, ``experiment_ids``, ``records``.
        """
        return {key: getattr(self, key) for key in _TO_DICT_KEYS if key != "records"} | {
            "records": [dict(r) for r in self.records]
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EvaluationDataset:
        """An in-memory dataset from :meth:`to_dict`'s output (its id and times kept as
        information; merging records changes only this copy).

        Raises:
            DataError: ``data`` is not a dict, ``records`` is not a list of records, or
                ``digest`` does not match the records.
        """
        if not isinstance(data, Mapping):
            raise DataError(f"from_dict needs a dict such as to_dict() returns, got {data!r:.80}")
        records = data.get("records", [])
        if not isinstance(records, list):
            raise DataError("from_dict: 'records' must be a list of record dicts")
        dataset = cls(records, name=data.get("name"), tags=data.get("tags") or {})
        digest = data.get("digest")
        if digest is not None and records and digest != dataset.digest:
            raise DataError(
                f"from_dict: digest {digest!r} does not match the records (their digest is "
                f"{dataset.digest!r}); the records were changed after to_dict()"
            )
        dataset.dataset_id = data.get("dataset_id")
        dataset.experiment_ids = list(data.get("experiment_ids") or [])
        dataset.created_time = data.get("created_time")
        dataset.last_update_time = data.get("last_update_time")
        dataset.created_by = data.get("created_by")
        dataset.last_updated_by = data.get("last_updated_by")
        profile = data.get("profile")
        if profile is not None and profile != dataset.profile:
            dataset._profile = profile
        return dataset

    def to_df(self) -> pd.DataFrame:
        """The records as a DataFrame with one column per record field."""
        import pandas as pd

        return pd.DataFrame(self.records)

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.records)

    def __repr__(self) -> str:
        where = f"dataset_id={self.dataset_id!r}, " if self.dataset_id else ""
        return (
            f"EvaluationDataset({where}name={self.name!r}, records={len(self)}, "
            f"digest={self.digest!r})"
        )


def _store() -> TrackingStore:
    return _context.current_store()


def _experiment_ids(store: TrackingStore, experiment_id: str | Sequence[str] | None) -> list[str]:
    if experiment_id is None:
        from evalkit.tracking.fluent import current_experiment_id

        return [current_experiment_id(store)]
    if isinstance(experiment_id, str | int):
        return [str(experiment_id)]
    return [str(e) for e in experiment_id]


def create_dataset(
    name: str,
    experiment_id: str | Sequence[str] | None = None,
    tags: Mapping[str, Any] | None = None,
) -> EvaluationDataset:
    """Create an empty evaluation dataset in the tracking store.

    Args:
        name: A unique name.
        experiment_id: The experiment(s) it belongs to (default: the active experiment).
        tags: Dataset tags.

    Returns:
        The stored :class:`EvaluationDataset`; add records with ``merge_records``.

    Raises:
        TrackingError: The name is taken or an experiment does not exist.

    Example:
        >>> ds = create_dataset("customer_support_qa_v1", tags={"version": "1.0"})
    """
    from evalkit.tracking.fluent import current_user

    store = _store()
    info = store.create_dataset(name, _experiment_ids(store, experiment_id), tags, current_user())
    return EvaluationDataset._stored(store, info)


def get_dataset(name: str | None = None, dataset_id: str | None = None) -> EvaluationDataset:
    """Read a stored dataset, with its records, by id or name.

    Raises:
        TrackingError: No such dataset.
    """
    if (name is None) == (dataset_id is None):
        raise TrackingError("get_dataset needs exactly one of name, dataset_id")
    store = _store()
    info = store.get_dataset(dataset_id=dataset_id, name=name)
    if info is None:
        what = f"id {dataset_id!r}" if dataset_id is not None else f"name {name!r}"
        raise TrackingError(f"no evaluation dataset with {what}; see search_datasets()")
    return EvaluationDataset._stored(store, info)


def search_datasets(
    experiment_ids: str | Sequence[str] | None = None,
    filter_string: str | None = None,
    max_results: int | None = None,
    order_by: list[str] | None = None,
) -> list[EvaluationDataset]:
    """Find stored datasets.

    Args:
        experiment_ids: Only datasets of these experiments (default: all).
        filter_string: e.g. ``"name LIKE 'test_%' AND tags.environment = 'production'"``;
            attributes ``name``, ``created_time``, ``last_update_time``, ``created_by``,
            ``last_updated_by``, ``dataset_id`` and ``tags.<key>``.
        max_results: At most this many.
        order_by: e.g. ``["name ASC"]`` (default ``["created_time DESC"]``).
    """
    store = _store()
    ids = None if experiment_ids is None else _experiment_ids(store, experiment_ids)
    infos = store.search_datasets(ids, filter_string, max_results, order_by)
    return [EvaluationDataset._stored(store, info) for info in infos]


def delete_dataset(name: str | None = None, dataset_id: str | None = None) -> None:
    """Delete a stored dataset and its records, permanently."""
    dataset = get_dataset(name=name, dataset_id=dataset_id)
    assert dataset.dataset_id is not None
    _store().delete_dataset(dataset.dataset_id)


def set_dataset_tags(dataset_id: str, tags: Mapping[str, Any]) -> None:
    """Merge ``tags`` into a stored dataset's tags; a ``None`` value removes that tag."""
    _store().set_dataset_tags(dataset_id, tags)


def delete_dataset_tag(dataset_id: str, key: str) -> None:
    """Remove one tag from a stored dataset."""
    _store().set_dataset_tags(dataset_id, {key: None})


def _updated(dataset_id: str, add: Sequence[str], remove: Sequence[str]) -> EvaluationDataset:
    store = _store()
    info = store.update_dataset_experiments(dataset_id, add=add, remove=remove)
    return EvaluationDataset._stored(store, info)


def _ids(experiment_ids: str | Sequence[str]) -> list[str]:
    if isinstance(experiment_ids, str | int):
        return [str(experiment_ids)]
    return [str(e) for e in experiment_ids]


def add_dataset_to_experiments(
    dataset_id: str, experiment_ids: str | Sequence[str]
) -> EvaluationDataset:
    """Link a stored dataset to more experiments (links it already has are kept).

    Returns:
        The updated dataset; ``experiment_ids`` lists every linked experiment.

    Raises:
        TrackingError: The dataset or an experiment does not exist.

    Example:
        >>> ds = add_dataset_to_experiments(dataset_id="d-abc123", experiment_ids=["1", "2"])
    """
    return _updated(dataset_id, _ids(experiment_ids), ())


def remove_dataset_from_experiments(
    dataset_id: str, experiment_ids: str | Sequence[str]
) -> EvaluationDataset:
    """Unlink a stored dataset from experiments; ids it is not linked to are skipped with a
    warning (as in MLflow).

    Raises:
        TrackingError: The dataset does not exist.
    """
    import warnings

    ids = _ids(experiment_ids)
    info = _store().get_dataset(dataset_id=dataset_id)
    if info is None:
        raise TrackingError(f"no evaluation dataset with id {dataset_id!r}; see search_datasets()")
    absent = [e for e in ids if e not in info.experiment_ids]
    if absent:
        warnings.warn(
            f"dataset {dataset_id} is not linked to experiment(s) {absent}; nothing to remove "
            "for them",
            UserWarning,
            stacklevel=2,
        )
    return _updated(dataset_id, (), ids)
