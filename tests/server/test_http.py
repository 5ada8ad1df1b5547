"""The loopback adapter: a real HTTP/1.1 server on 127.0.0.1 that stops cleanly."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import httpx
import pytest
from tests.server.util import KEY, body, client, events, server

from chatconform.server import RunningServer, run_http


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


# -- every method, and requests the HTTP layer refuses, answer in the OpenAI error shape --

ERROR_KEYS = {"message", "type", "param", "code"}


@pytest.fixture(scope="module")
def running() -> Iterator[RunningServer]:
    """One loopback anyfast server for the method and refusal tests (stopping one takes
    up to half a second)."""
    with run_http(server("anyfast"), port=0) as serving:
        yield serving


def _raw(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send ``request`` as is and read the answer to the close (refusals close the line)."""
    with socket.create_connection(("127.0.0.1", port), 5) as sock:
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, payload = received.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines)}
    return int(status_line.split()[1]), headers, payload


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "TRACE", "OPTIONS", "BREW"])
def test_every_other_method_gets_a_json_405_with_allow(running: RunningServer, method: str) -> None:
    with httpx.Client() as c:
        response = c.request(method, f"{running.url}/chat/completions", content=b"{}")
        again = c.post(
            f"{running.url}/chat/completions",
            json=body(server("anyfast")),
            headers={"authorization": f"Bearer {KEY}"},
        )
    assert response.status_code == 405, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["allow"] == "POST"
    assert set(response.json()["error"]) == ERROR_KEYS
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert again.status_code == 200  # the connection is still in step after the 405


def test_http_and_in_process_answers_to_trace_are_the_same(running: RunningServer) -> None:
    with client(server("anyfast")) as c:
        local = c.request("TRACE", "/chat/completions")
    remote = httpx.request("TRACE", f"{running.url}/chat/completions")
    assert (remote.status_code, remote.content) == (local.status_code, local.content)
    assert remote.headers["allow"] == local.headers["allow"] == "POST"


def test_a_route_names_its_own_method_in_allow(running: RunningServer) -> None:
    response = httpx.post(f"{running.url}/models")
    assert (response.status_code, response.headers["allow"]) == (405, "GET")


def test_head_gets_the_headers_of_a_405_and_no_body(running: RunningServer) -> None:
    with httpx.Client() as c:
        head = c.head(f"{running.url}/chat/completions")
        after = c.get(f"{running.url}/models", headers={"authorization": f"Bearer {KEY}"})
    assert head.status_code == 405 and head.content == b""
    assert head.headers["content-type"] == "application/json"
    assert int(head.headers["content-length"]) > 0
    assert after.status_code == 200  # no stray body was read as the next answer


@pytest.mark.parametrize(
    ("request_line", "status", "code"),
    [
        (b"THIS IS NOT HTTP\r\n\r\n", 400, "bad_request"),
        (b"POST /v1/chat/completions\r\n\r\n", 400, "bad_request"),
        (b"POST /v1/chat/completions HTTP/2.0\r\nHost: x\r\n\r\n", 400, "bad_request"),
        (b"POST /v1/chat/completions HTTP/1.1\r\nContent-Length: ten\r\n\r\n", 400, "bad_request"),
        (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", 414, "request_uri_too_long"),
    ],
    ids=["garbage", "no-version", "http-2.0", "bad-content-length", "uri-too-long"],
)
def test_requests_the_http_layer_refuses_get_a_json_error(
    running: RunningServer, request_line: bytes, status: int, code: str
) -> None:
    got, headers, payload = _raw(running.port, request_line)
    assert got == status, payload
    assert headers["content-type"] == "application/json"
    assert int(headers["content-length"]) == len(payload)
    error = json.loads(payload)["error"]
    assert set(error) == ERROR_KEYS and error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
