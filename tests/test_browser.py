"""A real browser opens the HTML report and the `evalkit ui` pages: charts and rows render.

Headless Chromium (Debian's ``chromium``, installed by ``.ci/run``) loads each page, runs its
script, and dumps the DOM; the test counts rendered rows and chart bars there, and keeps a
screenshot under the test's tmp dir and ``tests/artifacts/`` (git-ignored). Without
Chromium the tests skip locally and fail when ``CI`` is set.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import evalkit
from evalkit import Feedback, scorer
from evalkit.report import ReportRun, render_report

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
ARTIFACTS = ROOT / "tests" / "artifacts"
_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
]


def chromium_path() -> str:
    """Debian's chromium, or skip (locally) / fail (in CI) when it is not installed."""
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )
    if found is None:
        message = "chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message + "; CI must install it (.ci/run)")
        pytest.skip(message)
    return found


def _browse(url: str, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    profile.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [chromium_path(), *_FLAGS, f"--user-data-dir={profile}", *extra, url],
        capture_output=True,
        text=True,
        timeout=120,
    )


def dump_dom(url: str, tmp_path: Path) -> str:
    """The page's DOM after its scripts ran."""
    done = _browse(url, tmp_path / "profile-dom", "--virtual-time-budget=3000", "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def screenshot(url: str, tmp_path: Path, name: str) -> Path:
    """A full-window PNG of the page, kept in tmp_path and copied to tests/artifacts/."""
    shot = tmp_path / name
    done = _browse(
        url,
        tmp_path / "profile-shot",
        "--window-size=1300,1900",
        "--virtual-time-budget=3000",
        f"--screenshot={shot}",
    )
    assert done.returncode == 0 and shot.is_file(), done.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(shot, ARTIFACTS / name)
    print(f"screenshot: {shot} (copied to {ARTIFACTS / name})")
    return shot


def visible_rows(dom: str) -> list[str]:
    """``data-row`` of the table rows the script did not hide."""
    return re.findall(r'<tr class="row(?: has-error)?" data-row="(\d+)"', dom)


def chart_bars(dom: str) -> list[tuple[str, int]]:
    return [(m, int(n)) for m, n in re.findall(r'data-label="([^"]*)" data-count="(\d+)"', dom)]


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


def _report_run(name: str, file: str) -> ReportRun:
    result = evalkit.evaluate(
        str(FIXTURES / file), scorers=[exact, overlap], progress=False, log=False
    )
    return ReportRun(run_id=name, metrics=result.metrics, table=result.result_df)


def test_report_renders_charts_and_table_in_chromium(tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    report.write_text(render_report(_report_run("base", "qa_small.jsonl")), encoding="utf-8")
    dom = dump_dom(report.as_uri(), tmp_path)
    assert 'data-ready="1"' in dom  # the page's script ran to the end
    assert len(visible_rows(dom)) == 10
    assert "10 of 10 rows" in dom
    assert dom.count('<svg class="chart"') == 2
    bars = chart_bars(dom)
    assert ("True", 4) in bars and ("False", 6) in bars and ("error", 1) in bars
    assert sum(n for _, n in bars) == 20
    screenshot(report.as_uri(), tmp_path, "report.png")


def test_report_filter_and_sort_run_in_the_browser(tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    report.write_text(render_report(_report_run("base", "qa_small.jsonl")), encoding="utf-8")
    # the filter and sort state come from the URL hash, as a shared link would carry them
    dom = dump_dom(report.as_uri() + "#filter=acme&sort=0:desc", tmp_path)
    assert re.search(r'id="row-count"[^>]*data-visible="5"', dom)
    assert "5 of 10 rows" in dom
    shown = [
        r
        for r in re.findall(r'<tr class="row([^"]*)" data-row="(\d+)"', dom)
        if "hidden" not in r[0]
    ]
    assert [int(label) for _, label in shown] == [9, 4, 3, 1, 0]
    errors_only = dump_dom(report.as_uri() + "#show=errors", tmp_path)
    assert "1 of 10 rows" in errors_only


def test_comparison_report_renders_in_chromium(tmp_path: Path) -> None:
    report = tmp_path / "compare.html"
    html = render_report(
        _report_run("v2", "qa_small_v2.jsonl"), _report_run("v1", "qa_small.jsonl")
    )
    report.write_text(html, encoding="utf-8")
    dom = dump_dom(report.as_uri() + "#show=worse", tmp_path)
    assert "1 of 10 rows" in dom
    assert len(re.findall(r'<tr class="change (better|worse)">', dom)) == 6
    assert 'class="bar series-b"' in dom
    screenshot(report.as_uri(), tmp_path, "compare.png")


def _cli(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "EVALKIT_TRACKING_URI": str(tmp_path / "store")}
    return subprocess.run(
        [sys.executable, "-m", "evalkit", *argv],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def ui_server(tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    """`evalkit ui` on a free loopback port over a store with two runs; yields (url, run ids)."""
    chromium_path()
    (tmp_path / "my_scorers.py").write_text(
        "from evalkit import scorer\n\n\n@scorer\ndef same(outputs, expectations):\n"
        "    return outputs.strip() == expectations['expected_response'].strip()\n"
    )
    run_ids = []
    for file in ("qa_small.jsonl", "qa_small_v2.jsonl"):
        done = _cli(tmp_path, "eval", str(FIXTURES / file), "-s", "my_scorers:same", "--json")
        assert done.returncode == 0, done.stderr
        run_ids.append(json.loads(done.stdout)["run_id"])
    env = {**os.environ, "PYTHONPATH": str(ROOT), "EVALKIT_TRACKING_URI": str(tmp_path / "store")}
    process = subprocess.Popen(
        [sys.executable, "-m", "evalkit", "ui", "--port", "0"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert match, line
        yield match.group(0), run_ids
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_ui_pages_render_in_chromium(ui_server: tuple[str, list[str]], tmp_path: Path) -> None:
    url, (first, second) = ui_server
    index = dump_dom(url, tmp_path)
    assert 'data-ready="1"' in index and 'href="/experiments/0"' in index
    runs = dump_dom(f"{url}experiments/0", tmp_path)
    assert len(re.findall(r'<tr class="run" data-run="', runs)) == 2
    assert f'href="/runs/{first}"' in runs
    run_page = dump_dom(f"{url}runs/{first}", tmp_path)
    assert 'data-ready="1"' in run_page and "10 of 10 rows" in run_page
    assert ("False", 6) in chart_bars(run_page) and ("True", 4) in chart_bars(run_page)
    compare = f"{url}compare?run={first}&run={second}"
    compared = dump_dom(compare, tmp_path)
    assert len(re.findall(r'<tr class="side-row (better|worse)"', compared)) == 3
    screenshot(compare, tmp_path, "ui-compare-cli.png")


def test_ui_refuses_a_non_loopback_address_without_a_token(tmp_path: Path) -> None:
    done = _cli(tmp_path, "ui", "--host", "0.0.0.0", "--port", "0")
    assert done.returncode != 0
    assert "without a token" in done.stderr


def _report_of(table_rows: list[dict[str, object]], tmp_path: Path) -> Path:
    import pandas as pd

    report = tmp_path / "big.html"
    run = ReportRun(run_id="big", metrics={"exact/mean": 0.5}, table=pd.DataFrame(table_rows))
    report.write_text(render_report(run), encoding="utf-8")
    return report


def test_report_of_a_huge_output_stays_small_and_expands(tmp_path: Path) -> None:
    huge = "x" * 50_000_000
    report = _report_of(
        [{"inputs": {"q": "a"}, "outputs": huge, "exact/value": True}]
        + [{"inputs": {"q": str(i)}, "outputs": "short", "exact/value": False} for i in range(3)],
        tmp_path,
    )
    assert report.stat().st_size < 200_000  # 50 MB of output, a page of kilobytes
    dom = dump_dom(report.as_uri(), tmp_path)
    assert 'data-ready="1"' in dom and "show all (50000000 characters)" in dom
    assert "the report keeps the first 10000 of 50000000 characters" in dom


def test_report_table_is_paged_in_the_page(tmp_path: Path) -> None:
    rows = [
        {"inputs": {"q": f"question {i}"}, "outputs": f"answer {i}", "exact/value": i % 2 == 0}
        for i in range(250)
    ]
    report = _report_of(rows, tmp_path)
    dom = dump_dom(report.as_uri(), tmp_path)
    assert "250 of 250 rows" in dom and "page 1 of 3" in dom
    assert [int(r) for r in visible_rows(dom)] == list(range(100))
    last = dump_dom(report.as_uri() + "#page=3", tmp_path)
    assert [int(r) for r in visible_rows(last)] == list(range(200, 250))
    filtered = dump_dom(report.as_uri() + "#filter=question%2012&page=2", tmp_path)
    assert "11 of 250 rows" in filtered  # a page past the end shows the last page
    assert [int(r) for r in visible_rows(filtered)] == [12, *range(120, 130)]
    screenshot(report.as_uri() + "#page=2", tmp_path, "report-paged.png")


@pytest.mark.parametrize("bad_hash", ["#show=%22%5D", "#filter=%E0%A4%A", "#sort=%ZZ&show=x"])
def test_report_script_survives_a_malformed_hash(bad_hash: str, tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    report.write_text(render_report(_report_run("base", "qa_small.jsonl")), encoding="utf-8")
    dom = dump_dom(report.as_uri() + bad_hash, tmp_path)
    assert 'data-ready="1"' in dom  # the script ran to the end
    assert "10 of 10 rows" in dom
