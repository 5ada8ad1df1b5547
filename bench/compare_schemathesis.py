"""Side by side: which catalogue faults plain schemathesis catches, and which chatconform does.

Both tools get the same contract and the same faulty server. schemathesis gets the
contract as OpenAPI (``export_openapi``) and runs its own CLI with every check, positive
and negative data; chatconform runs its full plan (``chatconform.engine.matrix``). A
fault counts as caught by schemathesis when the faulty server gives it a failure (code
and operation) that the faithful server of the same contract does not; by chatconform
when a check enforcing the broken rule fails.

Usage (from the repository root; about 10 s per schemathesis run, two at a time)::

    python bench/compare_schemathesis.py                 # each fault on one contract
    python bench/compare_schemathesis.py --all-pairs     # every (fault, contract) pair
    python bench/compare_schemathesis.py --contract powertokens-qwen --fault stop_ignored

Servers listen on 127.0.0.1 only and stop when the script ends.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from chatconform.contracts import contract_ids, load_contract
from chatconform.contracts.openapi import export_openapi
from chatconform.engine.matrix import FAITHFUL, run_pair
from chatconform.server import ReferenceServer, all_faults, get_fault, run_http

KEY = "sk-bench-reference-key"  # the local reference server's key, not a credential
ST_ARGS = ["--checks", "all", "-m", "all", "-n", "20", "--seed", "42"]


@dataclass
class Row:
    fault: str
    contract: str
    st_failures: list[str] = field(default_factory=list)  # "ST101 POST /chat/completions"
    st_new: list[str] = field(default_factory=list)  # not seen on the faithful server
    st_exit: int = 0
    st_seconds: float = 0.0
    cc_caught_by: list[str] = field(default_factory=list)
    cc_status: str = ""


def schemathesis(
    openapi: Path, url: str, workdir: Path, extra: list[str]
) -> tuple[int, list[str], float]:
    """Run the plain CLI once; its failures as ``CODE OPERATION`` strings."""
    report = workdir / "report.json"
    argv = [_st_binary(), "run", str(openapi), "--url", url, *ST_ARGS, *extra]
    argv += ["-H", f"Authorization: Bearer {KEY}", "--no-color", "--generation-database", "none"]
    argv += ["--report", "json", "--report-json-path", str(report)]
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=workdir, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if not report.exists():
        return proc.returncode, [f"NO-REPORT exit {proc.returncode}: {proc.stderr[-200:]}"], seconds
    data = json.loads(report.read_text(encoding="utf-8"))
    found = sorted(
        f"{failure['code']} {operation}"
        for failure in data.get("failures", [])
        for operation in failure.get("operations", [])
    )
    found += [f"ERROR {error.get('title', error)}" for error in data.get("errors", [])]
    return proc.returncode, found, seconds


def _st_binary() -> str:
    beside = Path(sys.executable).with_name("schemathesis")
    return str(beside) if beside.exists() else (shutil.which("schemathesis") or "schemathesis")


def run_one(fault: str, contract_id: str, root: Path, extra: list[str]) -> Row:
    contract = load_contract(contract_id)
    workdir = root / contract_id / fault
    workdir.mkdir(parents=True, exist_ok=True)
    openapi = root / contract_id / "openapi.json"
    server = ReferenceServer(contract, api_key=KEY, fault=None if fault == FAITHFUL else fault)
    with run_http(server, "127.0.0.1", 0) as running:
        code, found, seconds = schemathesis(openapi, running.url, workdir, extra)
    return Row(fault, contract_id, found, st_exit=code, st_seconds=round(seconds, 1))


def pairs(contracts: list[str], faults: list[str], every: bool) -> list[tuple[str, str]]:
    """(fault, contract) to run: every applicable pair, or each fault's first contract."""
    out: list[tuple[str, str]] = []
    for name in faults:
        applies = [c for c in contracts if get_fault(name).applies_to(load_contract(c))]
        out += [(name, c) for c in (applies if every else applies[:1])]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contract", action="append", dest="contracts", metavar="ID")
    parser.add_argument("--fault", action="append", dest="faults", metavar="NAME")
    parser.add_argument("--all-pairs", action="store_true", help="every applicable pair")
    parser.add_argument("--jobs", type=int, default=2, help="schemathesis runs at a time (2)")
    parser.add_argument("--out", type=Path, help="keep reports and compare.json here")
    parser.add_argument(
        "--st-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="one more schemathesis argument (repeatable), e.g. --st-arg=--continue-on-failure",
    )
    args = parser.parse_args(argv)
    contracts = args.contracts or sorted(contract_ids())
    faults = args.faults or [f.name for f in all_faults()]
    root = args.out or Path(tempfile.mkdtemp(prefix="chatconform-vs-st-"))
    for cid in contracts:
        (root / cid).mkdir(parents=True, exist_ok=True)
        spec = export_openapi(load_contract(cid))
        (root / cid / "openapi.json").write_text(json.dumps(spec, ensure_ascii=False))
    todo = [(FAITHFUL, c) for c in contracts] + pairs(contracts, faults, args.all_pairs)
    start = time.perf_counter()
    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        rows = list(pool.map(lambda job: run_one(job[0], job[1], root, args.st_arg), todo))
    st_seconds = time.perf_counter() - start
    baseline = {r.contract: set(r.st_failures) for r in rows if r.fault == FAITHFUL}
    start = time.perf_counter()
    for row in rows:
        row.st_new = [f for f in row.st_failures if f not in baseline[row.contract]]
        result = run_pair(row.contract, row.fault)
        row.cc_caught_by, row.cc_status = list(result.caught_by), result.status
    cc_seconds = time.perf_counter() - start
    print("schemathesis run openapi.json --url URL " + " ".join([*ST_ARGS, *args.st_arg]))
    print(render(rows, st_seconds, cc_seconds))
    (root / "compare.json").write_text(json.dumps([asdict(r) for r in rows], indent=1))
    print(f"\nreports: {root}")
    return 0


def render(rows: list[Row], st_seconds: float, cc_seconds: float) -> str:
    width = max(len(r.fault) for r in rows)
    lines = [f"{'fault':<{width}}  {'contract':<20}  {'schemathesis':<44}  chatconform"]
    for r in rows:
        if r.fault == FAITHFUL:
            st = "failures: " + (", ".join(r.st_failures) or "none")
            cc = "failures: none" if r.cc_status == "clean" else r.cc_status
        else:
            st = ("caught: " + ", ".join(r.st_new)) if r.st_new else "MISSED"
            cc = ("caught: " + ", ".join(r.cc_caught_by)) if r.cc_caught_by else r.cc_status.upper()
        lines.append(f"{r.fault:<{width}}  {r.contract:<20}  {st[:44]:<44}  {cc}")
    faults = [r for r in rows if r.fault != FAITHFUL]
    st_caught = sum(bool(r.st_new) for r in faults)
    cc_caught = sum(bool(r.cc_caught_by) for r in faults)
    lines += [
        "",
        f"pairs {len(faults)} ({len({r.fault for r in faults})} faults): "
        f"schemathesis caught {st_caught}, chatconform caught {cc_caught} "
        f"(by the check enforcing the broken rule)",
        f"faithful server: schemathesis failures "
        f"{sum(len(r.st_failures) for r in rows if r.fault == FAITHFUL)}, chatconform false "
        f"positives {sum(r.cc_status != 'clean' for r in rows if r.fault == FAITHFUL)}",
        f"time: schemathesis {st_seconds:.0f} s, chatconform {cc_seconds:.0f} s",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
