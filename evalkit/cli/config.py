"""Project configuration for the ``evalkit`` command: ``evalkit.toml`` or ``[tool.evalkit]``.

Keys (all optional; command-line options win)::

    scorers = ["exact_match", "rougeL", "judges/quality.yaml", "my_scorers:tone"]
    predict = "my_app:answer"         # module:function called as predict_fn(**inputs)
    data = "datasets/acme_qa.jsonl"   # the default DATA of `evalkit eval`
    experiment = "acme-qa"            # experiment the runs are logged to
    tracking_uri = "sqlite:///evalkit-runs/evalkit.db"
    judge_model = "openai:/gpt-4.1-mini"   # model for built-in judges named on the command line
    max_workers = 8
    cache = "on"                      # the judge-call cache: "on", "read-only" or "off"
    max_cost = 5.0                    # USD; no judge call starts once it is spent
    require = ["exact_match/mean>=0.6"]    # default thresholds of `evalkit gate`
    max_error_rate = 0.5              # `evalkit eval` exits 1 past this share of failed rows
    judge_mode = "batch"              # judge calls through the OpenAI Batch API (half price)

    [rate_limits."openai:/gpt-4o"]    # the provider's per-minute limits of a judge model
    rpm = 500
    tpm = 200000

    [[deployments."openai:/gpt-4o"]]  # several deployments/keys of one model (litellm Router)
    api_key = "os.environ/OPENAI_KEY_A"    # litellm reads the key from this variable
    [[deployments."openai:/gpt-4o"]]
    api_base = "https://eu.example.com/v1"
    api_key = "os.environ/OPENAI_KEY_B"

``tracking_uri`` is used only when neither ``--tracking-uri`` nor ``EVALKIT_TRACKING_URI``
names a store: the file comes with a checkout, the environment with the machine.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalkit.errors import ConfigError

__all__ = ["ConfigError", "ProjectConfig", "load_config"]


_TYPES: dict[str, type | tuple[type, ...]] = {
    "scorers": list,
    "predict": str,
    "data": str,
    "experiment": str,
    "tracking_uri": str,
    "judge_model": str,
    "max_workers": int,
    "cache": str,
    "max_cost": (int, float),
    "require": list,
    "max_error_rate": (int, float),
    "rate_limits": dict,
    "deployments": dict,
    "judge_mode": str,
}


@dataclass(frozen=True, kw_only=True)
class ProjectConfig:
    """The settings read from the project's configuration file."""

    source: Path | None = None
    """The file they came from; ``None`` when the project has none."""
    values: dict[str, Any] = field(default_factory=dict)
    """The settings, keyed as in the file."""

    def get(self, key: str, default: Any = None) -> Any:
        """A setting, or ``default`` when the file does not set it."""
        return self.values.get(key, default)


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except OSError as exc:
        raise ConfigError(f"cannot read config file {str(path)!r}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {str(path)!r} is not valid TOML: {exc}") from None


def _check(values: dict[str, Any], where: str) -> dict[str, Any]:
    for key, value in values.items():
        if key not in _TYPES:
            allowed = ", ".join(sorted(_TYPES))
            raise ConfigError(f"{where}: unknown key {key!r}; the keys are {allowed}")
        expected = _TYPES[key]
        if not isinstance(value, expected) or isinstance(value, bool):
            kind = expected.__name__ if isinstance(expected, type) else "value"
            raise ConfigError(f"{where}: {key!r} must be a {kind}, got {value!r}")
        if isinstance(value, list) and not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: every entry of {key!r} must be a string")
    return values


def load_config(path: str | Path | None = None, *, directory: Path | None = None) -> ProjectConfig:
    """Read ``path``, or else ``evalkit.toml``, or else ``[tool.evalkit]`` of pyproject.toml.

    Args:
        path: An explicit config file (``--config``); it must exist.
        directory: Where to look for the default files (the current directory).

    Raises:
        ConfigError: The file is missing (when named), unreadable, or has a bad key.
    """
    if path is not None:
        file = Path(path)
        if not file.is_file():
            raise ConfigError(f"config file {str(file)!r} does not exist")
        data = _read(file)
        if file.name == "pyproject.toml" or "tool" in data:
            data = data.get("tool", {}).get("evalkit", {})
        return ProjectConfig(source=file, values=_check(dict(data), str(file)))
    base = directory or Path.cwd()
    own = base / "evalkit.toml"
    if own.is_file():
        return ProjectConfig(source=own, values=_check(_read(own), str(own)))
    pyproject = base / "pyproject.toml"
    if pyproject.is_file():
        section = _read(pyproject).get("tool", {}).get("evalkit")
        if isinstance(section, dict):
            where = f"{pyproject} [tool.evalkit]"
            return ProjectConfig(source=pyproject, values=_check(dict(section), where))
    return ProjectConfig()
