"""Multi-turn chat evaluation: a traced support bot's conversations, logged as production
traces with session ids, searched and scored once per conversation.

The bot answers questions about Acme Cache from its docs (a RETRIEVER span, then a
CHAT_MODEL span that picks the best sentence), remembers the user's name, declines what is
not about Acme Cache, and keeps the history of each session. It has one flaw the judges
catch: it forgets the user's preferred language.

1. The user turns of ``datasets/acme_conversations.jsonl`` (10 conversations) are sent to
   the bot as live traffic; each turn's trace carries its session id
   (``mlflow.trace.session``) and is logged to the tracking store.
2. ``evalkit.search_traces()`` returns the turns; ``evalkit.evaluate`` groups them by
   session into conversations and runs the conversation judges (ConversationCompleteness,
   UserFrustration, KnowledgeRetention, RoleAdherence) and a session-level code scorer once
   per conversation, and a per-turn scorer on every turn.
3. ``result.tables["conversations"]`` has one row per conversation.
4. The same conversations evaluated chunk by chunk give the same metrics: ``iter_traces()``
   reads the traces a page at a time, ordered by session id so that each conversation's
   turns come together (sessions that ran at the same time interleave in time order), and
   chunks of ``chunk_size=7`` end between conversations.

By default the judges talk to evalkit.testing's loopback JudgeServer with a scripted
verdict, so the example needs no key and no network:

    .venv/bin/python examples/chat.py

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
from evalkit import scorer
from evalkit.judges import (
    ConversationCompleteness,
    KnowledgeRetention,
    RoleAdherence,
    UserFrustration,
)
from evalkit.testing import JudgeServer
from evalkit.testing.server import RecordedRequest
from evalkit.tracing import collect_trace, start_span

sys.path.insert(0, str(Path(__file__).resolve().parent))
from acme_retriever import retrieve

ROOT = Path(__file__).resolve().parents[1]
MODEL = os.environ.get("EVALKIT_JUDGE_MODEL", "openai:/gpt-4.1-mini")
SYSTEM = (
    "You are the support assistant of Acme Cache. Answer questions about installing, "
    "configuring and running Acme Cache, politely and from its documentation; decline "
    "anything else."
)
OFF_TOPIC = ("poem", "postgres")
SESSION_KEY = "mlflow.trace.session"

# -- the bot ----------------------------------------------------------------------------------


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9`_-]+", text.lower()) if len(w) > 3}


class SupportBot:
    """A deterministic chat bot with per-session memory."""

    def __init__(self) -> None:
        self.history: dict[str, list[dict[str, str]]] = {}
        self.names: dict[str, str] = {}

    def reply(self, session_id: str, message: str) -> str:
        """Answer one user message of a session (recorded as one trace)."""
        messages = self.history.setdefault(session_id, [{"role": "system", "content": SYSTEM}])
        messages.append({"role": "user", "content": message})
        with start_span("chat", "CHAT_MODEL", inputs={"messages": list(messages)}) as span:
            span.outputs = answer = self._answer(session_id, message)
        messages.append({"role": "assistant", "content": answer})
        return answer

    def _answer(self, session_id: str, message: str) -> str:
        name = re.search(r"\bI'm ([A-Z][a-z]+)", message)
        if name:
            self.names[session_id] = name.group(1)
        if any(word in message.lower() for word in OFF_TOPIC):
            return "I can only help with Acme Cache, so I can't help with that."
        with start_span("retrieve", "RETRIEVER", inputs={"query": message}) as span:
            span.outputs = docs = retrieve(message, k=2)
        wanted = _words(message)
        sentences = [s for d in docs for s in re.split(r"(?<=[.!?])\s+", d["content"])]
        best = max(sentences, key=lambda s: len(wanted & _words(s)))
        if len(wanted & _words(best)) < 2:
            return "I could not find that in the Acme Cache docs."
        who = self.names.get(session_id)
        return f"{who}, {best[0].lower()}{best[1:]}" if who else best


# -- a judge for offline runs -----------------------------------------------------------------


def scripted_judge(request: RecordedRequest) -> dict[str, str]:
    """The local server's verdicts, read from the conversation in the prompt."""
    task = request.messages[-1]["content"]
    users = re.findall(r"^User: (.*)$", task, re.M)
    replies = re.findall(r"^Assistant: (.*)$", task, re.M)
    if "became frustrated" in task:
        upset = [i for i, u in enumerate(users) if re.search(r"!|useless|No, I asked", u)]
        verdict = "none"
        if upset:
            verdict = "unresolved" if upset[-1] == len(users) - 1 else "resolved"
        return {"result": verdict, "rationale": f"frustrated turns: {upset}"}
    if "retains the information" in task:
        go_only = any("Go only" in u for u in users)
        forgot = go_only and any("Python" in r for r in replies)
        return {"result": "no" if forgot else "yes", "rationale": "checked stated preferences"}
    if "assigned role" in task:
        return {"result": "yes", "rationale": "every reply is about Acme Cache or declines"}
    missed = sum("could not find" in r for r in replies)
    return {"result": "no" if missed else "yes", "rationale": f"{missed} requests unanswered"}


@contextlib.contextmanager
def judge_model() -> Iterator[None]:
    """A real provider when EVALKIT_JUDGE_MODEL is set, else the local JudgeServer."""
    if "EVALKIT_JUDGE_MODEL" in os.environ:
        yield
        return
    with JudgeServer(default_reply=scripted_judge) as server, server.env():
        yield


# -- scorers of our own ----------------------------------------------------------------------


@scorer(level="session")
def declined_turns(conversation: list[dict[str, Any]]) -> int:
    """How many turns of the conversation the bot declined as off-topic."""
    return sum("I can only help" in str(turn["outputs"]) for turn in conversation)


@scorer
def answer_words(outputs: str) -> int:
    """The length of one reply, in words."""
    return len(outputs.split())


def main() -> None:
    with (ROOT / "datasets" / "acme_conversations.jsonl").open() as fh:
        turns = [json.loads(line) for line in fh]
    # 1. live traffic: every turn is a trace tagged with its session, logged to the store
    bot, traces = SupportBot(), []
    for turn in turns:
        with collect_trace() as trace:
            bot.reply(turn["session_id"], turn["inputs"]["question"])
        trace.info.trace_metadata[SESSION_KEY] = turn["session_id"]
        traces.append(trace)
    evalkit.log_traces(traces)
    # 2. search them (newest first, as MLflow returns them: evaluate orders each
    # conversation's turns by time) and score every conversation once
    stored = evalkit.search_traces(filter_string=f"metadata.`{SESSION_KEY}` LIKE 'conv-%'")
    scorers = [
        ConversationCompleteness(model=MODEL),
        UserFrustration(model=MODEL),
        KnowledgeRetention(model=MODEL),
        RoleAdherence(model=MODEL),  # the role: each conversation's system message
        declined_turns,
        answer_words,
    ]
    with judge_model():
        result = evalkit.evaluate(data=stored, scorers=scorers)
    conversations = result.tables["conversations"]
    print(f"Support bot: {len(conversations)} conversations, {len(stored)} turns\n")
    for key in (
        "conversation_completeness/mean",
        "knowledge_retention/mean",
        "role_adherence/mean",
        "user_frustration/count/unresolved",
        "declined_turns/mean",
        "answer_words/mean",
    ):
        print(f"  {key:36} {result.metrics.get(key, 0.0):.3f}")
    columns = [
        "session_id",
        "turns",
        "conversation_completeness/value",
        "user_frustration/value",
        "knowledge_retention/value",
        "answer_words/mean",
    ]
    print()
    print(conversations[columns].sort_values("session_id").to_string(index=False))
    print(f"\nlogged to run {result.run_id}")
    # 4. chunk by chunk: a chunk never ends inside a conversation, so the same metrics
    search = f"metadata.`{SESSION_KEY}` LIKE 'conv-%'"
    with judge_model():  # the judges' answers come from the call cache this time
        chunked = evalkit.evaluate(
            data=evalkit.iter_traces(
                filter_string=search, order_by=[f"metadata.`{SESSION_KEY}`"], page_size=5
            ),
            scorers=scorers,
            chunk_size=7,
            log=False,
        )
    same = chunked.metrics == result.metrics
    print(f"chunk by chunk (chunk_size=7): the same metrics: {same}")
    assert same, (chunked.metrics, result.metrics)


if __name__ == "__main__":
    main()
