"""Sending one request through litellm, within a hard per-attempt deadline.

This is the only module that imports litellm, and it does so on first use, with litellm's
bundled cost map (``LITELLM_LOCAL_MODEL_COST_MAP=True``: nothing is fetched) and its
callbacks and debug output off.
"""

from __future__ import annotations

import contextvars
import functools
import os
import threading
from typing import Any

__all__ = ["AttemptTimeout", "Deployments", "load_litellm", "send", "supports_response_schema"]


class AttemptTimeout(TimeoutError):
    """One attempt ran past its deadline (the answer may still have been trickling in)."""


@functools.cache
def load_litellm() -> Any:
    """Import litellm with its bundled cost map and without callbacks or debug output."""
    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"  # never fetch the price list
    import litellm

    litellm.suppress_debug_info = True
    litellm.turn_off_message_logging = True
    litellm.disable_hf_tokenizer_download = True
    litellm.drop_params = False  # evalkit decides what to drop (response_format)
    for name in ("callbacks", "success_callback", "failure_callback", "input_callback"):
        if getattr(litellm, name, None):
            setattr(litellm, name, [])
    if hasattr(litellm, "telemetry"):
        litellm.telemetry = False
    import openai.resources.chat  # noqa: F401  # the SDK loads this on first call: do it now

    return litellm


@functools.cache
def _quiet_flag() -> Any:
    """litellm's "internal call" context flag, which skips its success-logging thread.

    With no callbacks configured that work only burns CPU (about a fifth of litellm's
    per-call cost, measured in benchmarks/judge_client.py); ``None`` where litellm lacks it.
    """
    try:
        from litellm._internal_context import is_internal_call
    except ImportError:
        return None
    return is_internal_call


@functools.lru_cache(maxsize=256)
def supports_response_schema(litellm_model: str) -> bool:
    """Whether litellm knows ``litellm_model`` to accept a JSON-schema ``response_format``."""
    litellm = load_litellm()
    provider, _, name = litellm_model.partition("/")
    try:
        return bool(litellm.supports_response_schema(model=name, custom_llm_provider=provider))
    except Exception:  # an unknown model: do not risk a 400 for a field it may not accept
        return False


def _completion(kwargs: dict[str, Any]) -> Any:
    litellm = load_litellm()
    quiet = _quiet_flag()
    token = quiet.set(True) if quiet is not None else None
    try:
        return litellm.completion(**kwargs)
    finally:
        if token is not None:
            quiet.reset(token)


class Deployments:
    """Several deployments (servers, keys, regions) of one model behind litellm's Router.

    Calls are spread over the deployments (litellm's ``simple-shuffle``, weighted by a
    deployment's ``rpm``/``tpm``/``weight`` when given); a deployment that answers 429 (or
    401/404) is cooled down for ``cooldown`` seconds and the next attempt goes to another.
    The Router is built, and litellm imported, on the first call.

    Args:
        model_list: ``{"provider/model": [litellm_params, ...]}``: each deployment's
            ``model`` (litellm form), ``api_base``, ``api_key``... as litellm takes them.
        cooldown: Seconds a deployment is left out after a 429.
    """

    def __init__(self, model_list: dict[str, list[dict[str, Any]]], cooldown: float) -> None:
        self.model_list = model_list
        self.cooldown = cooldown
        self._router: Any = None
        self._lock = threading.Lock()

    def covers(self, litellm_model: str) -> bool:
        """Whether calls to ``litellm_model`` go through the deployments."""
        return litellm_model in self.model_list

    def router(self) -> Any:
        """The litellm Router (built on first use)."""
        if self._router is None:
            with self._lock:
                if self._router is None:
                    litellm = load_litellm()
                    self._router = litellm.Router(
                        model_list=[
                            {"model_name": group, "litellm_params": dict(params)}
                            for group, deployments in self.model_list.items()
                            for params in deployments
                        ],
                        routing_strategy="simple-shuffle",
                        num_retries=0,  # evalkit retries (and the next try picks anew)
                        cooldown_time=self.cooldown,
                        allowed_fails=0,
                        set_verbose=False,
                    )
        return self._router

    def completion(self, kwargs: dict[str, Any]) -> Any:
        """``Router.completion`` for the model of ``kwargs`` (its group name)."""
        router = self.router()
        quiet = _quiet_flag()
        token = quiet.set(True) if quiet is not None else None
        call = {k: v for k, v in kwargs.items() if k not in ("api_base", "num_retries")}
        try:
            return router.completion(**call)
        finally:
            if token is not None:
                quiet.reset(token)


def send(kwargs: dict[str, Any], deadline: float, deployments: Deployments | None = None) -> Any:
    """``litellm.completion(**kwargs)``, given up after ``deadline`` seconds in all.

    With ``deployments``, the call goes through their litellm Router instead.

    The HTTP client's own ``timeout`` bounds each read, so a server that drips a byte at a
    time never trips it; this deadline bounds the whole attempt. The request runs in a
    daemon thread, which is left to finish (or hit the read timeout) on its own when the
    deadline passes.

    Raises:
        AttemptTimeout: No complete answer within ``deadline`` seconds.
        Exception: Whatever litellm raised.
    """
    load_litellm()  # a cold import takes seconds: it must not count against the deadline
    target = _completion if deployments is None else deployments.completion
    if deployments is not None:
        deployments.router()  # built before the deadline starts, like the import
    outcome: list[Any] = []
    done = threading.Event()
    context = contextvars.copy_context()

    def run() -> None:
        try:
            outcome.append((True, context.run(target, kwargs)))
        except BaseException as exc:  # handed to the caller
            outcome.append((False, exc))
        finally:
            done.set()

    threading.Thread(target=run, name="evalkit-model-call", daemon=True).start()
    if not done.wait(deadline):
        raise AttemptTimeout(f"no complete answer within the {deadline:g} s deadline")
    ok, value = outcome[0]
    if not ok:
        raise value
    return value
