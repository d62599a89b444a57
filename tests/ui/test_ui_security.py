"""The UI's guards, through Starlette's TestClient: Host header (DNS rebinding), token,
same-origin state changes, no path traversal, no inline script, bind rules."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

with warnings.catch_warnings():  # starlette asks for httpx2; httpx is what the venv has
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

import evalkit
from evalkit.ui import UiBindError, allowed_hosts, build_app, is_loopback
from evalkit.ui.data import forget_tables
from evalkit.ui.feedback import human_feedback

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
BASE = "http://127.0.0.1:8765"


@evalkit.scorer
def same(outputs: str, expectations: dict) -> bool:
    return outputs.strip() == expectations["expected_response"].strip()


@pytest.fixture
def run_id() -> Iterator[str]:
    with evalkit.start_run(run_name="r") as run:
        evalkit.evaluate(str(FIXTURES / "qa_small.jsonl"), scorers=[same], progress=False)
    yield run.info.run_id
    forget_tables()


def _client(**kwargs: object) -> TestClient:
    return TestClient(build_app(**kwargs), base_url=BASE)  # type: ignore[arg-type]


def _form_key(client: TestClient, run_id: str) -> str:
    page = client.get(f"/runs/{run_id}/rows/0").text
    match = re.search(r'name="form_key" value="([^"]+)"', page)
    assert match
    return match.group(1)


@pytest.mark.parametrize("host", ["evil.example", "attacker.test:8765", "127.0.0.1.evil.test"])
def test_a_foreign_host_header_is_refused(host: str, run_id: str) -> None:
    client = _client()
    response = client.get(f"/runs/{run_id}", headers={"host": host})
    assert response.status_code == 400
    assert run_id not in response.text


@pytest.mark.parametrize("host", ["127.0.0.1:8765", "localhost:8765", "[::1]:8765"])
def test_loopback_host_headers_are_answered(host: str, run_id: str) -> None:
    assert _client().get("/", headers={"host": host}).status_code == 200


def test_non_loopback_bind_needs_a_token() -> None:
    for host in ("0.0.0.0", "192.168.1.20", "::"):
        assert not is_loopback(host)
        with pytest.raises(UiBindError, match="without a token"):
            build_app(host)
    assert build_app("192.168.1.20", token="s3cret")
    assert allowed_hosts("192.168.1.20") == ["192.168.1.20"]
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")


def test_serve_generates_and_prints_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    import uvicorn

    from evalkit.ui import serve

    monkeypatch.setattr(uvicorn.Server, "run", lambda self, sockets=None: None)
    out = io.StringIO()
    serve("127.0.0.1", 0, token="generate", out=out)
    printed = out.getvalue()
    match = re.search(r"http://127\.0\.0\.1:\d+/\?token=([\w-]{20,})", printed)
    assert match, printed


def test_with_a_token_every_request_needs_it(run_id: str) -> None:
    client = _client(token="s3cret-token")
    assert client.get(f"/runs/{run_id}").status_code == 401
    assert client.get("/", params={"token": "wrong"}).status_code == 401
    assert client.get("/", headers={"authorization": "Bearer s3cret-token"}).status_code == 200
    traded = client.get(f"/runs/{run_id}", params={"token": "s3cret-token"}, follow_redirects=False)
    assert traded.status_code == 303 and "token" not in traded.headers["location"]
    assert "httponly" in traded.headers["set-cookie"].lower()
    assert "samesite=strict" in traded.headers["set-cookie"].lower()
    assert client.get(f"/runs/{run_id}").status_code == 200  # the cookie now


def test_state_changes_need_the_form_key_and_the_same_origin(run_id: str) -> None:
    client = _client()
    key = _form_key(client, run_id)
    url = f"/runs/{run_id}/rows/0/feedback"
    good = {"value": "good", "rationale": "fine", "form_key": key}
    assert client.post(url, data={**good, "form_key": "guess"}).status_code == 403
    assert client.post(url, data={"value": "good"}).status_code == 403
    for origin in ("http://evil.example", "null", "http://127.0.0.1:9999"):
        assert client.post(url, data=good, headers={"origin": origin}).status_code == 403
    assert client.post(url, data=good, headers={"sec-fetch-site": "cross-site"}).status_code == 403
    assert client.get(url).status_code == 405  # a GET never changes anything
    assert human_feedback(run_id) == []
    done = client.post(url, data=good, headers={"origin": BASE}, follow_redirects=False)
    assert done.status_code == 303
    assert [f.value for f in human_feedback(run_id, 0)] == ["good"]


@pytest.mark.parametrize(
    "path",
    [
        "/static/..%2f..%2fpyproject.toml",
        "/static/%2e%2e%2f__init__.py",
        "/static/../app.py",
        "/static/templates%2fbase.html.j2",
        "/runs/..%2f..%2f..%2fetc%2fpasswd",
        "/runs/%2e%2e%2fartifacts",
        "/runs/{run}/rows/..%2f..%2f",
        "/runs/{run}/rows/-1",
        "/runs/{run}%2f..%2f..%2fmeta.yaml",
        "/experiments/..%2f0",
        "/experiments/0%2f..",
        "/compare?run=..%2f..%2fetc&run=x",
    ],
)
def test_no_route_reaches_outside_what_it_serves(path: str, run_id: str) -> None:
    response = _client().get(path.replace("{run}", run_id))
    assert response.status_code in (400, 404)
    assert "import " not in response.text and "root:" not in response.text


def test_pages_carry_a_strict_content_security_policy_and_no_inline_script(run_id: str) -> None:
    client = _client()
    for path in (
        "/?all=1",
        "/experiments/0",
        f"/runs/{run_id}",
        f"/runs/{run_id}/rows/1",
        "/datasets",
        f"/compare?run={run_id}&run={run_id}x",
    ):
        response = client.get(path)
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "default-src 'none'" in policy
        assert response.headers["x-content-type-options"] == "nosniff"
        assert re.findall(r"<script[^>]*>", response.text) in (
            [],
            ['<script src="/static/ui.js" defer>'],
        )
