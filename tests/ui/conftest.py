"""The web UI under test: a store with runs, the app served by uvicorn on loopback, and
headless Chromium driven through Selenium (Debian's chromium + chromium-driver).

Without Chromium or its driver the browser tests skip locally and fail when ``CI`` is set.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ui_support import CHROMEDRIVER, CHROMIUM, EVIL, FIXTURES, Served

import evalkit
from evalkit import Feedback, scorer


@scorer
def exact(outputs: str, expectations: dict) -> bool:
    return outputs.strip() == expectations["expected_response"].strip()


@scorer
def overlap(outputs: str, expectations: dict) -> Feedback:
    if "not sure" in outputs:
        raise TimeoutError("judge took too long")
    expected = set(expectations["expected_response"].lower().split())
    got = set(outputs.lower().split())
    return Feedback(value=round(len(expected & got) / len(expected), 3), rationale="overlap")


def _log_runs() -> tuple[str, list[str]]:
    experiment_id = evalkit.set_experiment("acme-qa").experiment_id
    ids = []
    for name, file in (("v1", "qa_small.jsonl"), ("v2", "qa_small_v2.jsonl")):
        with evalkit.start_run(run_name=name) as run:
            evalkit.set_tag("model", f"model-{name}")
            evalkit.evaluate(str(FIXTURES / file), scorers=[exact, overlap], progress=False)
            ids.append(run.info.run_id)
    records = [
        {
            "inputs": {"question": f"question number {i}"},
            "outputs": ("long answer " * 60 if i == 7 else f"answer {i}"),
            "expectations": {"expected_response": f"answer {i % 3}"},
        }
        for i in range(250)
    ]
    with evalkit.start_run(run_name="long") as run:
        evalkit.evaluate(records, scorers=[exact], progress=False)
        ids.append(run.info.run_id)
    return experiment_id, ids


def _log_evil_run() -> tuple[str, str]:
    import pandas as pd

    experiment_id = evalkit.set_experiment(f"exp {EVIL}").experiment_id
    with evalkit.start_run(run_name=f"run {EVIL}") as run:
        evalkit.set_tag("tag<script>window.__xss=6</script>", EVIL)
        evalkit.log_metric("m<img src=x onerror=window.__xss=7>/mean", 0.5)
        evalkit.log_param("p<script>window.__xss=8</script>", EVIL)
        scorer_name = "judge<svg onload=window.__xss=9>"
        table = pd.DataFrame(
            {
                "inputs": [{"question": EVIL}, {"question": "fine"}],
                "outputs": [EVIL, "javascript:window.__xss=10"],
                "expectations": [{"expected_response": EVIL}, {"expected_response": "x"}],
                f"{scorer_name}/value": [0.0, EVIL],
                f"{scorer_name}/rationale": [EVIL, EVIL],
                f"{scorer_name}/error_code": [None, "JUDGE<b>"],
                f"{scorer_name}/error_message": [None, EVIL],
            }
        )
        evalkit.log_table(table, "eval_results_table.json")
    evalkit.set_experiment("acme-qa")
    return experiment_id, run.info.run_id


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture
def served() -> Iterator[Served]:
    """The UI app under uvicorn in a thread, over a fresh store (see ``Served``)."""
    import uvicorn

    from evalkit.ui import build_app
    from evalkit.ui.data import forget_tables

    experiment_id, runs = _log_runs()
    evil_experiment_id, evil_run = _log_evil_run()
    sock = _free_socket()
    port = sock.getsockname()[1]
    config = uvicorn.Config(build_app(), log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    try:
        yield Served(
            url=f"http://127.0.0.1:{port}/",
            experiment_id=experiment_id,
            runs=runs,
            evil_run=evil_run,
            evil_experiment_id=evil_experiment_id,
        )
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()
        forget_tables()


def _need_browser() -> None:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    if missing:
        message = f"{', '.join(missing)} not installed (apt-get install chromium chromium-driver)"
        if os.environ.get("CI"):
            pytest.fail(message + "; CI must install them")
        pytest.skip(message)
    pytest.importorskip("selenium")


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    """Headless Chromium through Selenium, with no network beyond the page's server."""
    _need_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1400,1000",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
