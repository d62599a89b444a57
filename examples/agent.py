"""Agent evaluation: a traced operations agent with tools, its production traces stored,
searched, given expected tool calls and evaluated.

The agent administers an Acme Cache server through eight tools (each a TOOL span): it
plans the calls with simple rules (an LLM span stands for the planner), runs them and
answers. Like a real agent it has flaws the scorers catch: it runs steps in the order of its
rules rather than the order asked, derives a key prefix from the wrong word, checks a setting
twice, and one of its tools fails on a missing key.

1. The requests of ``datasets/acme_agent.jsonl`` are run as production traffic: each run's
   trace is logged to the tracking store (``evalkit.log_traces``).
2. An operator attaches the expected tool calls to each trace (``evalkit.log_expectation``).
3. ``evalkit.search_traces()`` returns them and ``evalkit.evaluate(data=traces, ...)``
   scores the tool calls: deterministic scorers over the TOOL spans, and the
   ToolCallCorrectness and GoalCompletion judges.
4. The operator's own verdict on a bad run is attached as human feedback
   (``evalkit.log_feedback``).

By default the judges talk to evalkit.testing's loopback JudgeServer with a scripted
verdict, so the example needs no key and no network:

    .venv/bin/python examples/agent.py

With a real provider: ``export EVALKIT_JUDGE_MODEL=openai:/gpt-4.1-mini OPENAI_API_KEY=...``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import evalkit
from evalkit.judges import GoalCompletion, ToolCallCorrectness
from evalkit.scorers import (
    AgentSteps,
    FailedToolCalls,
    RedundantToolCalls,
    ToolArgumentsMatch,
    ToolCallsMatch,
)
from evalkit.testing import JudgeServer
from evalkit.testing.server import RecordedRequest
from evalkit.tracing import collect_trace, start_span

sys.path.insert(0, str(Path(__file__).resolve().parent))
from acme_retriever import retrieve

ROOT = Path(__file__).resolve().parents[1]
MODEL = os.environ.get("EVALKIT_JUDGE_MODEL", "openai:/gpt-4.1-mini")

# -- the server the agent administers ---------------------------------------------------------

CONFIG = {
    "max_memory": "1gb",
    "eviction_policy": "lru",
    "slowlog_threshold_ms": "10",
    "port": "6380",
}
KEYS: dict[str, str] = {"session:1": "a", "session:2": "b", "cache:page:home": "<html>"}
INFO = {"memory": {"evicted_keys": 1042}, "replication": {"role": "primary", "replicas": 2}}


@evalkit.trace(span_type="TOOL")
def get_config(name: str) -> str:
    return CONFIG[name]


@evalkit.trace(span_type="TOOL")
def set_config(name: str, value: str) -> str:
    CONFIG[name] = value
    return "OK"


@evalkit.trace(span_type="TOOL")
def get_key(key: str) -> str:
    return KEYS[key]  # a missing key raises: the span records the failure


@evalkit.trace(span_type="TOOL")
def set_key(key: str, value: str, ttl: int) -> str:
    KEYS[key] = value
    return "OK"


@evalkit.trace(span_type="TOOL")
def flush(prefix: str) -> int:
    gone = [k for k in KEYS if k.startswith(prefix)]
    for k in gone:
        del KEYS[k]
    return len(gone)


@evalkit.trace(span_type="TOOL")
def snapshot_now() -> str:
    return "snapshot written to /var/lib/acme/dump.acs"


@evalkit.trace(span_type="TOOL")
def get_info(section: str) -> dict[str, Any]:
    return INFO[section]


@evalkit.trace(span_type="TOOL")
def search_docs(query: str) -> list[str]:
    return [hit["content"][:300] for hit in retrieve(query, k=1)]


TOOLS = {f.__name__: f for f in (get_config, set_config, get_key, set_key, flush)}
TOOLS |= {f.__name__: f for f in (snapshot_now, get_info, search_docs)}

# -- the agent ------------------------------------------------------------------------------

SETTINGS = {
    "max_memory": "max_memory",
    "eviction policy": "eviction_policy",
    "slow log threshold": "slowlog_threshold_ms",
}
TTL_WORDS = {"one hour": 3600, "one day": 86400}


def plan(request: str) -> list[tuple[str, dict[str, Any]]]:
    """The planner's tool calls for a request: its rules, in the rules' order."""
    text = request.lower()
    calls: list[tuple[str, dict[str, Any]]] = []
    setting = next((v for k, v in SETTINGS.items() if k in text), None)
    changed = re.search(r"\bto (\S+?)(?: ms)?[ .]", text + " ")
    if setting and changed and re.search(r"raise|set|switch|change", text):
        calls.append(("set_config", {"name": setting, "value": changed.group(1)}))
    if setting and re.search(r"current|check", text):
        calls.append(("get_config", {"name": setting}))
        if "check" in text:  # it double-checks: a redundant call
            calls.append(("get_config", {"name": setting}))
    if "evicted" in text:
        calls.append(("get_info", {"section": "memory"}))
    if "replication" in text:
        calls.append(("get_info", {"section": "replication"}))
    prefix = re.search(r"(?:delete|clear) (?:all |the )?(\S+) keys", text)
    if prefix:
        calls.append(("flush", {"prefix": prefix.group(1)}))
    if "snapshot" in text:
        calls.append(("snapshot_now", {}))
    stored = re.search(r"store the key (\S+) with value (\S+) for (one \w+)", text)
    if stored:
        ttl = TTL_WORDS.get(stored.group(3), 0)
        calls.append(("set_key", {"key": stored.group(1), "value": stored.group(2), "ttl": ttl}))
    read = re.search(r"is the key (\S+) set", text)
    if read:
        calls.append(("get_key", {"key": read.group(1)}))
    if not calls:
        calls.append(("search_docs", {"query": request}))
    return calls


@evalkit.trace(span_type="AGENT")
def agent(request: str) -> str:
    """Plan, call the tools, answer."""
    with start_span("planner", "LLM", inputs={"request": request}) as span:
        span.outputs = calls = plan(request)
    results = []
    for tool, arguments in calls:
        try:
            results.append(f"{tool}: {TOOLS[tool](**arguments)}")
        except KeyError as exc:
            results.append(f"{tool}: {exc} not found")
    return "Done. " + "; ".join(results)


# -- a judge for offline runs -----------------------------------------------------------------


def _block(task: str, heading: str) -> str:
    match = re.search(rf"{heading}:\n<data>(.*?)</data>", task, re.S)
    return match.group(1) if match else ""


def _labels(listing: str) -> list[str]:
    return [re.sub(r"^\d+\. |  -> FAILED$| -> FAILED$", "", line) for line in listing.splitlines()]


def scripted_judge(request: RecordedRequest) -> dict[str, str]:
    """The local server's verdicts: tool calls are correct when the expected ones were made in
    order (an expected call without arguments matches any call of that tool); the goal is
    completed when no tool failed."""
    task = request.messages[-1]["content"]
    if "Tool calls the agent made" in task:
        made = _labels(_block(task, "Tool calls the agent made, in order"))
        expected = _labels(_block(task, r"Tool calls expected \(the reference\)"))
        position = 0
        for call in made:
            if position < len(expected):
                want = expected[position]
                same = call == want or (want.endswith("()") and call.startswith(want[:-1]))
                position += same
        ok = position == len(expected)
        return {"result": "yes" if ok else "no", "rationale": f"expected {expected}, made {made}"}
    failed = "ERROR" in _block(task, r"What the agent did \(its trace\)")
    return {
        "result": "no" if failed else "yes",
        "rationale": "a tool failed" if failed else "every step succeeded",
    }


@contextlib.contextmanager
def judge_model() -> Iterator[None]:
    """A real provider when EVALKIT_JUDGE_MODEL is set, else the local JudgeServer."""
    if "EVALKIT_JUDGE_MODEL" in os.environ:
        yield
        return
    with JudgeServer(default_reply=scripted_judge) as server, server.env():
        yield


def main() -> None:
    with (ROOT / "datasets" / "acme_agent.jsonl").open() as fh:
        tasks = [json.loads(line) for line in fh]
    # 1. production traffic: each request's trace is logged to the tracking store
    traces = []
    for t in tasks:
        with collect_trace() as trace:
            agent(t["inputs"]["request"])
        trace.info.tags["task"] = t["tags"]["task"]
        traces.append(trace)
    trace_ids = evalkit.log_traces(traces)
    # 2. the operator's ground truth: which tools should have been called
    for trace_id, t in zip(trace_ids, tasks, strict=True):
        expected = t["expectations"]["expected_tool_calls"]
        evalkit.log_expectation(trace_id, name="expected_tool_calls", value=expected)
    # 3. search the stored traces and evaluate them
    stored = evalkit.search_traces(order_by=["timestamp_ms ASC"])
    scorers = [
        ToolCallsMatch(name="tools_in_order", mode="in_order"),
        ToolCallsMatch(name="tools_called", mode="subset"),
        ToolArgumentsMatch(),
        RedundantToolCalls(),
        FailedToolCalls(),
        AgentSteps(aggregations=["mean", "max"]),
        ToolCallCorrectness(model=MODEL),
        GoalCompletion(model=MODEL),
    ]
    with judge_model():
        result = evalkit.evaluate(data=stored, scorers=scorers)
    print(f"Operations agent over {len(stored)} stored traces\n")
    for key in (
        "tools_in_order/mean",
        "tools_called/mean",
        "tool_arguments_match/mean",
        "redundant_tool_calls/mean",
        "failed_tool_calls/mean",
        "agent_steps/mean",
        "agent_steps/max",
        "tool_call_correctness/mean",
        "goal_completion/mean",
    ):
        print(f"  {key:30} {result.metrics[key]:.3f}")
    table = result.tables["eval_results_table"]
    wrong = table[table["tools_in_order/value"] == False]  # noqa: E712
    print(f"\n{len(wrong)} runs did not call the expected tools in order:")
    for _, row in wrong.iterrows():
        print(f"  {row['inputs']['request']}\n    {row['tools_in_order/rationale']}")
    # 4. the operator's verdict on the first bad run, as human feedback on its trace
    if len(wrong):
        trace_id = wrong.iloc[0]["trace"].info.trace_id
        evalkit.log_feedback(
            trace_id,
            name="operator_approved",
            value=False,
            rationale="wrong order: the snapshot must come first",
        )
        feedback = evalkit.get_trace(trace_id).search_assessments("operator_approved")  # type: ignore[union-attr]
        print(f"\nhuman feedback on {trace_id}: {feedback[0].value} ({feedback[0].rationale})")
    print(f"\nlogged to run {result.run_id}")


if __name__ == "__main__":
    main()
