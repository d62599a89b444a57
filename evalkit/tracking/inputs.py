"""Turning what users pass to ``log_input`` / ``log_inputs`` into a :class:`DatasetInput`.

Accepted: an evalkit :class:`~evalkit.entities.runs.DatasetInput`; an MLflow-shaped input
(an object with ``.dataset`` and ``.tags``); a :class:`~evalkit.entities.runs.Dataset` or any
object with ``name`` and ``digest`` (such as MLflow's ``mlflow.data`` datasets); an
:class:`~evalkit.EvaluationDataset`; a pandas DataFrame; a list of record dicts.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from evalkit.entities.runs import CONTEXT_TAG, DatasetInput
from evalkit.errors import TrackingError

__all__ = ["dataset_input"]


def _digest(payload: Any) -> str:
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _source_text(source: Any) -> str | None:
    if source is None or isinstance(source, str):
        return source
    for attribute in ("uri", "url", "path"):
        value = getattr(source, attribute, None)
        if isinstance(value, str):
            return value
    to_json = getattr(source, "to_json", None)
    return str(to_json()) if callable(to_json) else str(source)


def _context_of(tags: Any) -> str | None:
    if isinstance(tags, Mapping):
        value = tags.get(CONTEXT_TAG)
        return None if value is None else str(value)
    for tag in tags or []:
        if getattr(tag, "key", None) == CONTEXT_TAG:
            return str(tag.value)
    return None


def dataset_input(dataset: Any, context: str | None = None) -> DatasetInput:
    """``dataset`` as a :class:`DatasetInput`, with ``context`` (e.g. ``"training"``) if given.

    Raises:
        TrackingError: ``dataset`` is none of the accepted kinds.
    """
    if isinstance(dataset, DatasetInput):
        return dataset if context is None else replace(dataset, context=context)
    if hasattr(dataset, "dataset") and hasattr(dataset, "tags"):  # MLflow's DatasetInput
        inner = dataset_input(dataset.dataset)
        return replace(inner, context=context or _context_of(dataset.tags) or inner.context)
    if hasattr(dataset, "records") and hasattr(dataset, "dataset_id"):  # EvaluationDataset
        return DatasetInput(
            name=dataset.name or "dataset",
            digest=dataset.digest,
            source=f"evaluation_dataset:{dataset.dataset_id}" if dataset.dataset_id else None,
            num_records=len(dataset.records),
            dataset_id=dataset.dataset_id,
            context=context,
        )
    if type(dataset).__module__.startswith("pandas") and hasattr(dataset, "to_dict"):
        records = dataset.to_dict(orient="records")
        return DatasetInput(
            name="dataset", digest=_digest(records), num_records=len(records), context=context
        )
    if isinstance(dataset, list) and all(isinstance(r, Mapping) for r in dataset):
        return DatasetInput(
            name="dataset", digest=_digest(dataset), num_records=len(dataset), context=context
        )
    name, digest = getattr(dataset, "name", None), getattr(dataset, "digest", None)
    if isinstance(name, str) and isinstance(digest, str):
        return DatasetInput(
            name=name,
            digest=digest,
            source=_source_text(getattr(dataset, "source", None)),
            context=context,
        )
    raise TrackingError(
        f"cannot log {type(dataset).__name__} as a run input: pass an EvaluationDataset, a "
        "pandas DataFrame, a list of record dicts, or a Dataset(name=..., digest=...)"
    )
