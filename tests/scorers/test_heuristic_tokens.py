"""Token counts equal tiktoken's, from files already on the machine."""

from __future__ import annotations

from pathlib import Path

import pytest
import tiktoken
from heuristic_pairs import pairs

from evalkit.errors import MissingDependencyError
from evalkit.scorers import Latency, TokenCount
from evalkit.scorers.tokens import _litellm_tokenizers_dir, load_encoding


@pytest.mark.parametrize("encoding", ["cl100k_base", "o200k_base"])
def test_token_count_equals_tiktoken(encoding: str, monkeypatch: pytest.MonkeyPatch) -> None:
    bundled = _litellm_tokenizers_dir()
    assert bundled is not None
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(bundled))  # let tiktoken itself read them too
    reference = tiktoken.get_encoding(encoding)
    texts = sorted({t for pair in pairs() for t in pair})
    got = TokenCount(encoding=encoding).score_batch(outputs=texts)
    assert got == [len(reference.encode(t)) for t in texts]


def test_non_strings_have_no_value_and_special_tokens_are_row_errors() -> None:
    got = TokenCount().score_batch(outputs=["hello world", None, 3, "a <|endoftext|> b", "a <| b"])
    assert got[:3] == [2, None, None]
    assert got[3].error.error_code == "ValueError" and "special token" in got[3].error.error_message
    assert got[4] == len(load_encoding("cl100k_base").encode("a <| b"))


def test_an_encoding_that_is_not_on_the_machine_fails_when_the_scorer_is_built(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    load_encoding.cache_clear()
    try:
        with pytest.raises(MissingDependencyError, match="TIKTOKEN_CACHE_DIR"):
            TokenCount(encoding="r50k_base")
        with pytest.raises(MissingDependencyError, match="unknown tiktoken encoding"):
            TokenCount(encoding="nope")
    finally:
        load_encoding.cache_clear()


def test_latency_reports_predict_fn_time() -> None:
    assert Latency().score_batch(latency=[0.5, None]) == [0.5, None]
