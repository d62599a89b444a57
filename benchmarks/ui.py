"""The web UI on a 100,000-row run: the run page's first paint and paging.

Logs one run with a 100,000-row table (inputs, outputs, expectations, two scorers with
rationales and some errors) to a throw-away store, serves the UI with uvicorn on loopback,
and measures:

- the run page served cold (table read from disk) and warm, over HTTP;
- paging, filtering ("failed", "score below X"), text search and sorting, over HTTP;
- with Debian's chromium and chromedriver present: first contentful paint of the run page
  in headless Chromium (cold server, then warm) and the time to load the next page.

Targets (issue 17): first paint < 1 s, paging < 200 ms.

Run: .venv/bin/python benchmarks/ui.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any


def _table(rows: int) -> Any:
    import pandas as pd

    rng = random.Random(7)
    words = [
        "cache",
        "port",
        "key",
        "flush",
        "ttl",
        "replica",
        "shard",
        "eviction",
        "memory",
        "latency",
    ]
    questions = [f"Question {i}: " + " ".join(rng.choices(words, k=12)) for i in range(rows)]
    outputs = [" ".join(rng.choices(words, k=rng.randint(20, 80))) for _ in range(rows)]
    errors = [("TIMEOUT" if rng.random() < 0.02 else None) for _ in range(rows)]
    return pd.DataFrame(
        {
            "inputs": [{"question": q} for q in questions],
            "outputs": outputs,
            "expectations": [{"expected_response": o[:60]} for o in outputs],
            "exact/value": [rng.random() < 0.4 for _ in range(rows)],
            "exact/rationale": [None] * rows,
            "exact/error_code": [None] * rows,
            "exact/error_message": [None] * rows,
            "correctness/value": [None if e else rng.randint(1, 5) for e in errors],
            "correctness/rationale": ["The answer is " + " ".join(rng.choices(words, k=30))] * rows,
            "correctness/error_code": errors,
            "correctness/error_message": [("judge timed out" if e else None) for e in errors],
        }
    )


def _log(rows: int) -> str:
    import evalkit

    evalkit.set_experiment("ui-benchmark")
    with evalkit.start_run(run_name=f"{rows}-rows") as run:
        evalkit.log_metrics({"exact/mean": 0.4, "correctness/mean": 3.0})
        evalkit.log_table(_table(rows), "eval_results_table.json")
    return run.info.run_id


def _get(url: str) -> tuple[float, int]:
    import httpx

    start = time.perf_counter()
    response = httpx.get(url, timeout=60)
    return time.perf_counter() - start, len(response.content)


def _first_bytes(url: str) -> tuple[float, float, int]:
    """Seconds to the first body bytes, seconds to the whole body, its size."""
    import httpx

    start = time.perf_counter()
    first = None
    size = 0
    with httpx.stream("GET", url, timeout=60) as response:
        for chunk in response.iter_raw():
            if first is None:
                first = time.perf_counter() - start
            size += len(chunk)
    return first or 0.0, time.perf_counter() - start, size


def _median_ms(url: str, n: int = 5) -> float:
    return statistics.median(_get(url)[0] for _ in range(n)) * 1000


def _chromium(url: str, next_url: str) -> dict[str, float] | None:
    if not (Path("/usr/bin/chromium").exists() and Path("/usr/bin/chromedriver").exists()):
        return None
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    paint = (
        "const p = performance.getEntriesByName('first-contentful-paint')[0];"
        "return p ? p.startTime : null;"
    )
    loaded = (
        "const n = performance.getEntriesByType('navigation')[0];return n.domContentLoadedEventEnd;"
    )

    def measured() -> float:
        # first contentful paint where headless Chromium reports it, else DOMContentLoaded
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            value = driver.execute_script(paint)
            if value is not None:
                return float(value)
            time.sleep(0.05)
        return float(driver.execute_script(loaded))

    try:
        found = {}
        for label in ("first paint, cold server", "first paint, warm"):
            driver.get(url)
            found[label] = measured()
        start = time.perf_counter()
        driver.get(next_url)
        found["next page, navigation to paint"] = measured()
        found["next page, wall clock"] = (time.perf_counter() - start) * 1000
        return found
    finally:
        driver.quit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        os.environ["EVALKIT_TRACKING_URI"] = str(Path(folder) / "store")
        import uvicorn

        from evalkit.ui import build_app
        from evalkit.ui.data import forget_tables

        start = time.perf_counter()
        run_id = _log(args.rows)
        print(f"logged a {args.rows:,}-row run in {time.perf_counter() - start:.1f} s")
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        server = uvicorn.Server(
            uvicorn.Config(build_app(), log_level="warning", access_log=False, lifespan="off")
        )
        threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
        while not server.started:
            time.sleep(0.01)
        page = f"{base}/runs/{run_id}"
        results: list[tuple[str, float, float | None]] = []
        first_bytes, seconds, size = _first_bytes(page)
        results.append(("run page, cold: first part (header, metrics)", first_bytes * 1000, 1000))
        results.append(("run page, cold: whole page (table read from disk)", seconds * 1000, None))
        print(f"run page HTML: {size / 1024:.0f} KiB")
        results.append(("run page, warm", _median_ms(page), 1000))
        for label, query in (
            ("page 2", "?page=2"),
            ("page 1,000", "?page=1000"),
            ("last page", "?page=2000"),
            ("failed rows, page 3", "?show=failed&page=3"),
            ("score below 3", "?below_scorer=correctness&below=3&page=5"),
            ("text search, next page", "?q=shard%20eviction%20memory&page=2"),
            ("sorted by a score, page 7", "?sort=correctness&dir=desc&page=7"),
        ):
            _get(page + query)  # the first filter of a kind builds its column once
            results.append((f"paging: {label}", _median_ms(page + query), 200))
        new_query = f"{page}?q=latency%20replica%20cache"
        results.append(("text search, a new query", _get(new_query)[0] * 1000, None))
        forget_tables()
        browser = _chromium(page, page + "?page=2")
        server.should_exit = True
    print(f"\n{'measure':48} {'ms':>8}  target")
    for label, ms, target in results:
        flag = (
            "" if target is None else (f"< {target:.0f}" + ("  ok" if ms < target else "  MISSED"))
        )
        print(f"{label:48} {ms:8.1f}  {flag}")
    if browser is None:
        print("(chromium/chromedriver not installed: no browser paint numbers)")
    else:
        for label, ms in browser.items():
            target = 1000 if "first paint" in label else 200
            flag = f"< {target}" + ("  ok" if ms < target else "  MISSED")
            print(f"{'chromium: ' + label:48} {ms:8.1f}  {flag}")


if __name__ == "__main__":
    main()
