"""tiktoken's encodings load from files on the machine, through TIKTOKEN_CACHE_DIR, offline.

Run as a fresh user would: a new process with an empty home and temporary folder, no cache
variables set, the network blocked (``EVALKIT_BLOCK_NETWORK=1`` refuses every connection
beyond loopback and records the attempt).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_CODE = """
import json, os
import evalkit
import tiktoken
from evalkit.scorers import TokenCount
from evalkit.scorers.tokens import load_encoding
from evalkit.testing.network import network_violations

counts = {
    name: TokenCount(encoding=name).score_batch(outputs=["hello world", "Acme Cache"])
    for name in ("cl100k_base", "o200k_base")
}
print(json.dumps({
    "counts": counts,
    "tiktokens_own": load_encoding("cl100k_base") is tiktoken.get_encoding("cl100k_base"),
    "cache_dir_left_set": "TIKTOKEN_CACHE_DIR" in os.environ,
    "violations": network_violations(),
}))
"""


def test_encodings_load_offline_in_an_empty_home(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("TIKTOKEN_CACHE_DIR", "DATA_GYM_CACHE_DIR", "XDG_CACHE_HOME")
    }
    env.update(
        HOME=str(tmp_path),
        TMPDIR=str(tmp_path),  # tiktoken's default cache, data-gym-cache, is empty here
        EVALKIT_BLOCK_NETWORK="1",
        PYTHONPATH=str(ROOT),
    )
    done = subprocess.run(
        [sys.executable, "-c", _CODE],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["violations"] == []
    assert got["counts"] == {"cl100k_base": [2, 3], "o200k_base": [2, 3]}
    assert got["tiktokens_own"] is True  # tiktoken built it; nothing of tiktoken was patched
    assert got["cache_dir_left_set"] is False  # the variable is set only while loading
    assert list(tmp_path.iterdir()) == []  # nothing was downloaded or cached
