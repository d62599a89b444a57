"""Batch mode: judge calls sent through OpenAI's Batch API (half price, its own quota).

``evaluate(..., judge_mode="batch")`` runs in two passes. The first collects every model
call the judges would make (:func:`batch_collect`: :func:`~evalkit.llm.complete` records the
request instead of sending it). :func:`run_batches` then uploads them as a JSONL file
(``POST /files``), creates a batch (``POST /batches``), polls it (``GET /batches/{id}``)
and stores every answer of its output file in the call cache under the key the call
would have had. The second pass is an ordinary evaluation that finds every answer in the
cache; a request the batch could not answer is sent directly then.

Resume after a crash: each batch is written to a small state file beside the cache
(``cache.db.batches.json``) before it is polled; the next run with the same calls polls
that batch instead of submitting again. Only OpenAI-compatible endpoints (the lean path,
:mod:`evalkit.llm.openai_http`) take batches; calls to other providers, and to Azure OpenAI
(whose batch routes differ), are sent one by one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalkit.errors import ErrorCode, JudgeError, ModelCallError
from evalkit.llm import openai_http
from evalkit.llm.cache import CallCache

__all__ = [
    "BATCH_PENDING",
    "DEFAULT_POLL_INTERVAL",
    "BatchCollector",
    "BatchReport",
    "batch_collect",
    "run_batches",
]

_log = logging.getLogger("evalkit")

BATCH_PENDING = ErrorCode.BATCH_PENDING
"""The code of a call recorded for a batch instead of sent (first pass only)."""
DEFAULT_POLL_INTERVAL = 30.0
"""Seconds between two looks at a batch's status."""
_DONE = frozenset({"completed", "failed", "expired", "cancelled"})


@dataclass(frozen=True, kw_only=True, slots=True)
class _Request:
    key: str
    litellm_model: str
    endpoint: openai_http.Endpoint
    body: dict[str, Any]


@dataclass(kw_only=True)
class BatchReport:
    """What batch mode sent and got back."""

    requests: int = 0
    """Calls collected in the first pass (each once)."""
    answered: int = 0
    """Answers stored in the call cache."""
    batches: list[str] = field(default_factory=list)
    """The ids of the batches polled (resumed ones included)."""
    resumed: list[str] = field(default_factory=list)
    """Batches found in the state file of an earlier, interrupted run."""
    cost: float = 0.0
    """USD of the answers stored, at the Batch API's half price (answers of an unpriced
    model count nothing)."""


class BatchCollector:
    """The calls of a first pass, by cache key (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: dict[str, _Request] = {}

    def add(
        self,
        key: str,
        *,
        model: str,
        litellm_model: str,
        messages: list[dict[str, str]],
        parameters: dict[str, Any],
        response_format: dict[str, Any] | None,
        api_base: str | None,
        extra_headers: dict[str, str] | None,
    ) -> ModelCallError | None:
        """Record one call; returns the error the call ends with in the first pass (``None``
        for an endpoint without OpenAI's Batch API routes, Azure OpenAI's: sent directly)."""
        endpoint, body = openai_http.resolve_endpoint(
            model, api_base=api_base, parameters=parameters, extra_headers=extra_headers
        )
        if endpoint.azure:
            return None
        body = {"model": endpoint.model, "messages": messages, **body}
        if response_format is not None:
            body["response_format"] = response_format
        with self._lock:
            self.requests[key] = _Request(
                key=key, litellm_model=litellm_model, endpoint=endpoint, body=body
            )
        return ModelCallError(
            f"{model}: collected for a batch (not sent yet)",
            code=BATCH_PENDING,
            model=model,
            attempts=0,
            retryable=False,
        )


@contextlib.contextmanager
def batch_collect() -> Iterator[BatchCollector]:
    """Record, instead of sending, the OpenAI-compatible calls made in this block that the
    cache cannot answer."""
    from evalkit.llm.scope import _entered, current_scope

    collector = BatchCollector()
    with _entered(dataclasses.replace(current_scope(), batch=collector)):
        yield collector


def _state_file(cache: CallCache) -> Path:
    return cache.path.with_name(cache.path.name + ".batches.json")


def _load_state(path: Path) -> dict[str, Any]:
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        return {"batches": {}}
    return state if isinstance(state.get("batches"), dict) else {"batches": {}}


def _save_state(path: Path, state: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_suffix(".tmp")
    scratch.write_text(json.dumps(state, indent=1))
    scratch.replace(path)


def _client(endpoint: openai_http.Endpoint) -> Any:
    import httpx

    headers = dict(endpoint.headers)
    if endpoint.api_key:
        headers["Authorization"] = f"Bearer {endpoint.api_key}"
    return httpx.Client(base_url=endpoint.base_url.rstrip("/") + "/", headers=headers, timeout=60)


def _checked(response: Any, what: str) -> Any:
    if response.status_code >= 400:
        raise JudgeError(
            f"batch mode: {what} answered {response.status_code}: {response.text[:300]}"
        )
    return response


def _submit(requests: list[_Request]) -> str:
    lines = [
        json.dumps(
            {"custom_id": r.key, "method": "POST", "url": "/v1/chat/completions", "body": r.body}
        )
        for r in requests
    ]
    content = ("\n".join(lines) + "\n").encode()
    with _client(requests[0].endpoint) as http:
        upload = _checked(
            http.post(
                "files",
                files={"file": ("evalkit-batch.jsonl", content, "application/jsonl")},
                data={"purpose": "batch"},
            ),
            "uploading the batch file",
        ).json()
        batch = _checked(
            http.post(
                "batches",
                json={
                    "input_file_id": upload["id"],
                    "endpoint": "/v1/chat/completions",
                    "completion_window": "24h",
                },
            ),
            "creating the batch",
        ).json()
    return str(batch["id"])


def _poll(
    endpoint: openai_http.Endpoint, batch_id: str, interval: float, timeout: float
) -> list[dict[str, Any]]:
    """The output lines of a finished batch (waits for it)."""
    deadline = time.monotonic() + timeout
    with _client(endpoint) as http:
        while True:
            batch = _checked(http.get(f"batches/{batch_id}"), f"batch {batch_id}").json()
            if batch.get("status") in _DONE:
                break
            if time.monotonic() >= deadline:
                raise JudgeError(
                    f"batch mode: batch {batch_id} is still {batch.get('status')!r} after "
                    f"{timeout:g} s; run the evaluation again later: it polls this batch "
                    "instead of submitting again"
                )
            time.sleep(interval)
        if batch.get("status") != "completed" or not batch.get("output_file_id"):
            _log.warning("batch %s ended %s; its calls are sent one by one", batch_id, batch)
            return []
        output = _checked(
            http.get(f"files/{batch['output_file_id']}/content"), "the batch's output file"
        )
    return [json.loads(line) for line in output.text.splitlines() if line.strip()]


def _store(
    cache: CallCache, lines: list[dict[str, Any]], models: dict[str, str], report: BatchReport
) -> None:
    """Put the batch's answers in the cache, priced at half the listed price."""
    from evalkit.llm.pricing import cost

    for line in lines:
        key = line.get("custom_id")
        response = line.get("response") or {}
        body = response.get("body") or {}
        if key not in models or response.get("status_code") != 200:
            continue
        try:
            text = body["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            continue
        if not isinstance(text, str):
            continue
        usage = body.get("usage") or {}
        prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
        price = None
        if isinstance(prompt, int) and isinstance(completion, int):
            full = cost(models[key], prompt, completion)
            price = None if full is None else full / 2  # the Batch API's half price
        answer = {"text": text, "input_tokens": prompt, "output_tokens": completion}
        cache.put_call(key, models[key], {**answer, "cost": price})
        report.answered += 1
        report.cost += price or 0.0


def run_batches(
    collector: BatchCollector,
    cache: CallCache,
    *,
    poll_interval: float | None = None,
    timeout: float = 24 * 3600.0,
) -> BatchReport:
    """Send the collected calls as batches (one per endpoint), wait for them and fill the
    cache; batches of an interrupted earlier run with these calls are polled, not resent.

    Args:
        collector: The first pass's calls.
        cache: The call cache the second pass reads.
        poll_interval: Seconds between two looks at a batch (default
            :data:`DEFAULT_POLL_INTERVAL`).
        timeout: Seconds to wait for the batches in all.

    Returns:
        A :class:`BatchReport`.

    Raises:
        JudgeError: The provider refused the file or the batch, or a batch was not done
            within ``timeout`` (it is kept in the state file: the next run polls it).
    """
    interval = DEFAULT_POLL_INTERVAL if poll_interval is None else poll_interval
    report = BatchReport(requests=len(collector.requests))
    state_path = _state_file(cache)
    state = _load_state(state_path)
    wanted = {k: r for k, r in collector.requests.items() if cache.get_call(k) is None}
    started = time.monotonic()
    # batches of an interrupted run: poll them first (their answers fill the cache)
    for batch_id, info in list(state["batches"].items()):
        keys = [k for k in info.get("keys", []) if k in wanted]
        if not keys:
            continue
        report.resumed.append(batch_id)
        report.batches.append(batch_id)
        endpoint = wanted[keys[0]].endpoint
        left = max(0.0, timeout - (time.monotonic() - started))
        lines = _poll(endpoint, batch_id, interval, left)
        _store(cache, lines, {k: wanted[k].litellm_model for k in keys}, report)
        for key in info["keys"]:
            wanted.pop(key, None)
        del state["batches"][batch_id]
        _save_state(state_path, state)
    by_endpoint: dict[tuple[str, str | None], list[_Request]] = {}
    for request in wanted.values():
        group = (request.endpoint.base_url, request.endpoint.api_key)
        by_endpoint.setdefault(group, []).append(request)
    for requests in by_endpoint.values():
        batch_id = _submit(requests)
        state["batches"][batch_id] = {
            "base_url": requests[0].endpoint.base_url,
            "keys": [r.key for r in requests],
        }
        _save_state(state_path, state)  # before polling: a crash now resumes this batch
        report.batches.append(batch_id)
        left = max(0.0, timeout - (time.monotonic() - started))
        lines = _poll(requests[0].endpoint, batch_id, interval, left)
        _store(cache, lines, {r.key: r.litellm_model for r in requests}, report)
        del state["batches"][batch_id]
        _save_state(state_path, state)
    _log.info(
        "batch mode: %d calls, %d answered by %d batch(es), $%.4f at half price",
        report.requests,
        report.answered,
        len(report.batches),
        report.cost,
    )
    return report
