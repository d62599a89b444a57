"""Keeping secrets out of what is logged: params, tags, artifacts.

A value is replaced by :data:`REDACTED` when its key looks like a credential (``api_key``,
``token``, ``Authorization``, ``password``, ``secret``...), and any string that contains
the value of a credential-like environment variable (``OPENAI_API_KEY``...) has it cut out.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["REDACTED", "redact"]

REDACTED = "<redacted>"
"""What a secret is replaced with."""

_SECRET_KEY = re.compile(
    # "token" but not "max_tokens", "input_tokens" or "tokenizer": counts and names are no secret
    r"api[_-]?key|token(?![si])|secret|passw|authori[sz]ation|credential|private[_-]?key"
    r"|cookie|bearer",
    re.IGNORECASE,
)


def _env_secrets() -> list[str]:
    return [
        v
        for k, v in os.environ.items()
        if _SECRET_KEY.search(k) or k.endswith(("_KEY", "_PAT"))
        if len(v) >= 8 and not os.path.isabs(v)  # TIKTOKEN_CACHE_DIR=/... names a folder
    ]


def redact(value: Any, *, _secrets: list[str] | None = None) -> Any:
    """``value`` with credentials replaced by :data:`REDACTED` (mappings and lists walked)."""
    secrets = _env_secrets() if _secrets is None else _secrets
    if isinstance(value, Mapping):
        return {
            k: REDACTED if _SECRET_KEY.search(str(k)) else redact(v, _secrets=secrets)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(v, _secrets=secrets) for v in value]
    if isinstance(value, str):
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
    return value
