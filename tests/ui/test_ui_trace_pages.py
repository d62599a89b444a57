"""The traces page is paged like the run table: a page size, previous/next links that keep
the filter, every trace reachable (no cap at 500)."""

from __future__ import annotations

import html
import re
import warnings

import pytest

with warnings.catch_warnings():  # starlette asks for httpx2; httpx is what the venv has
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from trace_samples import agent_trace

import evalkit
from evalkit.ui import build_app

BASE = "http://127.0.0.1:8765"


def _client() -> TestClient:
    return TestClient(build_app(), base_url=BASE)


@pytest.fixture
def logged() -> tuple[str, list[str]]:
    """The traces page of 25 traces (every 5th an ERROR), and their ids, oldest first."""
    experiment_id = evalkit.set_experiment("paged").experiment_id
    traces = [agent_trace(f"q{n}", f"a{n}", offset_s=n, error=n % 5 == 0) for n in range(25)]
    return f"/experiments/{experiment_id}/traces", evalkit.log_traces(traces)


def _rows(text: str) -> list[str]:
    return re.findall(r'<tr class="trace[^"]*" data-trace="([^"]+)"', text)


def _href(text: str, kind: str) -> str | None:
    found = re.search(rf'<a class="{kind}" rel="{kind}" href="([^"]+)"', text)
    return html.unescape(found.group(1)) if found else None


def test_pages_walk_every_trace_newest_first(logged: tuple[str, list[str]]) -> None:
    url, ids = logged
    client = _client()
    newest_first = ids[::-1]
    page = client.get(url, params={"size": 10}).text
    assert _rows(page) == newest_first[:10]
    assert "traces 1–10" in page and 'data-page="1"' in page
    assert _href(page, "prev") is None
    seen = _rows(page)
    link = _href(page, "next")
    while link:
        page = client.get(link).text
        seen += _rows(page)
        link = _href(page, "next")
    assert seen == newest_first  # each trace once, in order
    assert "traces 21–25" in page and 'data-page="3"' in page
    back = client.get(_href(page, "prev") or "").text
    assert _rows(back) == newest_first[10:20]


def test_the_filter_and_size_are_kept_in_the_links(logged: tuple[str, list[str]]) -> None:
    url, ids = logged
    client = _client()
    errors = [ids[n] for n in (20, 15, 10, 5, 0)]  # ERROR every 5th, newest first
    first = client.get(url, params={"filter": "attributes.status = 'ERROR'", "size": 2}).text
    assert _rows(first) == errors[:2]
    link = _href(first, "next")
    assert link is not None and "filter=attributes.status" in link and "size=2" in link
    second = client.get(link).text
    assert _rows(second) == errors[2:4]
    third = client.get(_href(second, "next") or "").text
    assert _rows(third) == errors[4:] and _href(third, "next") is None
    assert 'value="attributes.status = &#39;ERROR&#39;"' in third  # the form shows it too


def test_bad_page_numbers_and_sizes_are_safe(logged: tuple[str, list[str]]) -> None:
    url, ids = logged
    client = _client()
    assert _rows(client.get(url, params={"page": "abc"}).text) == ids[::-1]  # page 1
    assert _rows(client.get(url, params={"page": "-3"}).text) == ids[::-1]
    beyond = client.get(url, params={"page": 9, "size": 10})
    assert beyond.status_code == 200 and _rows(beyond.text) == []
    assert "no traces" in beyond.text and _href(beyond.text, "prev") is not None
    assert _rows(client.get(url, params={"max": 3}).text) == ids[::-1][:3]  # the old name
    big = client.get(url, params={"size": 100_000}).text
    assert 'data-size="500"' in big and len(_rows(big)) == 25


def test_more_than_500_traces_are_all_reachable() -> None:
    experiment_id = evalkit.set_experiment("many").experiment_id
    evalkit.log_traces([agent_trace(f"q{n}", "a", offset_s=n) for n in range(620)])
    client = _client()
    url = f"/experiments/{experiment_id}/traces"
    first = client.get(url, params={"size": 500}).text
    assert len(_rows(first)) == 500
    rest = client.get(_href(first, "next") or "").text
    assert len(_rows(rest)) == 120 and "traces 501–620" in rest
