"""Run ``chatconform run`` in a child process and read back what it wrote.

A child process, not ``pytest.main`` in this one: the run is a pytest session of its
own with its own plugins and settings, exactly as a user starts it.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chatconform.cli.run_cmd import run_command

RUN_TIMEOUT = 1800.0


@dataclass(frozen=True)
class LiveRun:
    returncode: int
    seconds: float
    summary: dict[str, Any]
    output: str  # the tail of the run's console output, for assertion messages

    @property
    def failures(self) -> list[tuple[str, str]]:
        return [(f["check"], f["probe"]) for f in self.summary["failures"]]

    def probe(self, probe_id: str) -> dict[str, Any]:
        for entry in self.summary["probes"]:
            if entry["id"] == probe_id:
                return dict(entry)
        raise KeyError(f"probe {probe_id!r} not in the summary")


def live_run(
    base_url: str,
    report_dir: Path,
    args: Sequence[str] = (),
    *,
    provider: str = "openai-compatible",
    env: Mapping[str, str] | None = None,
    drop_env: Sequence[str] = ("OPENAI_API_KEY",),
) -> LiveRun:
    """``chatconform run --provider P --base-url URL --mode live ARGS`` and its summary."""
    child_env = {k: v for k, v in (env or os.environ).items() if k not in drop_env}
    command = run_command(
        provider, base_url, mode="live", report_dir=report_dir, run_id="peer", options=args
    )
    started = time.monotonic()
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env=child_env,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    seconds = time.monotonic() - started
    output = "\n".join((done.stdout + done.stderr).splitlines()[-40:])
    path = report_dir / "peer" / "summary.json"
    if not path.is_file():
        raise AssertionError(f"exit {done.returncode}, no {path}:\n{output}")
    summary = json.loads(path.read_text(encoding="utf-8"))
    return LiveRun(done.returncode, seconds, summary, output)
