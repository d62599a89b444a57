"""``evalkit traces list | show``: listing with filters, the span tree, assessments, escaping."""

from __future__ import annotations

import json

import pytest
from trace_samples import EVIL, agent_trace

import evalkit.tracking as tracking
from evalkit.cli import main
from evalkit.entities.assessments import AssessmentSource


@pytest.fixture
def logged() -> list[str]:
    traces = [
        agent_trace("What is MLflow?", "A platform.", session="s1", offset_s=0),
        agent_trace("And evalkit?", "A framework.", session="s1", offset_s=10, error=True),
        agent_trace(EVIL, EVIL, offset_s=20),
    ]
    ids = tracking.log_traces(traces)
    tracking.log_feedback(
        ids[0],
        name="helpful",
        value=True,
        rationale="clear",
        source=AssessmentSource(source_type="HUMAN", source_id="ann"),
    )
    return ids


def test_list_newest_first_with_json_filter_and_max(
    logged: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["traces", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [t["trace_id"] for t in listed] == logged[::-1]
    first = listed[-1]
    assert first["state"] == "OK" and first["execution_duration_ms"] == 1500
    assert first["session_id"] == "s1" and first["spans"] == 3 and first["assessments"] == 1
    assert main(["traces", "list", "--filter", "attributes.status = 'ERROR'", "--json"]) == 0
    assert [t["trace_id"] for t in json.loads(capsys.readouterr().out)] == [logged[1]]
    assert main(["traces", "list", "--max", "1", "--experiment", "Default", "--json"]) == 0
    assert [t["trace_id"] for t in json.loads(capsys.readouterr().out)] == [logged[2]]
    assert main(["traces", "list"]) == 0
    text = capsys.readouterr().out
    assert "3 trace(s)" in text and logged[0] in text and "1.50 s" in text
    assert "\x1b" not in text


def test_show_prints_the_span_tree_timings_and_assessments(
    logged: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["traces", "show", logged[1]]) == 0
    text = capsys.readouterr().out
    lines = text.splitlines()
    agent = next(i for i, line in enumerate(lines) if "- agent [CHAIN, 1.50 s, at +0.0 ms]" in line)
    retrieve = next(i for i, line in enumerate(lines) if "- retrieve [RETRIEVER" in line)
    llm = next(i for i, line in enumerate(lines) if "- llm [LLM, 1.00 s, at +400.0 ms]" in line)
    assert agent < retrieve < llm
    assert lines[retrieve].index("-") > lines[agent].index("-")  # indented under its parent
    assert "ERROR: TimeoutError: too slow" in lines[llm]
    assert "session: s1" in text and "0 assessment(s)" in text
    assert "… [" in text  # the retriever's 800-character output is cut
    assert main(["traces", "show", logged[0]]) == 0
    text = capsys.readouterr().out
    assert "helpful = True (feedback, HUMAN:ann)" in text and "why: clear" in text


def test_show_json_and_escaping(logged: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["traces", "show", logged[0], "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [(s["name"], s["depth"]) for s in shown["span_tree"]] == [
        ("agent", 0),
        ("retrieve", 1),
        ("llm", 1),
    ]
    assert shown["span_tree"][2]["duration_ms"] == 1000.0
    assert shown["assessments"][0]["source"] == {"source_type": "HUMAN", "source_id": "ann"}
    assert main(["traces", "show", logged[2]]) == 0
    text = capsys.readouterr().out
    assert "\x1b" not in text and "<script>alert('x')</script>\\x1b[2J" in text


def test_unknown_trace_and_bad_filter_are_one_line_errors(
    logged: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["traces", "show", "tr-nope"]) == 2
    err = capsys.readouterr().err
    assert "no trace 'tr-nope'" in err and len(err.strip().splitlines()) == 1
    assert main(["traces", "list", "--filter", "attributes.bogus = 1"]) == 2
    assert capsys.readouterr().err.strip()
    assert main(["traces", "list", "--experiment", "nope"]) == 2
    assert "nope" in capsys.readouterr().err


def test_unknown_trace_through_the_command_line_exits_2() -> None:
    import os
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "evalkit", "traces", "show", "tr-missing"],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().count("\n") == 0 and "tr-missing" in done.stderr
