"""Two ways to reach the reference server: in-process through httpx, or over loopback HTTP.

The in-process transport is what fast tests and the fault matrix use: no socket, no
port, yet the body still arrives chunk by chunk through ``httpx.SyncByteStream``, so the
client reads a stream the way it reads a live one. The loopback server (stdlib
``ThreadingHTTPServer``, HTTP/1.1, chunked transfer for event streams) is for whatever
cannot take a transport: another process, ``curl``, a client under development.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

import httpx

from chatconform.server import render
from chatconform.server.core import JSON, ReferenceServer


class _Chunks(httpx.SyncByteStream):
    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self._chunks


class ReferenceTransport(httpx.BaseTransport):
    """An httpx transport answered by a ``ReferenceServer`` in the same process."""

    def __init__(self, server: ReferenceServer) -> None:
        self.server = server

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        answer = self.server.handle(
            request.method,
            request.url.raw_path.decode("ascii"),
            dict(request.headers),
            request.read(),
        )
        return httpx.Response(
            answer.status, headers=answer.headers, stream=_Chunks(answer.chunks), request=request
        )


def transport(server: ReferenceServer) -> httpx.BaseTransport:
    """An in-process httpx transport for ``server`` (no sockets)."""
    return ReferenceTransport(server)


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (``localhost``, 127.0.0.0/8, ``::1``)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class RunningServer:
    """A reference server listening on a port; ``stop()`` (or leaving ``with``) ends it."""

    def __init__(self, httpd: ThreadingHTTPServer, thread: threading.Thread, url: str) -> None:
        self._httpd = httpd
        self._thread = thread
        self.url = url  # base URL including the contract's path prefix, e.g. .../v1
        self.host, self.port = str(httpd.server_address[0]), int(httpd.server_address[1])

    def stop(self) -> None:
        """Stop serving, close the socket and join the serving thread."""
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def run_http(
    server: ReferenceServer,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    allow_remote: bool = False,
    log: Callable[[str], None] | None = None,
) -> RunningServer:
    """Serve ``server`` on ``host:port`` (0: a free port) in a daemon thread.

    A host other than loopback is refused unless ``allow_remote``: the server has no
    real security and should not be reachable from the network by accident.
    """
    if not allow_remote and not is_loopback(host):
        raise ValueError(f"refusing to listen on non-loopback host {host!r}")
    handler = type(
        "Handler",
        (_Handler,),
        {"reference": server, "log_line": staticmethod(log) if log else None},
    )
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    httpd_class = type(
        "Server", (ThreadingHTTPServer,), {"address_family": family, "daemon_threads": True}
    )
    httpd = httpd_class((host, port), handler)
    thread = threading.Thread(target=httpd.serve_forever, name="chatconform-serve", daemon=True)
    thread.start()
    bound_host = f"[{host}]" if family == socket.AF_INET6 else host
    prefix = urlsplit(server.contract.base_url).path.rstrip("/") or "/v1"
    return RunningServer(httpd, thread, f"http://{bound_host}:{httpd.server_address[1]}{prefix}")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    reference: ReferenceServer
    log_line: Callable[[str], None] | None

    def __getattr__(self, name: str) -> Callable[[], None]:
        # The stdlib routes a method to ``do_<METHOD>`` and answers any method without one
        # (TRACE, PATCH, OPTIONS, a made-up verb) with a 501 HTML page: a 5xx for client
        # input. Every method goes to the core instead, which answers 405 in JSON with
        # ``Allow``, exactly as the in-process transport does.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def _serve(self) -> None:
        try:
            body = self._read_body()
        except ValueError as problem:  # a Content-Length or chunk size that is not a number
            self.send_error(400, f"the request body cannot be read: {problem}")
            return
        answer = self.reference.handle(self.command, self.path, dict(self.headers.items()), body)
        streamed = answer.headers.get("content-type", "").startswith("text/event-stream")
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        if self.command == "HEAD":
            # A HEAD answer carries the headers of the body it withholds, never the body:
            # bytes after the headers would be read as the next response on the connection.
            payload = answer.body()
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
        elif streamed:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for chunk in answer.chunks:
                if chunk:
                    self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                    self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        else:
            payload = answer.body()
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        self.wfile.flush()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Answer a request the HTTP layer refused (a malformed request line, an over-long
        header, an unknown HTTP version) in the OpenAI error shape, never the stdlib's
        HTML page. Such a request never reached the core: there is no route to judge."""
        short = self.responses.get(code, ("Error", ""))[0]
        text = message or short
        self.log_error("code %d, message %s", code, text)
        # The refusal is caused by what the client sent; the baseline allows no 5xx for
        # client input (the stdlib's 505 for an HTTP/2.0 request line included).
        status = code if code < 500 else 400
        if self.request_version == "HTTP/0.9":
            # The request line could not be read, so its version is unknown: answer with a
            # status line and headers a client can parse, not a bare HTTP/0.9 body.
            self.request_version = self.protocol_version
        error = {
            "message": text,
            "type": "invalid_request_error",
            "param": None,
            "code": _name(status),
        }
        payload = render.encode({"error": error})
        self.send_response(status)
        self.send_header("Content-Type", JSON)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            parts: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0:
            raise ValueError(f"negative Content-Length {length}")
        return self.rfile.read(length) if length else b""

    def log_message(self, format: str, *args: object) -> None:
        # Request lines only, and only where asked: headers (and keys) are never logged.
        if self.log_line is not None:
            self.log_line(format % args)


def _name(status: int) -> str:
    """``request_uri_too_long`` for 414: the error code of a refusal, from its status."""
    try:
        return HTTPStatus(status).name.lower()
    except ValueError:
        return "bad_request"
