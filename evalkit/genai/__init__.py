"""``evalkit.genai``: the mirror of ``mlflow.genai``, so that moving over is changing an import.

``mlflow.genai.evaluate`` -> :func:`evalkit.genai.evaluate`; ``mlflow.genai.scorers.*`` ->
:mod:`evalkit.genai.scorers`; ``mlflow.genai.judges.*`` -> :mod:`evalkit.genai.judges`;
``mlflow.genai.datasets.*`` -> :mod:`evalkit.genai.datasets`. The prompt registry
(``register_prompt``, ``load_prompt``, ...) and ``search_traces`` are re-exported here from
where evalkit keeps them, when this installation has them.

Example:
    >>> import evalkit
    >>> from evalkit.genai.scorers import scorer
    >>> @scorer
    ... def short(outputs) -> bool:
    ...     return len(outputs) < 20
    >>> evalkit.genai.evaluate(data=[{"inputs": {"q": "?"}, "outputs": "ok"}], scorers=[short])
"""

from typing import Any

from evalkit.genai import datasets, judges, scorers
from evalkit.genai.datasets import (
    EvaluationDataset,
    create_dataset,
    delete_dataset,
    delete_dataset_tag,
    get_dataset,
    search_datasets,
    set_dataset_tags,
)
from evalkit.genai.evaluation import evaluate
from evalkit.genai.judges import make_judge
from evalkit.genai.scorers import Scorer, scorer

__all__ = [
    "EvaluationDataset",
    "Scorer",
    "create_dataset",
    "datasets",
    "delete_dataset",
    "delete_dataset_tag",
    "evaluate",
    "get_dataset",
    "judges",
    "make_judge",
    "scorer",
    "scorers",
    "search_datasets",
    "set_dataset_tags",
]

# Names of mlflow.genai that other parts of evalkit provide (the prompt registry, traces):
# looked up where evalkit keeps them, on first use, so this mirror follows them.
_ELSEWHERE = {
    "register_prompt": ("evalkit", "evalkit.tracking"),
    "load_prompt": ("evalkit", "evalkit.tracking"),
    "search_prompts": ("evalkit", "evalkit.tracking"),
    "set_prompt_alias": ("evalkit", "evalkit.tracking"),
    "delete_prompt_alias": ("evalkit", "evalkit.tracking"),
    "search_traces": ("evalkit", "evalkit.tracking"),
}


def __getattr__(name: str) -> Any:
    import importlib

    homes = _ELSEWHERE.get(name)
    if homes is None:
        raise AttributeError(f"module 'evalkit.genai' has no attribute {name!r}")
    for home in homes:
        value = getattr(importlib.import_module(home), name, None)
        if value is not None:
            return value
    raise AttributeError(
        f"evalkit.genai.{name} (mlflow.genai.{name}) is not available in this version of evalkit"
    )
