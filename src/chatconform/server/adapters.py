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
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

import httpx

from chatconform.server.core import ReferenceServer


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

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self) -> None:
        body = self._read_body()
        answer = self.reference.handle(self.command, self.path, dict(self.headers.items()), body)
        streamed = answer.headers.get("content-type", "").startswith("text/event-stream")
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        if streamed:
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
        return self.rfile.read(length) if length else b""

    def log_message(self, format: str, *args: object) -> None:
        # Request lines only, and only where asked: headers (and keys) are never logged.
        if self.log_line is not None:
            self.log_line(format % args)
