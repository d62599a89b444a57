"""The built-in judges, one module each with its prompt file beside it (``<module>.jinja``).

Each class registers itself in :mod:`evalkit.scorers.registry` with ``@builtin(...)``; this
package needs no list of them. :func:`get_all_scorers` reads the registry.
"""

from __future__ import annotations

from evalkit.scorers.base import Scorer

__all__ = ["get_all_scorers"]


def get_all_scorers() -> list[Scorer]:
    """Every built-in single-turn judge that needs no configuration, with default settings
    (the conversation and agent judges of :mod:`evalkit.judges.conversation` and
    :mod:`evalkit.judges.agent` are not in it, as in MLflow).

    ``Guidelines`` is left out: it needs its ``guidelines``; so are judges that compare two
    outputs (``PairwisePreference``), which score pairs, not records.
    """
    from evalkit.judges.pairwise import PairwiseJudge
    from evalkit.scorers.registry import entries

    judges = sorted(
        (e for e in entries("judge") if e.scorer_class.__module__.startswith(__name__ + ".")),
        key=lambda e: e.name,
    )
    return [
        e.factory()
        for e in judges
        if not e.requires_config and not issubclass(e.scorer_class, PairwiseJudge)
    ]
