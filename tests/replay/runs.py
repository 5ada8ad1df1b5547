"""Run the shipped suite in process (as ``chatconform run`` does) and keep what it produced.

The replay tests compare two runs of the real pipeline (planner, client, checks,
reports, recording plugin), so they drive it through ``run_cmd`` exactly like the CLI,
with a small plugin that keeps each probe's response bytes and counts the sockets the
run opened.
"""

from __future__ import annotations

import json
import re
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from chatconform._paths import data_dir
from chatconform.cli import build_parser
from chatconform.cli.run_cmd import pytest_args, run_suite
from chatconform.plugin import SESSION
from chatconform.recording.plugin import CASSETTE_DIR_ENV

# Fields of summary.json that measure time or name the target, not a verdict.
TIMING_FIELDS = frozenset({"started", "finished", "elapsed_s", "first_byte_s"})
TARGET_FIELDS = frozenset({"mode", "base_url", "url", "host", "recorded_from"})
# A duration inside a message ("first byte after 0.006 s") is timing too.
_DURATION = re.compile(r"\b\d+(?:\.\d+)? m?s\b")


@dataclass
class Run:
    """What one in-process run left behind."""

    code: int
    run_dir: Path
    bodies: dict[str, bytes] = field(default_factory=dict)  # "<provider> <probe id>" -> body
    sockets: list[Any] = field(default_factory=list)  # address families opened

    def summary(self, provider: str) -> dict[str, Any]:
        index = json.loads((self.run_dir / "index.json").read_text("utf-8"))
        entry = next(e for e in index["providers"] if e["provider"] == provider)
        document: dict[str, Any] = json.loads((self.run_dir / entry["summary"]).read_text("utf-8"))
        return document


class _Keeper:
    """A plugin for the inner session: keeps every probe's response body at the end."""

    def __init__(self, run: Run) -> None:
        self.run = run

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        state = session.config.stash.get(SESSION, None)
        if state is None:
            return
        for provider, provider_run in state.runs.items():
            for result in provider_run.results:
                if result.exchange is not None:
                    key = f"{provider} {result.probe.id}"
                    self.run.bodies[key] = result.exchange.response.body


@contextmanager
def socket_guard(opened: list[Any]) -> Iterator[None]:
    """Record the family of every socket created while active (replay must create none)."""
    original = socket.socket.__init__

    def guarded(self: socket.socket, family: Any = -1, *args: Any, **kwargs: Any) -> None:
        opened.append(family)
        original(self, family, *args, **kwargs)

    socket.socket.__init__ = guarded  # type: ignore[method-assign]
    try:
        yield
    finally:
        socket.socket.__init__ = original  # type: ignore[method-assign]


def run_chatconform(
    monkeypatch: pytest.MonkeyPatch,
    cassettes: Path,
    reports: Path,
    run_id: str,
    *flags: str,
) -> Run:
    """``chatconform run FLAGS`` in process, cassettes under ``cassettes``."""
    monkeypatch.setenv(CASSETTE_DIR_ENV, str(cassettes))
    args = build_parser().parse_args(
        ["run", "--report-dir", str(reports), "--run-id", run_id, *flags, "--", "-q"]
    )
    run = Run(code=-1, run_dir=reports / run_id)
    try:
        with socket_guard(run.sockets):
            run.code = run_suite(pytest_args(args), plugins=[_Keeper(run)])
    finally:
        _forget_suite_modules()
    return run


def verdicts(summary: dict[str, Any]) -> dict[str, Any]:
    """The summary without timing and target fields: what record and replay must share."""
    stripped: dict[str, Any] = _strip(summary)
    return stripped


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: _strip(v)
            for k, v in value.items()
            if k not in TIMING_FIELDS and k not in TARGET_FIELDS
        }
    if isinstance(value, list):
        return [_strip(v) for v in value]
    if isinstance(value, str):
        return _DURATION.sub("<duration>", value)
    return value


def _forget_suite_modules() -> None:
    """Drop the suite modules the inner run imported, so the next inner run collects anew."""
    suites = str(data_dir("suites"))
    for name, module in list(sys.modules.items()):
        if (getattr(module, "__file__", None) or "").startswith(suites):
            del sys.modules[name]
