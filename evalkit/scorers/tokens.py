"""What an answer costs: its token count and the time ``predict_fn`` took to produce it.

``TokenCount`` counts tokens with a tiktoken encoding (``cl100k_base`` by default, as
``mlflow.metrics.token_count()``). tiktoken would download its encoding files on first
use; evalkit reads them from files already on the machine instead, never from the network:
``TIKTOKEN_CACHE_DIR`` / ``DATA_GYM_CACHE_DIR`` / tiktoken's own cache, then the copies
that litellm (a dependency) ships (``cl100k_base``, ``o200k_base``, ``p50k_base``).
"""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile
import threading
import types
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from evalkit.errors import MissingDependencyError
from evalkit.scorers._common import STANDARD_AGGREGATIONS, TEXT_PRESETS, no_aggregates, row_error
from evalkit.scorers.base import BatchScorer, ScorerValue
from evalkit.scorers.registry import builtin

__all__ = ["Latency", "TokenCount", "find_encoding_file"]

_load_lock = threading.Lock()


def _litellm_tokenizers_dir() -> Path | None:
    import importlib.util

    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "litellm_core_utils" / "tokenizers"


def _cache_dirs() -> list[Path]:
    dirs = [os.environ.get("TIKTOKEN_CACHE_DIR"), os.environ.get("DATA_GYM_CACHE_DIR")]
    found = [Path(d) for d in dirs if d]
    found.append(Path(tempfile.gettempdir()) / "data-gym-cache")
    bundled = _litellm_tokenizers_dir()
    if bundled is not None:
        found.append(bundled)
    return found


def find_encoding_file(url: str, expected_hash: str | None = None) -> Path | None:
    """The local copy of a tiktoken file (named, as tiktoken names it, by the URL's SHA-1)."""
    key = hashlib.sha1(url.encode()).hexdigest()
    for folder in _cache_dirs():
        path = folder / key
        if path.is_file():
            if expected_hash is None:
                return path
            if hashlib.sha256(path.read_bytes()).hexdigest() == expected_hash:
                return path
    return None


def _offline_bpe(url: str, expected_hash: str | None = None) -> dict[bytes, int]:
    path = find_encoding_file(url, expected_hash)
    if path is None:
        raise MissingDependencyError(
            f"the tiktoken file {url} is not on this machine and evalkit never downloads it; "
            "download it once elsewhere and put it in a folder named by TIKTOKEN_CACHE_DIR "
            f"(as the file {hashlib.sha1(url.encode()).hexdigest()}), or use "
            "encoding='cl100k_base' or 'o200k_base', which are installed"
        )
    ranks: dict[bytes, int] = {}
    for line in path.read_bytes().splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks


def _no_data_gym(*args: Any, **kwargs: Any) -> Any:
    raise MissingDependencyError(
        "the gpt2 encoding's files are not available offline; use encoding='r50k_base' "
        "(the same tokens) with its file in TIKTOKEN_CACHE_DIR, or 'cl100k_base'"
    )


@lru_cache(maxsize=8)
def load_encoding(name: str) -> Any:
    """A tiktoken ``Encoding`` built from local files only.

    tiktoken's own constructors (the encoding's pattern and special tokens) run with their
    file loader swapped for one that reads the local copies.

    Raises:
        MissingDependencyError: The encoding is unknown or its file is not on this machine.
    """
    import tiktoken
    from tiktoken_ext import openai_public

    with _load_lock:
        constructors = getattr(openai_public, "ENCODING_CONSTRUCTORS", {})
        if name not in constructors:
            raise MissingDependencyError(
                f"unknown tiktoken encoding {name!r}; use one of {', '.join(constructors)}"
            )
        namespace = dict(vars(openai_public))
        namespace["load_tiktoken_bpe"] = _offline_bpe
        namespace["data_gym_to_mergeable_bpe_ranks"] = _no_data_gym
        for fn in constructors.values():
            namespace[fn.__name__] = types.FunctionType(fn.__code__, namespace, fn.__name__)
        spec = namespace[constructors[name].__name__]()
        return tiktoken.Encoding(**spec)


@builtin(
    "token_count",
    kind="heuristic",
    mlflow_key="token_count",
    mlflow_aggregates=no_aggregates,
    presets=TEXT_PRESETS,
    preset_rank=0,
)
class TokenCount(BatchScorer):
    """Tokens in the output, counted with a tiktoken encoding (MLflow's ``token_count``).

    Args:
        encoding: The tiktoken encoding; ``cl100k_base`` (default) and ``o200k_base`` are
            available offline out of the box.
        name: Defaults to ``"token_count"``.

    A row whose output is not a string has no value (as in MLflow); text that contains a
    special token such as ``<|endoftext|>`` gets an error.
    """

    encoding: str = "cl100k_base"
    """The tiktoken encoding's name."""

    def __post_init__(self) -> None:
        self.name = self.name or "token_count"
        if self.aggregations is None:
            self.aggregations = list(STANDARD_AGGREGATIONS)
        super().__post_init__()
        load_encoding(self.encoding)  # fail now, with the fix in the message, not per row

    def score_batch(self, *, outputs: Sequence[Any]) -> list[ScorerValue]:
        """The token count of each row's output."""
        enc = load_encoding(self.encoding)
        results: list[ScorerValue] = [None] * len(outputs)
        plain: list[int] = []
        for i, output in enumerate(outputs):
            if not isinstance(output, str):
                continue
            if "<|" in output:  # may hold a special token: encode() decides, per row
                try:
                    results[i] = len(enc.encode(output))
                except ValueError as exc:
                    results[i] = row_error("ValueError", str(exc))
            else:
                plain.append(i)
        # Without special tokens encode() is encode_ordinary(); the batch form runs in
        # tiktoken's native threads, off the GIL.
        counts = enc.encode_ordinary_batch([outputs[i] for i in plain], num_threads=_threads())
        for i, tokens in zip(plain, counts, strict=True):
            results[i] = len(tokens)
        return results


def _threads() -> int:
    from evalkit.scorers._parallel import process_count

    return process_count(1 << 30, 1)


@builtin(
    "latency",
    kind="heuristic",
    mlflow_key="latency",
    greater_is_better=False,
    mlflow_aggregates=no_aggregates,
)
class Latency(BatchScorer):
    """Seconds ``predict_fn`` took for the row (MLflow's ``latency``); none without one."""

    def __post_init__(self) -> None:
        self.name = self.name or "latency"
        if self.aggregations is None:
            self.aggregations = list(STANDARD_AGGREGATIONS)
        super().__post_init__()

    def score_batch(self, *, latency: Sequence[Any]) -> list[ScorerValue]:
        """Each row's latency in seconds."""
        return [None if v is None else float(v) for v in latency]
