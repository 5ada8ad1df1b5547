"""The loopback adapter: a real HTTP/1.1 server on 127.0.0.1 that stops cleanly."""

from __future__ import annotations

import socket

import httpx
import pytest
from tests.server.util import KEY, body, events, server

from chatconform.server import run_http


def test_serves_a_stream_over_http_and_stops() -> None:
    srv = server("powertokens-byteplus")
    running = run_http(srv, "127.0.0.1", 0)
    try:
        assert running.url == f"http://127.0.0.1:{running.port}/v1"
        with httpx.Client(base_url=running.url, headers={"authorization": f"Bearer {KEY}"}) as c:
            response = c.post("/chat/completions", json=body(srv, stream=True))
            assert response.headers["transfer-encoding"] == "chunked"
            assert events(response)[-1] == "[DONE]"
            plain = c.post("/chat/completions", json=body(srv))
            assert plain.json()["object"] == "chat.completion"
    finally:
        running.stop()
    assert not running._thread.is_alive()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", running.port), 0.5):
        pass


def test_context_manager_stops_the_server() -> None:
    with run_http(server("anyfast"), port=0) as running:
        thread = running._thread
        assert (
            httpx.get(
                f"{running.url}/models", headers={"authorization": f"Bearer {KEY}"}
            ).status_code
            == 200
        )
    assert not thread.is_alive()


def test_errors_over_http_are_json() -> None:
    with run_http(server("anyfast"), port=0) as running:
        response = httpx.post(f"{running.url}/chat/completions", content=b"{")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"


def test_non_loopback_host_is_refused() -> None:
    with pytest.raises(ValueError, match="non-loopback"):
        run_http(server("anyfast"), "0.0.0.0", 0)
