"""Evaluation datasets: named collections of records that ``evaluate`` accepts directly."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["EvaluationDataset"]


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


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
        self._records: dict[str, dict[str, Any]] = {}
        if records is not None:
            self.merge_records(records)

    def merge_records(self, records: Iterable[Mapping[str, Any]]) -> None:
        """Add records, updating existing ones that have the same ``inputs``."""
        for record in records:
            key = _canonical(record.get("inputs"))
            current = self._records.get(key)
            if current is None:
                self._records[key] = dict(record)
                continue
            for field, value in record.items():
                if isinstance(value, Mapping) and isinstance(current.get(field), Mapping):
                    current[field] = {**current[field], **value}
                else:
                    current[field] = value

    @property
    def records(self) -> list[dict[str, Any]]:
        """The records, in the order they were first added."""
        return list(self._records.values())

    @property
    def digest(self) -> str:
        """A short content hash of the records: equal records give an equal digest."""
        h = hashlib.sha256()
        for record in self._records.values():
            h.update(_canonical(record).encode())
            h.update(b"\n")
        return h.hexdigest()[:16]

    def to_df(self) -> pd.DataFrame:
        """The records as a DataFrame with one column per record field."""
        import pandas as pd

        return pd.DataFrame(self.records)

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.records)

    def __repr__(self) -> str:
        return f"EvaluationDataset(name={self.name!r}, records={len(self)}, digest={self.digest!r})"
