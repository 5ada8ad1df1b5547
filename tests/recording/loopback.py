"""A tiny chat-completions server on 127.0.0.1:0 for the record/replay tests.

Real sockets on purpose: vcrpy records at the httpx transport, and the replay tests
must show that a replay opens none. Stopped by the fixture that starts it.
"""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# CRLF line ends, a comment with trailing spaces and non-ASCII text: what a byte-level
# replay must keep exactly.
SSE_BODY = (
    'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m-1",'
    '"choices":[{"index":0,"delta":{"role":"assistant","content":"你好 "},'
    '"finish_reason":null}]}\r\n\r\n'
    ": keep-alive  \n\n"
    'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m-1",'
    '"choices":[{"index":0,"delta":{"content":"世界"},"finish_reason":"stop"}]}\n\n'
    "data: [DONE]\n\n"
).encode()
LEAKY_KEY = "sk-provider-echoed-0123456789abcdef"


@dataclass
class Loopback:
    url: str
    requests: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", "0"))
        body = self.rfile.read(length)
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.server.record.requests.append((self.command, self.path, headers, body))
        try:
            request = json.loads(body)
        except ValueError:
            request = None
        if isinstance(request, dict) and request.get("stream") is True:
            self._send(200, "text/event-stream", SSE_BODY)
        elif isinstance(request, dict) and request.get("temperature", 0) > 2:
            error = {
                "error": {
                    "message": "bad temperature",
                    "type": "invalid_request_error",
                    "param": "temperature",
                    "code": None,
                }
            }
            self._send(
                400,
                "application/json",
                gzip.compress(json.dumps(error).encode()),
                {"content-encoding": "gzip"},
            )
        else:
            answer = {
                "id": "c2",
                "object": "chat.completion",
                "created": 1,
                "model": "m-1",
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": "hi"},
                    }
                ],
                "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
                "api_key": LEAKY_KEY,
            }
            self._send(
                200,
                "application/json",
                json.dumps(answer).encode(),
                {"set-cookie": "session=abc123; HttpOnly", "x-api-key": LEAKY_KEY},
            )

    def _send(
        self, status: int, content_type: str, body: bytes, extra: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        del format, args  # keep test output quiet


class _Server(ThreadingHTTPServer):
    record: Loopback


@contextmanager
def loopback_server() -> Iterator[Loopback]:
    """Serve on 127.0.0.1 (random port) until the block ends."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    host, port = server.server_address[:2]
    server.record = Loopback(url=f"http://{host!s}:{port}/v1")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.record
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
