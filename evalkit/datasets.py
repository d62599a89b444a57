"""Evaluation datasets, kept under their old import path.

They live in :mod:`evalkit.tracking.datasets` now (a stored dataset is tracking data);
``evalkit.EvaluationDataset`` and ``evalkit.create_dataset`` are the names to use.
"""

from evalkit.tracking.datasets import (
    EvaluationDataset,
    add_dataset_to_experiments,
    create_dataset,
    delete_dataset,
    delete_dataset_tag,
    get_dataset,
    remove_dataset_from_experiments,
    search_datasets,
    set_dataset_tags,
)

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
