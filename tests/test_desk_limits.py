"""The desk against bad text and bad clients: a 400 before any model call, and the HTTP
limits (header and body timeouts, connection cap) that uvicorn lacks by default."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from agent.cli import cli
from agent.config import Desk, ModelSettings, Settings
from agent.web.feedback import FeedbackStore
from tests.fakes import FakeModelServer
from tests.web_live import live_desk

LATE = "My order #48213 is two weeks late and nobody answers. Where is it?"


@pytest.fixture
def model() -> Iterator[FakeModelServer]:
    with FakeModelServer() as srv:
        yield srv


@pytest.fixture
def desk(model: FakeModelServer, tmp_path: Path) -> Iterator[str]:
    settings = Settings(model=ModelSettings(name="fake-model", base_url=model.base_url,
                                            max_retries=0, timeout=10))
    with live_desk(settings, tmp_path / "fb.sqlite3") as url:
        yield url


def raw_post(url: str, path: str, body: str) -> httpx.Response:
    """JSON text as given: `\\ud800` escapes a lone surrogate that httpx would not send."""
    return httpx.post(f"{url}{path}", content=body.encode("ascii"), timeout=30,
                      headers={"content-type": "application/json"})


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/api/draft", '{"email": "\\ud800 my order is late"}', "email"),
    ("/api/draft/stream", '{"email": "my order \\udfff is late"}', "email"),
    ("/api/draft", '{"email": "late", "notes": "shipped \\ud83d"}', "notes"),
    ("/api/feedback", '{"rating": "up", "draft": "Sorry \\ud800 about that"}', "draft"),
    ("/api/feedback", '{"rating": "down", "draft": "ok", "comment": "\\udc00"}', "comment"),
    ("/api/grade", '{"id": "a\\ud800", "reply": "Sorry about the delay."}', "id"),
    ("/api/grade", '{"reply": "Sorry.", "rubrics": ["empathy", "\\ud800"]}', "rubrics.1"),
])
def test_a_lone_surrogate_is_a_400_before_any_model_call(
        desk: str, model: FakeModelServer, tmp_path: Path, path: str, body: str,
        field: str) -> None:
    """It used to reach the model, then fail with a 500 in the feedback store."""
    response = raw_post(desk, path, body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error.startswith(f"invalid request: '{field}' is not valid Unicode text: a lone "
                            "surrogate (U+D")
    assert "send the text as UTF-8" in error and "Traceback" not in response.text
    assert model.stats.chat == 0
    assert list(FeedbackStore(tmp_path / "fb.sqlite3").rows()) == []


def test_a_surrogate_pair_is_fine_and_reaches_the_model(desk: str,
                                                        model: FakeModelServer) -> None:
    response = raw_post(desk, "/api/draft", '{"email": "My order \\ud83d\\ude21 is late"}')
    assert response.status_code == 200, response.text
    assert model.stats.chat >= 1


def test_bytes_that_are_not_utf8_are_a_400(desk: str, model: FakeModelServer) -> None:
    response = httpx.post(f"{desk}/api/draft", content=b'{"email": "caf\xe9 late"}',
                          headers={"content-type": "application/json"})
    assert response.status_code == 400 and "not valid JSON" in response.json()["error"]
    assert model.stats.chat == 0


def test_a_nan_grade_id_is_refused(desk: str) -> None:
    response = raw_post(desk, "/api/grade", '{"id": NaN, "reply": "Sorry."}')
    assert response.status_code == 422 and "finite" in response.json()["error"]


def test_the_desk_holds_emails_to_max_input_bytes_not_two_million(tmp_path: Path) -> None:
    big = "My order #48213 is late. " * 100_000  # 2.5 MB, under a 3 MB limit
    with live_desk(Settings(max_input_bytes=3_000_000), tmp_path / "fb.sqlite3") as url:
        response = httpx.post(f"{url}/api/draft", json={"email": big}, timeout=60)
    assert response.status_code == 200, response.text
    assert response.json()["draft"]["body"]


# --- HTTP limits ------------------------------------------------------------------------------

@pytest.fixture
def strict_desk(tmp_path: Path) -> Iterator[str]:
    settings = Settings(desk=Desk(header_timeout=0.5, body_timeout=0.5, max_connections=8))
    with live_desk(settings, tmp_path / "fb.sqlite3") as url:
        yield url


def connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    return sock


def closed_by_server(sock: socket.socket, within: float = 10) -> tuple[bool, bytes]:
    """Read until the server closes; (closed, what it sent)."""
    sock.settimeout(within)
    got = b""
    try:
        while chunk := sock.recv(4096):
            got += chunk
    except TimeoutError:
        return False, got
    except ConnectionResetError:
        pass
    return True, got


def test_half_open_connections_are_closed_and_the_desk_keeps_answering(
        strict_desk: str) -> None:
    """A header that never ends (slowloris), or nothing at all, used to hold a connection
    for as long as the client liked; 1,100 of them held the desk."""
    silent = [connect(strict_desk) for _ in range(3)]
    partial = [connect(strict_desk) for _ in range(3)]
    for sock in partial:
        sock.sendall(b"POST /api/draft HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a")
    try:
        for sock in silent + partial:
            closed, sent = closed_by_server(sock)
            assert closed and sent == b""
        assert httpx.get(f"{strict_desk}/healthz").status_code == 200
    finally:
        for sock in silent + partial:
            sock.close()


def test_a_slow_next_request_on_a_kept_alive_connection_is_closed_too(
        strict_desk: str) -> None:
    sock = connect(strict_desk)
    try:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        sock.settimeout(10)
        first = b""
        while not first.endswith(b'{"status":"ok"}'):
            first += sock.recv(4096)
        assert first.startswith(b"HTTP/1.1 200")
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 1")  # then stall mid-header
        closed, sent = closed_by_server(sock)
        assert closed and sent == b""
    finally:
        sock.close()


def test_a_stalled_body_gets_a_408(strict_desk: str) -> None:
    sock = connect(strict_desk)
    try:
        sock.sendall(b"POST /api/draft HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
                     b'{"email": "late')
        closed, sent = closed_by_server(sock)
        assert closed, "the server should close after the 408"
    finally:
        sock.close()
    assert sent.startswith(b"HTTP/1.1 408"), sent
    assert b"the request body stalled for 0.5 s" in sent


def test_a_long_request_is_not_cut_by_the_header_timeout(tmp_path: Path) -> None:
    """The head deadline runs only while a head is awaited, not while a draft is made."""
    def slow(_: dict[str, Any]) -> str:
        time.sleep(1.0)  # twice the header timeout
        from tests.fakes import polite_responder

        return polite_responder(_)

    with FakeModelServer(responder=slow) as srv:
        settings = Settings(model=ModelSettings(name="fake-model", base_url=srv.base_url,
                                                max_retries=0, timeout=10),
                            desk=Desk(header_timeout=0.5))
        with live_desk(settings, tmp_path / "fb.sqlite3") as url, \
                httpx.Client(base_url=url, timeout=30) as client:
            for _ in range(2):  # the second on the same kept-alive connection
                response = client.post("/api/draft", json={"email": LATE})
                assert response.status_code == 200, response.text


def test_connections_over_the_cap_get_a_503_at_once(strict_desk: str) -> None:
    idle = [connect(strict_desk) for _ in range(8)]
    try:
        time.sleep(0.1)  # let the server accept them
        response = httpx.get(f"{strict_desk}/healthz")
        assert response.status_code == 503
    finally:
        for sock in idle:
            sock.close()
    deadline = time.monotonic() + 10  # once the server has seen them go
    while (status := httpx.get(f"{strict_desk}/healthz").status_code) != 200 \
            and time.monotonic() < deadline:
        time.sleep(0.05)
    assert status == 200


def test_serve_passes_the_limits_to_uvicorn(monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:
    import uvicorn

    from agent.web.server import HeaderTimeoutH11

    (tmp_path / "calmreply.toml").write_text(
        "[desk]\nheader_timeout = 7\nkeep_alive = 3\nmax_connections = 42\n")
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append(kw))
    monkeypatch.chdir(tmp_path)
    out = CliRunner().invoke(cli, ["serve", "--db", str(tmp_path / "fb.sqlite3")])
    assert out.exit_code == 0, out.output
    options = calls[0]
    assert issubclass(options["http"], HeaderTimeoutH11)
    assert options["http"].header_timeout == 7
    assert (options["timeout_keep_alive"], options["limit_concurrency"]) == (3, 42)
    assert options["h11_max_incomplete_event_size"] == 16_384


def test_info_and_errors_stay_json(strict_desk: str) -> None:
    assert json.loads(httpx.get(f"{strict_desk}/api/info").text)["source"] == "offline"
