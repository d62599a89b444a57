"""Keeping secrets out of what evalkit prints, stores and logs.

One set of rules for every place that writes something out (run params and tags, error
messages of model calls, URLs):

* a value is replaced by :data:`REDACTED` when its key looks like a credential (``api_key``,
  ``token``, ``Authorization``, ``password``, ``secret``, ``Ocp-Apim-Subscription-Key``...);
* any string that contains the value of a credential-like environment variable
  (``OPENAI_API_KEY``...), or a secret the caller names, has it cut out;
* ``user:password@`` in a URL, ``Bearer <token>`` and ``key=...`` query parameters are cut
  out of free text (:func:`redact_text`, :func:`redact_url`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["REDACTED", "is_secret_key", "redact", "redact_text", "redact_url", "secrets_in"]

REDACTED = "<redacted>"
"""What a secret is replaced with."""

_SECRET_KEY = re.compile(
    # "token" but not "max_tokens", "input_tokens" or "tokenizer": counts and names are no secret
    r"api[_-]?key|token(?![si])|secret|passw|authori[sz]ation|credential|private[_-]?key"
    r"|cookie|bearer|subscription[_-]?key|access[_-]?key",
    re.IGNORECASE,
)
_URL_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^/\s@]+)@")
_BEARER = re.compile(r"(?P<word>\b(?:Bearer|Basic)\s+)[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE)
_QUERY_SECRET = re.compile(
    r"(?P<name>[?&](?:api[_-]?key|key|token|access_token|sig)=)[^&#\s'\"]+",
    re.IGNORECASE,
)
_MIN_SECRET = 8  # shorter values would cut common words out of every message


def is_secret_key(name: object) -> bool:
    """Whether a parameter, header or variable called ``name`` holds a credential."""
    return bool(_SECRET_KEY.search(str(name)))


def _env_secrets() -> list[str]:
    return [
        v
        for k, v in os.environ.items()
        if _SECRET_KEY.search(k) or k.endswith(("_KEY", "_PAT"))
        if len(v) >= _MIN_SECRET and not os.path.isabs(v)  # TIKTOKEN_CACHE_DIR=/... is a folder
    ]


def secrets_in(*mappings: Mapping[str, Any] | None) -> list[str]:
    """The values held under credential-like keys of ``mappings`` (parameters, headers)."""
    found: list[str] = []
    for mapping in mappings:
        for key, value in (mapping or {}).items():
            if is_secret_key(key) and isinstance(value, str) and len(value) >= _MIN_SECRET:
                found.append(value)
                if " " in value:  # "Bearer sk-...": the token alone may be echoed too
                    found.extend(p for p in value.split() if len(p) >= _MIN_SECRET)
    return found


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
        if "://" in value:  # user:password@ and ?key=... in a URL (api_base, a store URI)
            value = redact_url(value)
    return value


def redact_url(url: str) -> str:
    """``url`` without ``user:password@`` and without secret query parameters."""
    url = _URL_USERINFO.sub(lambda m: f"{m['scheme']}{REDACTED}@", url)
    return _QUERY_SECRET.sub(lambda m: f"{m['name']}{REDACTED}", url)


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Free text (an error message, a provider's error body) with credentials cut out.

    Args:
        text: The text to clean.
        secrets: Values known to be secret here (an ``api_key`` parameter, a header value),
            cut out as well as the environment's credentials.

    Returns:
        ``text`` with every secret replaced by :data:`REDACTED`.
    """
    known = sorted({s for s in (*secrets, *_env_secrets()) if len(s) >= _MIN_SECRET}, key=len)
    for secret in reversed(known):  # the longest first, so a prefix does not leave a tail
        if secret in text:
            text = text.replace(secret, REDACTED)
    text = redact_url(text)
    return _BEARER.sub(lambda m: f"{m['word']}{REDACTED}", text)
