"""Turning scorer names from the command line or config into scorer objects.

A name is one of:

* a built-in metric or judge: ``exact_match``, ``rougeL``, ``Correctness``, ...;
* a judge spec file: ``judges/quality.yaml``;
* a plug-in module file or folder: ``scorers/style.py``, ``scorers/``;
* ``module:attribute``: a ``@scorer`` function, a ``Scorer`` instance or class, or a plain
  function (wrapped with ``@scorer``), imported with the current directory on the path.

With no names at all, the project's ``scorers/`` and ``judges/`` plug-in folders are
discovered. Project code runs only when it is named or discovered here: the current
directory goes at the *end* of ``sys.path``, so a project file named like an installed
library (``tenacity.py``) cannot replace that library.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib
import importlib.util
import inspect
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from evalkit.errors import EvalkitError, ScorerError
from evalkit.scorers.base import Scorer, scorer

__all__ = ["discover_plugins", "import_object", "resolve_predict_fn", "resolve_scorers"]

_JUDGE_SUFFIXES = (".yaml", ".yml")


def _ensure_cwd_on_path() -> None:
    """The project's modules importable, after every installed package, never before."""
    cwd = str(Path.cwd())
    if cwd not in sys.path:
        sys.path.append(cwd)


def _load_module_file(path: Path) -> ModuleType:
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:10]
    name = f"_evalkit_plugin_{path.stem}_{digest}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ScorerError(f"cannot import plug-in file {str(path)!r}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except EvalkitError:
        raise
    except Exception as exc:
        del sys.modules[name]
        raise ScorerError(
            f"plug-in file {str(path)!r} failed to import: {type(exc).__name__}: {exc}"
        ) from exc
    return module


def import_object(reference: str, what: str) -> Any:
    """Import ``module:attribute`` (the module may also be a ``.py`` file path).

    Raises:
        ScorerError: The module or the attribute cannot be found or imported.
    """
    module_name, _, attribute = reference.rpartition(":")
    if not module_name or not attribute:
        raise ScorerError(f"{what} {reference!r} is not of the form module:function")
    _ensure_cwd_on_path()
    if module_name.endswith(".py"):
        file = Path(module_name)
        if not file.is_file():
            raise ScorerError(f"{what} {reference!r}: file {module_name!r} does not exist")
        module = _load_module_file(file)
    else:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                raise ScorerError(
                    f"{what} {reference!r}: no module named {module_name!r} (looked in the "
                    "current directory and the installed packages)"
                ) from None
            raise ScorerError(f"{what} {reference!r}: importing it failed: {exc}") from exc
        except EvalkitError:
            raise
        except Exception as exc:
            raise ScorerError(
                f"{what} {reference!r}: importing {module_name!r} failed: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise ScorerError(
            f"{what} {reference!r}: module {module_name!r} has no attribute {attribute!r}"
        ) from None


def _as_scorer(value: Any, reference: str) -> Scorer:
    if isinstance(value, Scorer):
        return value
    if inspect.isclass(value) and issubclass(value, Scorer):
        try:
            return value()
        except Exception as exc:
            raise ScorerError(
                f"scorer {reference!r}: cannot build {value.__name__}() without arguments "
                f"({exc}); define an instance in your module and name that instead"
            ) from exc
    if callable(value):
        return scorer(value)
    raise ScorerError(
        f"scorer {reference!r} is a {type(value).__name__}, not a scorer; name a @scorer "
        "function, a Scorer instance or a Scorer class"
    )


def _scorers_in(module: ModuleType) -> list[Scorer]:
    found: dict[int, Scorer] = {}
    for value in vars(module).values():
        if isinstance(value, Scorer):
            found.setdefault(id(value), value)
    return list(found.values())


def _load_judge(path: Path) -> Scorer:
    from evalkit.judges import load_judge

    if not path.is_file():
        raise ScorerError(f"judge spec file {str(path)!r} does not exist")
    return _as_scorer(load_judge(path), str(path))


def _use_judge_model(model: str | None) -> None:
    """Make ``model`` the default of every judge that does not name its own."""
    if model is None:
        return
    from evalkit.judges import set_default_model

    set_default_model(model)


def _builtin(name: str) -> Scorer | None:
    """The built-in metric or judge called ``name`` (the registry's, as ``evaluate`` reads it)."""
    from evalkit.scorers import registry

    return registry.resolve(name) if registry.lookup(name) is not None else None


def _builtin_choices() -> list[str]:
    from evalkit.scorers import registry

    return [n.replace("<k>", "3") for n in registry.names()]


def _resolve_one(name: str) -> list[Scorer]:
    path = Path(name)
    if name.endswith(_JUDGE_SUFFIXES):
        return [_load_judge(path)]
    if name.endswith(".py") and ":" not in name:
        if not path.is_file():
            raise ScorerError(f"scorer plug-in file {name!r} does not exist")
        found = _scorers_in(_load_module_file(path))
        if not found:
            raise ScorerError(f"plug-in file {name!r} defines no @scorer or Scorer instance")
        return found
    if ":" in name:
        return [_as_scorer(import_object(name, "scorer"), name)]
    if ("/" in name or "\\" in name) and not path.exists():
        raise ScorerError(f"scorer path {name!r} does not exist")
    if path.is_dir():
        found = discover_plugins(path, path)
        if not found:
            raise ScorerError(f"folder {name!r} holds no scorer plug-ins or judge specs")
        return found
    builtin = _builtin(name)
    if builtin is not None:
        return [builtin]
    close = difflib.get_close_matches(name, _builtin_choices(), n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    raise ScorerError(
        f"unknown scorer {name!r}: not a built-in metric or judge, a judge spec file (.yaml), "
        f"a plug-in file (.py) or module:function{hint}"
    )


def discover_plugins(scorers_dir: Path | None, judges_dir: Path | None = None) -> list[Scorer]:
    """Every scorer in ``scorers_dir/*.py`` and every judge spec in ``judges_dir/*.yaml``.

    Files whose name starts with ``_`` are skipped.
    """
    found: list[Scorer] = []
    if scorers_dir is not None and scorers_dir.is_dir():
        for file in sorted(scorers_dir.glob("*.py")):
            if not file.name.startswith("_"):
                found.extend(_scorers_in(_load_module_file(file)))
    if judges_dir is not None and judges_dir.is_dir():
        for file in sorted(p for s in _JUDGE_SUFFIXES for p in judges_dir.glob(f"*{s}")):
            if not file.name.startswith("_"):
                found.append(_load_judge(file))
    return found


def resolve_scorers(names: list[str], judge_model: str | None = None) -> list[Scorer]:
    """The scorers that ``names`` stand for; with no names, the discovered plug-ins.

    Raises:
        ScorerError: A name is unknown or cannot be loaded, or nothing was found.
    """
    _use_judge_model(judge_model)
    if not names:
        cwd = Path.cwd()
        found = discover_plugins(cwd / "scorers", cwd / "judges")
        if not found:
            raise ScorerError(
                "no scorers: name them with --scorer NAME (e.g. --scorer exact_match), list "
                "them under 'scorers' in evalkit.toml, or add plug-ins to scorers/ or judges/"
            )
        return found
    resolved: list[Scorer] = []
    for name in names:
        resolved.extend(_resolve_one(name))
    return resolved


def resolve_predict_fn(reference: str) -> Callable[..., Any]:
    """The ``module:function`` named by ``--predict``.

    Raises:
        ScorerError: It cannot be imported or is not callable.
    """
    value = import_object(reference, "predict function")
    if not callable(value):
        raise ScorerError(
            f"predict function {reference!r} is a {type(value).__name__}, not callable"
        )
    return value
