"""THE registry of built-in scorers: heuristic metrics and LLM judges, by name.

Each built-in registers itself where it is defined, with the :func:`builtin` decorator::

    @builtin("rougeL", kind="heuristic", mlflow_key="rougeL/v1", config={"rouge_type": "rougeL"})
    class Rouge(BatchScorer): ...

Everything that lists or finds built-ins reads this registry: :func:`resolve` (used by
``evaluate(scorers=[...])`` and ``evalkit eval -s NAME``), ``evalkit.metrics`` (MLflow's
metric factories and their keys), the legacy presets (``model_type=``) and
``get_all_scorers()``. Names are MLflow's: metric names (``"rougeL"``, ``"bleu"``) and judge
class names (``"Correctness"``); a name with ``<k>`` (``"precision_at_<k>"``) matches
``precision_at_5`` and passes ``k=5``.

The modules that define built-ins are imported on the first lookup, not with ``import
evalkit``: every public module of :mod:`evalkit.scorers` and of :mod:`evalkit.judges.builtin`
(see :data:`BUILTIN_PACKAGES`), so a new built-in needs no line anywhere else.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import importlib
import inspect
import pkgutil
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from evalkit.errors import ScorerError
from evalkit.scorers.base import Scorer

__all__ = [
    "BUILTIN_METRIC_NAMES",
    "BUILTIN_PACKAGES",
    "BuiltinEntry",
    "builtin",
    "builtin_scorer",
    "entries",
    "lookup",
    "names",
    "resolve",
]

Kind = Literal["heuristic", "judge"]
Aggregates = Callable[[Sequence[Any]], dict[str, float]]

BUILTIN_PACKAGES: tuple[str, ...] = (
    "evalkit.scorers",
    "evalkit.judges.builtin",
    "evalkit.judges.conversation",
    "evalkit.judges.agent",
)
"""Packages whose public modules define built-ins; imported on the first registry lookup."""

_NOT_BUILTIN_MODULES = frozenset({"evalkit.scorers.base", "evalkit.scorers.registry"})


@dataclasses.dataclass(frozen=True, kw_only=True)
class BuiltinEntry:
    """One built-in scorer: how to build it and what MLflow calls it."""

    name: str
    """The name users write: ``"rougeL"``, ``"Correctness"``, ``"precision_at_<k>"``."""
    scorer_class: type[Scorer]
    """The class that implements it."""
    factory: Callable[..., Scorer]
    """Builds a freshly configured scorer (keyword arguments: its fields)."""
    kind: Kind
    """``"heuristic"`` (a metric computed locally) or ``"judge"`` (asks a model)."""
    mlflow_key: str | None = None
    """MLflow's metric name with its version, e.g. ``"rougeL/v1"`` (results keyed by it)."""
    long_name: str | None = None
    """MLflow's long name, e.g. ``"automated_readability_index_grade_level"``."""
    greater_is_better: bool = True
    """Whether a larger value is better."""
    mlflow_aggregates: Aggregates | None = None
    """MLflow's aggregates of the per-row values in the legacy form (``None``: mean,
    variance, p90)."""
    per_row: bool = True
    """Whether MLflow reports per-row scores (a table column) in the legacy form."""
    presets: tuple[str, ...] = ()
    """The legacy ``model_type`` presets that include it."""
    preset_rank: int = 100
    """Its place among a preset's metrics (lower first), as MLflow orders them."""
    requires_config: bool = False
    """Whether it cannot be built without arguments (left out of ``get_all_scorers()``)."""
    doc: str = ""
    """One line on what it measures."""

    @property
    def version(self) -> str | None:
        """The MLflow version in :attr:`mlflow_key` (``"v1"``), if any."""
        if self.mlflow_key and "/" in self.mlflow_key:
            return self.mlflow_key.rsplit("/", 1)[1]
        return None

    @functools.cached_property
    def pattern(self) -> re.Pattern[str] | None:
        """For a name with ``<k>``: the regular expression that matches its instances."""
        if "<k>" not in self.name:
            return None
        return re.compile(re.escape(self.name).replace(re.escape("<k>"), r"(?P<k>[1-9]\d*)"))

    def build(self, name: str | None = None, **config: Any) -> Scorer:
        """A new scorer of this entry (``name``: the concrete name, for ``<k>`` entries)."""
        if self.pattern is not None:
            match = self.pattern.fullmatch(name or "")
            if match is None:
                raise ScorerError(f"{name!r} does not match the built-in {self.name!r}")
            config = {"k": int(match["k"]), **config}
        return self.factory(**config)


if TYPE_CHECKING:
    BUILTIN_METRIC_NAMES: tuple[str, ...]
    """Every heuristic metric name (read from the registry when asked for)."""

_ENTRIES: dict[str, BuiltinEntry] = {}
_loaded = False
_packages_loaded = 0  # how many of BUILTIN_PACKAGES have been imported
_lock = threading.RLock()

T = TypeVar("T", bound=type[Scorer])


def builtin(
    name: str,
    *,
    kind: Kind,
    mlflow_key: str | None = None,
    config: Mapping[str, Any] | None = None,
    long_name: str | None = None,
    greater_is_better: bool = True,
    mlflow_aggregates: Aggregates | None = None,
    per_row: bool = True,
    presets: Sequence[str] = (),
    preset_rank: int = 100,
    requires_config: bool = False,
) -> Callable[[T], T]:
    """Register the decorated scorer class as the built-in ``name``.

    Stack it to register one class under several names with different ``config`` (as
    ``rouge1`` ... ``rougeLsum`` on ``Rouge``).

    Args:
        name: The name users write; ``<k>`` in it stands for a positive whole number passed
            as ``k=`` (``"precision_at_<k>"``).
        kind: ``"heuristic"`` or ``"judge"``.
        mlflow_key: MLflow's metric key with version (``"rougeL/v1"``), or without
            (``"token_count"``).
        config: Fields the class is built with for this name.
        long_name: MLflow's long name of the metric.
        greater_is_better: Whether a larger value is better.
        mlflow_aggregates: The legacy form's aggregates (default mean, variance, p90).
        per_row: Whether the legacy form reports per-row scores.
        presets: The legacy ``model_type`` values whose default metrics include it.
        preset_rank: Its place among a preset's metrics (lower first).
        requires_config: It cannot be built without arguments.

    Raises:
        ScorerError: Another built-in already has the name.
    """

    def register(cls: T) -> T:
        fixed = dict(config or {})
        factory: Callable[..., Scorer] = functools.partial(cls, **fixed) if fixed else cls
        entry = BuiltinEntry(
            name=name,
            scorer_class=cls,
            factory=factory,
            kind=kind,
            mlflow_key=mlflow_key,
            long_name=long_name,
            greater_is_better=greater_is_better,
            mlflow_aggregates=mlflow_aggregates,
            per_row=per_row,
            presets=tuple(presets),
            preset_rank=preset_rank,
            requires_config=requires_config,
            doc=(inspect.getdoc(cls) or "").split("\n", 1)[0],
        )
        # no lock here: registering runs inside imports that _load() makes under its lock
        old = _ENTRIES.get(name)
        # the same class registering again (a reloaded module) replaces its entry
        if old is not None and _where(old.scorer_class) != _where(cls):
            raise ScorerError(
                f"two built-ins are named {name!r}: {_where(old.scorer_class)} and {_where(cls)}"
            )
        _ENTRIES[name] = entry
        return cls

    return register


def _where(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _load(packages: int | None = None) -> None:
    """Import the modules that define built-ins, once: those of the first ``packages``
    packages of :data:`BUILTIN_PACKAGES` (default: all), in order, so registration order is
    the same however the loading is split."""
    global _loaded, _packages_loaded
    wanted = len(BUILTIN_PACKAGES) if packages is None else packages
    if _loaded or _packages_loaded >= wanted:
        return
    with _lock:
        while _packages_loaded < wanted:
            package_name = BUILTIN_PACKAGES[_packages_loaded]
            package = importlib.import_module(package_name)
            found = pkgutil.iter_modules(package.__path__, f"{package_name}.")
            for info in sorted(found, key=lambda m: m.name):
                leaf = info.name.rsplit(".", 1)[1]
                if leaf.startswith("_") or info.name in _NOT_BUILTIN_MODULES:
                    continue
                importlib.import_module(info.name)
            _packages_loaded += 1
        _loaded = _packages_loaded == len(BUILTIN_PACKAGES)


def entries(kind: Kind | None = None) -> list[BuiltinEntry]:
    """Every registered built-in (of ``kind``, when given), in registration order."""
    _load()
    return [e for e in _ENTRIES.values() if kind is None or e.kind == kind]


def names(kind: Kind | None = None) -> list[str]:
    """The names of every built-in (``<k>`` names as written, e.g. ``precision_at_<k>``)."""
    return [e.name for e in entries(kind)]


def lookup(name: str) -> BuiltinEntry | None:
    """The entry that ``name`` stands for (``precision_at_5`` finds ``precision_at_<k>``)."""
    for packages in (1, None):  # the heuristics first: a metric name needs no judge imported
        _load(packages)
        found = _ENTRIES.get(name)
        if found is None:
            found = next(
                (e for e in _ENTRIES.values() if e.pattern and e.pattern.fullmatch(name)), None
            )
        if found is not None:
            return found
    return None


def _unknown(name: str) -> ScorerError:
    known = names()
    candidates = [n.replace("<k>", "3") for n in known]
    close = difflib.get_close_matches(name, candidates, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return ScorerError(
        f"no built-in metric or judge is named {name!r}.{hint} Built-in names: {', '.join(known)}"
    )


def builtin_scorer(name: str, **config: Any) -> Scorer:
    """The built-in scorer called ``name``, freshly configured.

    Args:
        name: A metric name (``"rougeL"``, ``"bleu"``, ``"precision_at_5"``) or a judge
            class name (``"Correctness"``).
        **config: Fields of the scorer, e.g. ``encoding="o200k_base"`` for ``token_count``.

    Raises:
        ScorerError: No built-in has that name (the message suggests the closest), or it
            cannot be built without arguments (the message says which).
    """
    entry = lookup(name)
    if entry is None:
        raise _unknown(name)
    try:
        return entry.build(name, **config)
    except ScorerError:
        raise
    except Exception as exc:
        if config or not entry.requires_config:
            raise
        raise ScorerError(
            f"built-in {name!r} needs configuration and cannot be named alone ({exc}); "
            f"build it in Python, e.g. {name}(...), or in a plug-in file"
        ) from exc


def resolve(value: Any, *, where: str = "scorer") -> Scorer:
    """The scorer that ``value`` stands for: the one resolution used by ``evaluate``, the
    CLI, ``evalkit.metrics`` and the presets.

    Args:
        value: A :class:`Scorer` (returned as is), a built-in's name, or an object with
            ``as_scorer()`` (``evalkit.metrics.rougeL()``).
        where: How to refer to ``value`` in error messages (e.g. ``"scorers[2]"``).

    Raises:
        ScorerError: An unknown name, a scorer class instead of an instance, a plain
            function, or anything else; the message says what to pass instead.
    """
    if isinstance(value, Scorer):
        return value
    if isinstance(value, str):
        return builtin_scorer(value)
    if inspect.isclass(value):
        if issubclass(value, Scorer):
            raise ScorerError(
                f"{where} is the class {value.__name__}, not a scorer; instantiate it: "
                f"{value.__name__}() (with its settings, e.g. {value.__name__}(model=...))"
            )
        raise ScorerError(
            f"{where} is the class {value.__name__}, not a scorer; pass @scorer functions, "
            "Scorer instances or built-in names"
        )
    as_scorer = getattr(value, "as_scorer", None)
    if callable(as_scorer):  # evalkit.metrics.rougeL() and the like
        made: Scorer = as_scorer()
        return made
    if callable(value):
        name = getattr(value, "__name__", repr(value))
        raise ScorerError(
            f"{where} ({name}) is a plain function; decorate it with @evalkit.scorer so "
            "evalkit knows its name and which fields it needs"
        )
    raise ScorerError(
        f"{where} is a {type(value).__name__} ({value!r:.60}), not a scorer; pass @scorer "
        "functions or Scorer instances"
    )


def __getattr__(name: str) -> Any:
    # BUILTIN_METRIC_NAMES is read from the registry when asked for, so that it lists every
    # registered metric without importing them with this module.
    if name == "BUILTIN_METRIC_NAMES":
        return tuple(names("heuristic"))
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
