"""``evalkit.genai.scorers``: scorers, as ``mlflow.genai.scorers``.

The built-in judges (:class:`Correctness`, :class:`Guidelines`,
:class:`ExpectationsGuidelines`, :class:`RelevanceToQuery`, :class:`RetrievalGroundedness`,
:class:`RetrievalRelevance`, :class:`RetrievalSufficiency`, :class:`Safety`,
:func:`get_all_scorers`), ``@scorer`` and :class:`Scorer`, and the scorer registry of an
experiment: ``Scorer.register(name=...)``, :func:`get_scorer`, :func:`list_scorers`,
:func:`list_scorer_versions`, :func:`delete_scorer`. Registered scorers are stored as data
(see :meth:`evalkit.scorers.Scorer.model_dump`), never as code to execute.
"""

from __future__ import annotations

from evalkit.judges import (
    Correctness,
    ExpectationsGuidelines,
    Guidelines,
    RelevanceToQuery,
    RetrievalGroundedness,
    RetrievalRelevance,
    RetrievalSufficiency,
    Safety,
    get_all_scorers,
)
from evalkit.scorers.base import Scorer, scorer
from evalkit.tracking import scorers as _stored

__all__ = [
    "Correctness",
    "ExpectationsGuidelines",
    "Guidelines",
    "RelevanceToQuery",
    "RetrievalGroundedness",
    "RetrievalRelevance",
    "RetrievalSufficiency",
    "Safety",
    "Scorer",
    "delete_scorer",
    "get_all_scorers",
    "get_scorer",
    "list_scorer_versions",
    "list_scorers",
    "scorer",
]


def get_scorer(
    *, name: str, experiment_id: str | None = None, version: int | None = None
) -> Scorer:
    """The scorer registered as ``name`` (version ``version``, default the latest).

    Args:
        name: The registered name.
        experiment_id: The experiment (default: the active one, else ``Default``).
        version: The version (1, 2, ...); default the latest.

    Raises:
        TrackingError: No such scorer or version.
        ScorerError: Its class or function cannot be imported here.

    Example:
        >>> Safety().register(name="safety_v1")
        >>> get_scorer(name="safety_v1")(outputs="...")
    """
    stored = _stored.get_scorer_version(name, experiment_id, version)
    return Scorer.model_validate(stored.serialized_scorer)


def list_scorers(*, experiment_id: str | None = None) -> list[Scorer]:
    """The latest version of every scorer registered in the experiment, by name."""
    return [
        Scorer.model_validate(s.serialized_scorer)
        for s in _stored.list_scorers_latest(experiment_id)
    ]


def list_scorer_versions(
    *, name: str, experiment_id: str | None = None
) -> list[tuple[Scorer, int]]:
    """Every version of scorer ``name`` as ``(scorer, version)``, oldest first."""
    return [
        (Scorer.model_validate(s.serialized_scorer), s.version)
        for s in _stored.list_scorer_versions(name, experiment_id)
    ]


def delete_scorer(
    *, name: str, experiment_id: str | None = None, version: int | str | None = None
) -> None:
    """Delete version ``version`` of scorer ``name``, or all of them with ``version="all"``.

    Raises:
        TrackingError: ``version`` was not given (MLflow asks for an integer or ``"all"``),
            or the scorer or version does not exist.
    """
    _stored.delete_scorer_versions(name, experiment_id, version)
