"""What an answer costs: its token count and the time ``predict_fn`` took to produce it.

``TokenCount`` counts tokens with a tiktoken encoding (``cl100k_base`` by default, as
``mlflow.metrics.token_count()``). tiktoken would download its encoding file on first use;
evalkit never lets it: it finds the file on this machine first — in ``TIKTOKEN_CACHE_DIR`` /
``DATA_GYM_CACHE_DIR`` / tiktoken's own cache, then the copies that litellm (a dependency)
ships (``cl100k_base``, ``o200k_base``, ``p50k_base``) — checks its SHA-256, and points
tiktoken's documented ``TIKTOKEN_CACHE_DIR`` at that folder while tiktoken builds the
encoding. An encoding whose file is nowhere on the machine is an error, not a download.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

from evalkit.errors import MissingDependencyError
from evalkit.scorers._common import STANDARD_AGGREGATIONS, TEXT_PRESETS, no_aggregates, row_error
from evalkit.scorers.base import BatchScorer, ScorerValue
from evalkit.scorers.registry import builtin

__all__ = ["Latency", "TokenCount", "find_encoding_file"]

_load_lock = threading.Lock()

_BLOB = "https://openaipublic.blob.core.windows.net/encodings/"
_FILES = {  # encoding -> (file URL, SHA-256), as tiktoken_ext.openai_public names them
    "r50k_base": (
        _BLOB + "r50k_base.tiktoken",
        "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930",
    ),
    "p50k_base": (
        _BLOB + "p50k_base.tiktoken",
        "94b5ca7dff4d00767bc256fdd1b27e5b17361d7b8a5f968547f9f23eb70d2069",
    ),
    "p50k_edit": (
        _BLOB + "p50k_base.tiktoken",
        "94b5ca7dff4d00767bc256fdd1b27e5b17361d7b8a5f968547f9f23eb70d2069",
    ),
    "cl100k_base": (
        _BLOB + "cl100k_base.tiktoken",
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    ),
    "o200k_base": (
        _BLOB + "o200k_base.tiktoken",
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    ),
    "o200k_harmony": (
        _BLOB + "o200k_base.tiktoken",
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    ),
}


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


@lru_cache(maxsize=8)
def load_encoding(name: str) -> Any:
    """tiktoken's ``Encoding`` called ``name``, built from a file on this machine only.

    Raises:
        MissingDependencyError: The encoding is unknown, needs more than one file (``gpt2``),
            or its file is not on this machine.
    """
    if name not in _FILES:
        raise MissingDependencyError(
            f"unknown tiktoken encoding {name!r} (or one that needs files evalkit cannot find "
            f"offline); use one of {', '.join(_FILES)} ('r50k_base' has gpt2's tokens)"
        )
    url, sha256 = _FILES[name]
    path = find_encoding_file(url, sha256)
    if path is None:
        raise MissingDependencyError(
            f"the tiktoken file {url} is not on this machine and evalkit never downloads it; "
            "download it once elsewhere and put it in a folder named by TIKTOKEN_CACHE_DIR "
            f"(as the file {hashlib.sha1(url.encode()).hexdigest()}), or use "
            "encoding='cl100k_base' or 'o200k_base', which are installed"
        )
    import tiktoken

    with _load_lock:  # tiktoken reads the variable while it builds the encoding
        before = os.environ.get("TIKTOKEN_CACHE_DIR")
        os.environ["TIKTOKEN_CACHE_DIR"] = str(path.parent)
        try:
            return tiktoken.get_encoding(name)
        finally:
            if before is None:
                del os.environ["TIKTOKEN_CACHE_DIR"]
            else:
                os.environ["TIKTOKEN_CACHE_DIR"] = before


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

    computes_only: ClassVar[bool] = True

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
        # Without special tokens encode() is encode_ordinary(). A plain loop over it beats
        # encode_ordinary_batch: the batch form hands each text to a Python thread pool,
        # which costs more than encoding a short text (2,000 answers: 11 ms vs 50 ms CPU).
        encode = enc.encode_ordinary
        for i in plain:
            results[i] = len(encode(outputs[i]))
        return results


@builtin(
    "latency",
    kind="heuristic",
    mlflow_key="latency",
    greater_is_better=False,
    mlflow_aggregates=no_aggregates,
)
class Latency(BatchScorer):
    """Seconds ``predict_fn`` took for the row (MLflow's ``latency``); none without one."""

    computes_only: ClassVar[bool] = True

    def __post_init__(self) -> None:
        self.name = self.name or "latency"
        if self.aggregations is None:
            self.aggregations = list(STANDARD_AGGREGATIONS)
        super().__post_init__()

    def score_batch(self, *, latency: Sequence[Any]) -> list[ScorerValue]:
        """Each row's latency in seconds."""
        return [None if v is None else float(v) for v in latency]
