"""Shared by the UI tests: payloads, the served app's facts, screenshots."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

# Each payload, if it ever ran, would set window.__xss; the tests also look for any element
# the payload would have made (a script, an event handler, a javascript: link).
PAYLOADS = [
    "<script>window.__xss=1</script>",
    '<img src=x onerror="window.__xss=2">',
    "<svg onload=window.__xss=3><circle r=9></circle></svg>",
    "javascript:window.__xss=4",
    '"><a href="javascript:window.__xss=5">click</a>',
]
EVIL = " ".join(PAYLOADS)


@dataclass
class Served:
    """The UI on loopback over a store with three runs."""

    url: str
    """``http://127.0.0.1:PORT/``."""
    experiment_id: str
    runs: list[str]
    """Run ids: v1 (qa_small), v2 (qa_small_v2), long (250 rows)."""
    evil_run: str
    """A run whose every name, tag, metric, input, output and rationale is a payload."""
    evil_experiment_id: str


def screenshot(driver: Any, name: str) -> Path:
    """Save a full-page PNG under tests/artifacts/ (git-ignored) and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1400, min(max(int(height), 800), 4000))
    path = ARTIFACTS / name
    driver.save_screenshot(str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    driver.set_window_size(1400, 1000)
    return path
