"""The proof end to end, as a user runs it: ``chatconform run --mode live`` over HTTP.

The in-process matrix proves the checks; this proves the path around them: the CLI, the
plugin and the shipped suites, a real socket (the reference server on 127.0.0.1), and
the summary.json a user reads. Each run is a separate ``python -m chatconform`` process,
so the nested pytest session shares nothing with this one; two run at a time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import pytest
from tests.matrix.known_gaps import KNOWN_GAPS

from chatconform.contracts import contract_ids, load_contract
from chatconform.engine.matrix import FAITHFUL
from chatconform.engine.registry import get_check
from chatconform.server import ReferenceServer, RunningServer, get_fault, run_http

KEY_ENV = "CHATCONFORM_MATRIX_LIVE_KEY"
SECRET = "sk-matrix-live-0123456789"
TIMEOUT_S = 300


@pytest.fixture
def serve() -> Iterator[ExitStack]:
    """Servers entered on this stack are stopped when the test ends."""
    with ExitStack() as stack:
        yield stack


def _start(stack: ExitStack, contract_id: str, fault: str | None = None) -> RunningServer:
    server = ReferenceServer(load_contract(contract_id), api_key=SECRET, fault=fault)
    return stack.enter_context(run_http(server, "127.0.0.1", 0))


def _run(
    reports: Path, contract_id: str, url: str, *areas: str
) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "chatconform", "run", "--mode", "live"]
    argv += ["--provider", contract_id, "--base-url", url, "--api-key-env", KEY_ENV]
    argv += ["--report-dir", str(reports), "--run-id", contract_id, "--max-requests", "2000"]
    argv += [arg for area in areas for arg in ("--area", area)]
    env = {**os.environ, KEY_ENV: SECRET}
    return subprocess.run(
        [*argv, "--", "-q", "-p", "no:cacheprovider"],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )


def _summary(reports: Path, run_id: str) -> dict[str, object]:
    data = json.loads((reports / run_id / "summary.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _no_secret(reports: Path) -> None:
    for path in reports.rglob("*"):
        if path.is_file():
            assert SECRET not in path.read_text("utf-8", errors="replace"), path


LiveRuns = tuple[Path, dict[str, subprocess.CompletedProcess[str]]]


@pytest.fixture(scope="module")
def faithful_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveRuns]:
    """A live CLI run per contract against its faithful server, two at a time."""
    reports = tmp_path_factory.mktemp("live")
    ids = sorted(contract_ids())
    with ExitStack() as stack:
        urls = {cid: _start(stack, cid).url for cid in ids}
        with ThreadPoolExecutor(2) as pool:
            procs = pool.map(lambda cid: _run(reports, cid, urls[cid]), ids)
            yield reports, dict(zip(ids, procs, strict=True))


@pytest.mark.parametrize(
    "contract_id",
    [
        pytest.param(
            cid,
            marks=[pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[(FAITHFUL, cid)])]
            if (FAITHFUL, cid) in KNOWN_GAPS
            else [],
        )
        for cid in sorted(contract_ids())
    ],
)
def test_live_run_on_the_faithful_server_exits_0(faithful_runs: LiveRuns, contract_id: str) -> None:
    reports, procs = faithful_runs
    proc = procs[contract_id]
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-1000:]
    summary = _summary(reports, contract_id)
    counts = summary["counts"]
    assert isinstance(counts, dict) and counts["failed"] == 0 and counts["passed"] > 100
    assert summary["mode"] == "live"
    assert str(summary["base_url"]).startswith("http://127.0.0.1:")
    _no_secret(reports / contract_id)


def test_live_run_on_a_faulty_server_exits_1_naming_the_check(
    serve: ExitStack, tmp_path: Path
) -> None:
    contract_id, fault = "powertokens-qwen", get_fault("stream_done_missing")
    contract = load_contract(contract_id)
    url = _start(serve, contract_id, fault.name).url
    proc = _run(tmp_path, contract_id, url, "streaming")
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-1000:]
    failures = _summary(tmp_path, contract_id)["failures"]
    assert isinstance(failures, list) and failures
    rules = [contract.rule(r) for r in fault.rule_ids(contract)]
    named = {f["check"] for f in failures}
    right = {n for n in named if any(get_check(n).covers(rule) for rule in rules)}
    assert right == {"stream_done_last"}, f"summary.json names {sorted(named)}"
    _no_secret(tmp_path)
