"""Registered scorers of an experiment, kept as data: one JSON file per version.

``Scorer.register`` (see :mod:`evalkit.genai.scorers`) stores what
``Scorer.model_dump()`` returns — a built-in or a ``make_judge`` judge by its
configuration, an ``@scorer`` function by its import path — never source code to run.
The files live in the experiment's artifact folder::

    <artifact_location>/scorers/<name>/<version>.json

A version file is written under a private name and then hard-linked to ``<version>.json``
(a link never replaces a file), so two processes registering the same name at once get two
versions rather than one lost write, and a reader never sees a half-written file.
This module stores and reads the dicts; turning them into scorers is
``Scorer.model_validate``'s job.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from dataclasses import dataclass
from typing import Any

from evalkit.errors import TrackingError
from evalkit.tracking import fluent

__all__ = [
    "ScorerVersion",
    "delete_scorer_versions",
    "get_scorer_version",
    "list_scorer_versions",
    "list_scorers_latest",
    "register_scorer_data",
]

_NAME = re.compile(r"^[A-Za-z0-9_.\- ]{1,200}$")
_VERSION_FILE = re.compile(r"^(\d+)\.json$")


@dataclass(frozen=True, kw_only=True, slots=True)
class ScorerVersion:
    """One registered version of a scorer: its name, version and serialized form."""

    experiment_id: str
    """The experiment it is registered in."""
    name: str
    """The registered name."""
    version: int
    """1 for the first registration of the name, then 2, 3, ..."""
    serialized_scorer: dict[str, Any]
    """What ``Scorer.model_dump()`` returned."""


def _experiment_folder(experiment_id: str | None) -> tuple[str, str]:
    store = fluent._store()
    chosen = (
        str(experiment_id) if experiment_id is not None else fluent.current_experiment_id(store)
    )
    experiment = store.get_experiment(chosen)
    if experiment is None:
        raise TrackingError(
            f"no experiment with id {chosen!r}: create it or set_experiment() first"
        )
    location = experiment.artifact_location
    if location.startswith("file://"):
        location = location[len("file://") :]
    if "://" in location:
        raise TrackingError(
            f"experiment {chosen!r} keeps artifacts at {location!r}; registered scorers need a "
            "local or mounted folder"
        )
    return chosen, os.path.join(location, "scorers")


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name) or name in (".", ".."):
        raise TrackingError(
            f"scorer name {name!r} cannot be registered: use letters, digits, spaces and "
            "'_', '-', '.' (at most 200 characters)"
        )
    return name


def _versions(folder: str) -> list[int]:
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return []
    return sorted(int(m.group(1)) for n in names if (m := _VERSION_FILE.match(n)))


def _read(experiment_id: str, name: str, folder: str, version: int) -> ScorerVersion:
    with open(os.path.join(folder, f"{version}.json"), encoding="utf-8") as f:
        data = json.load(f)
    return ScorerVersion(
        experiment_id=experiment_id, name=name, version=version, serialized_scorer=data
    )


def register_scorer_data(name: str, data: dict[str, Any], experiment_id: str | None = None) -> int:
    """Store ``data`` as the next version of scorer ``name``; return that version.

    Raises:
        TrackingError: The name cannot be a file name, the experiment does not exist or
            ``data`` is not JSON.
    """
    experiment_id, root = _experiment_folder(experiment_id)
    folder = os.path.join(root, _check_name(name))
    try:
        text = json.dumps(data, indent=2, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TrackingError(f"scorer {name!r} cannot be stored as JSON: {exc}") from exc
    os.makedirs(folder, exist_ok=True)
    # Write the whole file under a private name, then link it to the next free version name:
    # a link never replaces an existing file, so concurrent registrations get distinct versions
    # and a reader never sees a half-written file.
    scratch = os.path.join(folder, f".register-{uuid.uuid4().hex}.json")
    fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # mode as the umask says
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        version = (_versions(folder) or [0])[-1] + 1
        while True:
            try:
                os.link(scratch, os.path.join(folder, f"{version}.json"))
            except FileExistsError:  # another process took this version
                version += 1
                continue
            return version
    finally:
        os.unlink(scratch)


def get_scorer_version(
    name: str, experiment_id: str | None = None, version: int | None = None
) -> ScorerVersion:
    """The stored version ``version`` (default: the latest) of scorer ``name``.

    Raises:
        TrackingError: No such scorer or version in the experiment.
    """
    experiment_id, root = _experiment_folder(experiment_id)
    folder = os.path.join(root, _check_name(name))
    versions = _versions(folder)
    if not versions:
        raise TrackingError(
            f"no scorer named {name!r} is registered in experiment {experiment_id!r}"
        )
    chosen = versions[-1] if version is None else int(version)
    if chosen not in versions:
        raise TrackingError(
            f"scorer {name!r} has no version {version!r} in experiment {experiment_id!r}; "
            f"its versions: {versions}"
        )
    return _read(experiment_id, name, folder, chosen)


def list_scorer_versions(name: str, experiment_id: str | None = None) -> list[ScorerVersion]:
    """Every stored version of scorer ``name``, oldest first (empty when none)."""
    experiment_id, root = _experiment_folder(experiment_id)
    folder = os.path.join(root, _check_name(name))
    return [_read(experiment_id, name, folder, v) for v in _versions(folder)]


def list_scorers_latest(experiment_id: str | None = None) -> list[ScorerVersion]:
    """The latest version of every scorer registered in the experiment, by name."""
    experiment_id, root = _experiment_folder(experiment_id)
    try:
        names = sorted(os.listdir(root))
    except FileNotFoundError:
        return []
    out = []
    for name in names:
        versions = _versions(os.path.join(root, name))
        if versions:
            out.append(_read(experiment_id, name, os.path.join(root, name), versions[-1]))
    return out


def delete_scorer_versions(
    name: str, experiment_id: str | None = None, version: int | str | None = None
) -> None:
    """Delete version ``version`` of scorer ``name``, or every version with ``"all"``.

    Raises:
        TrackingError: ``version`` is missing (MLflow asks for an integer or ``"all"``), or
            the scorer or version does not exist.
    """
    if version is None:
        raise TrackingError("delete_scorer needs version=<an integer> or version='all'")
    experiment_id, root = _experiment_folder(experiment_id)
    folder = os.path.join(root, _check_name(name))
    versions = _versions(folder)
    if not versions:
        raise TrackingError(
            f"no scorer named {name!r} is registered in experiment {experiment_id!r}"
        )
    if version == "all":
        shutil.rmtree(folder)
        return
    if isinstance(version, bool) or not isinstance(version, int) or version not in versions:
        raise TrackingError(
            f"scorer {name!r} has no version {version!r} in experiment {experiment_id!r}; "
            f"its versions: {versions}"
        )
    os.remove(os.path.join(folder, f"{version}.json"))
