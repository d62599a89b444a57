"""The conversation and agent datasets load, group and keep their promised labels."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from evalkit.data import normalize_data
from evalkit.engine import group_conversations
from evalkit.scorers.tool_calls import expected_tool_calls

DATASETS = Path(__file__).resolve().parents[1] / "datasets"
TOOLS = {
    "get_config",
    "set_config",
    "get_key",
    "set_key",
    "flush",
    "snapshot_now",
    "get_info",
    "search_docs",
}


def _load(name: str) -> list[dict[str, Any]]:
    with (DATASETS / name).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def test_conversations_group_into_ten_labelled_conversations() -> None:
    records = _load("acme_conversations.jsonl")
    rows = normalize_data(records)
    conversations = group_conversations(rows)
    assert len(rows) == 23 and len(conversations) == 10
    for c in conversations:
        assert 2 <= len(c.rows) <= 3
        assert [r.tags["turn"] for r in c.rows] == [str(n) for n in range(1, len(c.rows) + 1)]
        labels = {k: v for k, v in c.rows[0].tags.items() if k.startswith("label_")}
        assert all({k: r.tags[k] for k in labels} == labels for r in c.rows)
        assert c.arguments()["expectations"]["role"].startswith("You are the support assistant")
    first = [c.rows[0].tags for c in conversations]
    assert Counter(t["label_completeness"] for t in first) == {"yes": 7, "no": 3}
    assert Counter(t["label_frustration"] for t in first) == {
        "none": 7,
        "resolved": 2,
        "unresolved": 1,
    }
    assert Counter(t["label_retention"] for t in first)["no"] == 2
    assert Counter(t["label_role"] for t in first)["no"] == 1


def test_agent_tasks_expect_known_tools() -> None:
    records = _load("acme_agent.jsonl")
    rows = normalize_data(records)
    assert len(rows) == 12
    assert Counter(r.tags["category"] for r in rows) == {
        "read": 3,
        "write": 4,
        "multi-step": 3,
        "docs": 2,
    }
    for r in rows:
        calls = expected_tool_calls(r.expectations, "dataset")
        assert calls and {c.name for c in calls} <= TOOLS
