"""The scorer API: ``@scorer`` for functions, ``Scorer`` for configured scorers.

A scorer names the record fields it needs as parameters (``inputs``, ``outputs``,
``expectations``, ``trace``); the engine passes only those. Two shapes exist:

* row scorers (``@scorer`` functions, ``Scorer`` subclasses, LLM judges) see one record;
* batch scorers (:class:`BatchScorer`, used by the heuristic metrics) see whole columns
  and return one value per row, so CPU-heavy metrics can work in bulk.

Both go in the same ``scorers=[...]`` list of :func:`evalkit.evaluate`.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import json
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, TypeAlias, dataclass_transform, overload

from evalkit.entities import Feedback
from evalkit.errors import ScorerError
from evalkit.stats import Aggregation, validate_aggregations

__all__ = [
    "BATCH_ARGUMENTS",
    "LEVELS",
    "ROW_ARGUMENTS",
    "SERIALIZATION_VERSION",
    "SESSION_ARGUMENTS",
    "BatchScorer",
    "Scorer",
    "ScorerValue",
    "scorer",
]

ScorerValue: TypeAlias = bool | int | float | str | Feedback | list[Feedback] | None
"""What a scorer may return for one record."""

ROW_ARGUMENTS: tuple[str, ...] = ("inputs", "outputs", "expectations", "trace")
"""The record fields a row scorer may declare as parameters."""

BATCH_ARGUMENTS: tuple[str, ...] = (*ROW_ARGUMENTS, "latency")
"""The columns a batch scorer may declare; ``latency`` is ``predict_fn``'s time in seconds."""

SESSION_ARGUMENTS: tuple[str, ...] = ("session", "conversation", "expectations")
"""What a session-level scorer may declare: the conversation's traces (``session``), its
turns (``conversation``) and their merged ``expectations``; see
:mod:`evalkit.engine.conversations`."""

LEVELS: tuple[str, ...] = ("row", "session")
"""A scorer runs once per record (``"row"``) or once per conversation (``"session"``)."""
_SESSION_ONLY = frozenset({"session", "conversation"})


SERIALIZATION_VERSION = 1
"""The ``"serialization_version"`` of :meth:`Scorer.model_dump`'s dicts."""

# Set by the package (evalkit/__init__.py, on the first register) to the tracking layer's
# scorer storage, which this layer may not import: an object with
# register_scorer_data(name, data, experiment_id) -> int.
_scorer_storage: Any = None


def use_scorer_storage(storage: Any) -> None:
    """Install where :meth:`Scorer.register` stores scorers (the ``evalkit`` package does,
    on the first register)."""
    global _scorer_storage
    _scorer_storage = storage


def _import_path(path: str, what: str) -> Any:
    module_name, _, qualname = path.partition(":")
    if not module_name or not qualname:
        raise ScorerError(f"stored {what} path {path!r} is not 'module:name'")
    try:
        target: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as exc:
        raise ScorerError(
            f"the stored {what} {path!r} cannot be imported here ({exc}); install or put on "
            "sys.path the module that defines it"
        ) from exc
    return target


def _snake_case(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _declared_arguments(
    fn: Callable[..., Any], allowed: tuple[str, ...], owner: str
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return (declared, required) record fields of ``fn``; reject parameters we cannot fill."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # builtins without a signature: give them everything
        return allowed, ()
    declared: list[str] = []
    required: list[str] = []
    for p in params:
        if p.kind is p.VAR_KEYWORD:
            return allowed, tuple(required)
        if p.kind is p.VAR_POSITIONAL:
            continue
        if p.name in allowed:
            declared.append(p.name)
            if p.default is p.empty:
                required.append(p.name)
        elif p.default is p.empty:
            raise ScorerError(
                f"scorer {owner!r} has a parameter {p.name!r} that evalkit cannot fill: "
                f"a scorer may only ask for {', '.join(allowed)}. Rename the parameter "
                "or give it a default."
            )
    return tuple(declared), tuple(required)


@dataclass_transform(kw_only_default=True, field_specifiers=(dataclasses.field,))
@dataclasses.dataclass(kw_only=True, eq=False)
class Scorer:
    """Base class for scorers that carry configuration.

    Subclasses declare their configuration as annotated class attributes (they become
    keyword-only constructor arguments, as with a dataclass) and implement :meth:`score`
    with the record fields they need, typed as they like::

        class WithinWords(Scorer):
            max_words: int = 50

            def score(self, *, outputs: str) -> bool:
                return len(outputs.split()) <= self.max_words

        evalkit.evaluate(data, scorers=[WithinWords(max_words=20)])

    Calling the scorer (``WithinWords()(outputs="...")``) runs ``score``. Subclasses that
    override ``__call__`` instead (the older extension point) keep working.

    Args:
        name: The metric name; defaults to the class name in snake case.
        aggregations: How values are aggregated over rows: any of ``"min"``, ``"max"``,
            ``"mean"``, ``"median"``, ``"variance"``, ``"p90"`` or a callable over the
            list of values. Defaults to ``["mean"]``.
    """

    name: str = ""
    """The metric name results are reported under."""
    aggregations: list[Aggregation] | None = None
    """Aggregations over rows (over conversations for a session-level scorer); ``None``
    means ``["mean"]``."""
    level: str = dataclasses.field(default="row", repr=False)
    """``"row"``: scored once per record; ``"session"``: once per conversation (the rows
    sharing a session id). A scorer that asks for ``session`` or ``conversation`` is
    session-level without saying so."""

    _allowed_arguments: ClassVar[tuple[str, ...]] = (*ROW_ARGUMENTS, *_SESSION_ONLY)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Annotated class attributes of a subclass become keyword-only fields, so that
        # configured scorers read like MLflow's pydantic ones without pydantic's import cost.
        dataclasses.dataclass(kw_only=True, eq=False)(cls)

    def __post_init__(self) -> None:
        if not self.name:
            self.name = _snake_case(type(self).__name__)
        if not isinstance(self.name, str):
            raise ScorerError(f"scorer name must be a string, got {self.name!r}")
        self.aggregations = validate_aggregations(self.aggregations, self.name)
        if self.level not in LEVELS:
            raise ScorerError(
                f"scorer {self.name!r}: level={self.level!r} is not a level; use 'row' (once "
                "per record) or 'session' (once per conversation)"
            )
        self._arguments, self._required = _declared_arguments(
            self._signature_target(), self._allowed_arguments, self.name
        )
        self._check_level()

    def _check_level(self) -> None:
        if _SESSION_ONLY & set(self._arguments) and self._arguments != self._allowed_arguments:
            self.level = "session"
        if self.level != "session":
            if self._arguments == self._allowed_arguments:  # **kwargs: give a record's fields
                self._arguments = ROW_ARGUMENTS
            return
        if self._arguments == self._allowed_arguments:  # **kwargs: give what a session has
            self._arguments = SESSION_ARGUMENTS
            self._required = tuple(a for a in self._required if a in SESSION_ARGUMENTS)
            return
        wrong = [a for a in self._arguments if a not in SESSION_ARGUMENTS]
        if wrong:
            raise ScorerError(
                f"scorer {self.name!r} is session-level (it runs once per conversation) but "
                f"asks for {', '.join(repr(w) for w in wrong)}, which belong to one record; "
                "ask for session (the traces), conversation (the turns) and expectations"
            )

    @property
    def is_session_level_scorer(self) -> bool:
        """Whether the scorer runs once per conversation (MLflow's name)."""
        return self.level == "session"

    def _signature_target(self) -> Callable[..., Any]:
        if type(self).__call__ is not Scorer.__call__:  # overridden: the older extension point
            return self.__call__
        return self.score

    def __call__(self, **kwargs: Any) -> ScorerValue:
        """Score one record, given the fields this scorer declares, as keyword arguments."""
        return self.score(**kwargs)

    def score(self, *args: Any, **kwargs: Any) -> ScorerValue:
        """Score one record: implement it with the record fields the scorer needs.

        Declare them as keyword parameters (``inputs``, ``outputs``, ``expectations``,
        ``trace``); the engine passes only those. A parameter without a default is required.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement score")

    @property
    def arguments(self) -> tuple[str, ...]:
        """The record fields this scorer receives."""
        return self._arguments

    @property
    def required_arguments(self) -> tuple[str, ...]:
        """The record fields this scorer cannot do without."""
        return self._required

    def run(
        self,
        *,
        inputs: Any = None,
        outputs: Any = None,
        expectations: Any = None,
        trace: Any = None,
        session: Any = None,
    ) -> ScorerValue:
        """Score one record (or, with ``session``, one conversation's traces), passing only
        the fields this scorer declares (as MLflow's ``run``).

        A single ``Feedback`` without a name comes back named after the scorer, as in
        :func:`evalkit.evaluate` (a list of them is returned as it is).
        """
        given = {
            "inputs": inputs,
            "outputs": outputs,
            "expectations": expectations,
            "trace": trace,
            "session": session,
        }
        value = self(**{k: given[k] for k in self._arguments if k in given})
        if isinstance(value, Feedback) and value.name is None:
            value = dataclasses.replace(value, name=self.name)
        return value

    def model_dump(self) -> dict[str, Any]:
        """This scorer as JSON-ready data, for :meth:`register` and :meth:`model_validate`.

        A ``Scorer`` class (built-ins, judges, your subclasses) is stored by its import path
        and its configuration; an ``@scorer`` function by its import path. Never source code:
        :meth:`model_validate` imports the path, so the module must be importable where the
        scorer is loaded.

        Raises:
            ScorerError: The scorer cannot be stored as data: it is defined in ``__main__``
                or inside a function, a field is not JSON, or an aggregation is a callable.
        """
        cls = type(self)
        data: dict[str, Any] = {
            "serialization_version": SERIALIZATION_VERSION,
            "name": self.name,
            "aggregations": self._stored_aggregations(),
            "class_path": _importable_path(cls, f"scorer {self.name!r}", cls.__qualname__),
            "config": self._dump_config(),
        }
        try:
            json.dumps(data, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ScorerError(
                f"scorer {self.name!r} cannot be stored: its configuration is not JSON ({exc})"
            ) from exc
        return data

    def _stored_aggregations(self) -> list[str]:
        out: list[str] = []
        for a in self.aggregations or ():
            if not isinstance(a, str):
                raise ScorerError(
                    f"scorer {self.name!r} cannot be stored: aggregation {a!r} is a callable; "
                    "only named aggregations ('mean', 'p90', ...) are stored"
                )
            out.append(a)
        return out

    def _dump_config(self) -> dict[str, Any]:
        """The constructor arguments :meth:`model_validate` passes back (JSON values)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if f.name in ("name", "aggregations") or not f.init:
                continue
            out[f.name] = getattr(self, f.name)
        return out

    @classmethod
    def _load_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        """Turn :meth:`_dump_config`'s data back into constructor arguments."""
        return config

    @classmethod
    def model_validate(cls, data: dict[str, Any] | str) -> Scorer:
        """The scorer that :meth:`model_dump` described (a dict or its JSON text).

        Raises:
            ScorerError: The data is not a stored scorer, or its class or function cannot
                be imported here.
        """
        if isinstance(data, str):
            data = json.loads(data)
        if not isinstance(data, dict) or not ("class_path" in data or "call_path" in data):
            raise ScorerError(
                f"not a stored scorer (expected a dict from Scorer.model_dump()): {data!r:.200}"
            )
        name = data.get("name")
        aggregations = data.get("aggregations") or None
        if "call_path" in data:
            target = _import_path(data["call_path"], "scorer function")
            if isinstance(target, Scorer):
                target = getattr(target, "func", None) or target
            if isinstance(target, Scorer):
                return dataclasses.replace(target, name=name or target.name)
            if not callable(target):
                raise ScorerError(f"stored scorer {data['call_path']!r} is not callable")
            return scorer(name=name, aggregations=aggregations)(target)
        target = _import_path(data["class_path"], "scorer class")
        if not (isinstance(target, type) and issubclass(target, Scorer)):
            raise ScorerError(f"stored scorer class {data['class_path']!r} is not a Scorer")
        config = target._load_config(dict(data.get("config") or {}))
        return target(name=name or "", aggregations=aggregations, **config)

    def register(self, *, name: str | None = None, experiment_id: str | None = None) -> Scorer:
        """Store this scorer in the experiment (default: the active one) under ``name``.

        Each call adds a version (1, 2, ...); load it back with
        :func:`evalkit.genai.scorers.get_scorer`. What is stored is :meth:`model_dump`'s data.

        Args:
            name: The registered name (default: the scorer's name).
            experiment_id: The experiment (default: the active one, else ``Default``).

        Returns:
            A copy of this scorer named ``name``.

        Raises:
            ScorerError: The scorer cannot be stored as data (see :meth:`model_dump`).
            TrackingError: The experiment does not exist or the name is not usable.
        """
        chosen = name or self.name
        registered = dataclasses.replace(self, name=chosen) if chosen != self.name else self
        data = registered.model_dump()
        if _scorer_storage is None:
            # The package (imported before any of its modules) wires the tracking layer in;
            # asked now, so that ``import evalkit`` does not import this layer to push it.
            sys.modules["evalkit"]._use_stored_scorers()
        _scorer_storage.register_scorer_data(chosen, data, experiment_id)
        return registered

    def config(self) -> dict[str, Any]:
        """The scorer's configuration (its fields but name), for logging as run params."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if f.name == "name" or not f.repr:
                continue
            value = getattr(self, f.name)
            if f.name == "aggregations":
                value = [a if isinstance(a, str) else getattr(a, "__name__", "?") for a in value]
            out[f.name] = value
        return out


class BatchScorer(Scorer):
    """A scorer that scores whole columns at once.

    Implement :meth:`score_batch` with the columns you need (any of ``inputs``,
    ``outputs``, ``expectations``, ``trace``, ``latency``), each a list with one entry per
    row, and return a sequence of one value per row. Calling the scorer on one record
    still works and scores a batch of one.
    """

    _allowed_arguments: ClassVar[tuple[str, ...]] = BATCH_ARGUMENTS
    computes_only: ClassVar[bool] = False
    """``True`` when :meth:`score_batch` only computes in Python (no I/O, no model, no
    waiting): the engine then runs it in the calling thread, one such scorer after another,
    while its thread pool runs everything else. Threads cannot run Python computation side
    by side, and switching between several that try costs about a tenth more CPU. Leave it
    ``False`` for a scorer that calls a service or releases the GIL."""

    def _check_level(self) -> None:
        if self.level != "row":
            raise ScorerError(
                f"batch scorer {self.name!r} scores columns of records; it cannot be "
                "session-level (write a @scorer(level='session') function instead)"
            )

    def _signature_target(self) -> Callable[..., Any]:
        return self.score_batch

    def score_batch(self, *args: Any, **columns: Any) -> Sequence[ScorerValue]:
        """Score every row: each keyword is a column, the result has one value per row.

        Implement it with the columns the scorer needs as keyword parameters, each a
        sequence with one entry per row.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement score_batch")

    def __call__(self, **kwargs: Any) -> ScorerValue:
        values = self.score_batch(**{k: [kwargs.get(k)] for k in self._arguments})
        return values[0]


class _FunctionScorer(Scorer):
    """A scorer made from a plain function by :func:`scorer`."""

    func: Callable[..., ScorerValue] = dataclasses.field(default=None, repr=False)  # type: ignore[assignment]

    def _signature_target(self) -> Callable[..., Any]:
        return self.func

    def __call__(self, *args: Any, **kwargs: Any) -> ScorerValue:
        return self.func(*args, **kwargs)

    def model_dump(self) -> dict[str, Any]:
        """This ``@scorer`` function as data: its import path, name and aggregations."""
        fn = self.func
        return {
            "serialization_version": SERIALIZATION_VERSION,
            "name": self.name,
            "aggregations": self._stored_aggregations(),
            "call_path": _importable_path(
                fn, f"scorer {self.name!r}", getattr(fn, "__qualname__", "<unknown>")
            ),
        }


@overload
def scorer(func: Callable[..., ScorerValue], /) -> Scorer: ...


@overload
def scorer(
    func: None = None,
    /,
    *,
    name: str | None = None,
    aggregations: list[Aggregation] | None = None,
    level: str = "row",
) -> Callable[[Callable[..., ScorerValue]], Scorer]: ...


def scorer(
    func: Callable[..., ScorerValue] | None = None,
    /,
    *,
    name: str | None = None,
    aggregations: list[Aggregation] | None = None,
    level: str = "row",
) -> Scorer | Callable[[Callable[..., ScorerValue]], Scorer]:
    """Turn a function into a scorer; use bare (``@scorer``) or with options.

    The function declares the record fields it needs among ``inputs``, ``outputs``,
    ``expectations`` and ``trace``, and returns a bool, number, string, ``Feedback`` or a
    list of ``Feedback`` (each its own metric, named by ``Feedback.name``). The decorated
    object is still callable directly, for tests.

    Args:
        func: The function, when used bare.
        name: The metric name; defaults to the function's name.
        aggregations: Aggregations over rows (default ``["mean"]``); see :class:`Scorer`.
        level: ``"row"`` (default) or ``"session"``: score each conversation once; the
            function then asks for ``session`` (its traces), ``conversation`` (its turns,
            dicts with ``inputs``/``outputs``/``trace``) and/or ``expectations``. Asking for
            ``session`` or ``conversation`` makes a scorer session-level by itself.

    Returns:
        A :class:`Scorer`, or a decorator that makes one.

    Example:
        >>> @scorer(aggregations=["mean", "p90"])
        ... def answer_length(outputs: str) -> int:
        ...     return len(outputs.split())
        >>> answer_length(outputs="two words")
        2
    """

    def wrap(fn: Callable[..., ScorerValue]) -> Scorer:
        if not callable(fn):
            raise ScorerError(f"@scorer needs a function, got {fn!r}")
        made = _FunctionScorer(
            name=name or getattr(fn, "__name__", "") or "scorer",
            aggregations=aggregations,
            level=level,
            func=fn,
        )
        made.__doc__ = fn.__doc__
        made.__wrapped__ = fn  # type: ignore[attr-defined]
        return made

    if func is not None:
        return wrap(func)
    return wrap


def _importable_path(target: Any, owner: str, qualname: str) -> str:
    module = getattr(target, "__module__", None)
    if not module or module == "__main__" or "<" in qualname:
        raise ScorerError(
            f"{owner} cannot be stored: {qualname!r} is defined "
            f"{'in __main__' if module == '__main__' else 'inside a function'}, and evalkit "
            "stores scorers by import path, never as source code; move it to an importable "
            "module"
        )
    return f"{module}:{qualname}"


def _row_callable(s: Scorer) -> Callable[..., ScorerValue]:
    """The cheapest callable that scores one row for ``s`` (skips a wrapper for functions)."""
    return s.func if isinstance(s, _FunctionScorer) else s
