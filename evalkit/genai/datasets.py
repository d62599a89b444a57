"""``evalkit.genai.datasets``: evaluation datasets, as ``mlflow.genai.datasets``.

``create_dataset``, ``get_dataset``, ``delete_dataset``, ``search_datasets``,
``set_dataset_tags``, ``delete_dataset_tag`` and :class:`EvaluationDataset`, kept in the
tracking store; ``add_dataset_to_experiments`` / ``remove_dataset_from_experiments`` where
this version of evalkit has them.
"""

from typing import Any

from evalkit.tracking.datasets import (
    EvaluationDataset,
    create_dataset,
    delete_dataset,
    delete_dataset_tag,
    get_dataset,
    search_datasets,
    set_dataset_tags,
)

__all__ = [
    "EvaluationDataset",
    "create_dataset",
    "delete_dataset",
    "delete_dataset_tag",
    "get_dataset",
    "search_datasets",
    "set_dataset_tags",
]

_ELSEWHERE = ("add_dataset_to_experiments", "remove_dataset_from_experiments")


def __getattr__(name: str) -> Any:
    if name in _ELSEWHERE:
        from evalkit.tracking import datasets as stored

        value = getattr(stored, name, None)
        if value is not None:
            return value
        raise AttributeError(
            f"evalkit.genai.datasets.{name} is not available in this version of evalkit"
        )
    raise AttributeError(f"module 'evalkit.genai.datasets' has no attribute {name!r}")
