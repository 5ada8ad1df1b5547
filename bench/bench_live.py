"""Live-run benchmark: does a full run per provider fit the targets of issue 3?

Targets, per provider, for ``chatconform run --mode live`` with its defaults (every
default area, ``--examples 10``): under 60 s wall time, at most 200 requests and at
most 5,000 completion tokens, with no probe skipped for want of budget (a run the
budget truncates would meet the limits by not testing).

Each provider runs against its own reference server on 127.0.0.1 over real sockets
(``chatconform.server.run_http``, keyed, so the auth probes are sent too), through the
real CLI in a child process: the time includes pytest start-up and report writing,
which is what a user waits for. When a llama.cpp peer is available (see
``tests/peer/launcher.py``) one live run against it is timed as well; it is reported
but not held to the targets, since a CPU-bound model sets its pace.

Usage (from the repository root)::

    python bench/bench_live.py                     # every contract, then the peer
    python bench/bench_live.py --provider anyfast  # one contract
    python bench/bench_live.py --no-peer --json reports/bench-live.json

Exit status: 0 every target met, 1 a target missed, 2 a run did not produce a summary.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests.peer.launcher, shared with the peer tests

from chatconform.cli.run_cmd import run_command  # noqa: E402
from chatconform.contracts import contract_ids, load_contract  # noqa: E402
from chatconform.server import ReferenceServer, run_http  # noqa: E402

MAX_SECONDS = 60.0
MAX_REQUESTS = 200
MAX_COMPLETION_TOKENS = 5000
BUDGET_SPENT = "budget spent"
# Against the peer: llama.cpp ignores max_completion_tokens, so the default token budget
# would skip probes and time less than a full run.
PEER_ARGS = ("--max-completion-tokens", "100000")


@dataclass(frozen=True)
class Result:
    target: str
    provider: str
    seconds: float
    requests: int
    completion_tokens: int
    probes: int
    failed: int
    budget_skipped: int
    exit_code: int

    def misses(self) -> list[str]:
        """The targets this run missed (none for the peer, which is only timed)."""
        if self.target == "peer":
            return []
        missed = []
        if self.seconds >= MAX_SECONDS:
            missed.append(f"{self.seconds:.1f} s >= {MAX_SECONDS:.0f} s")
        if self.requests > MAX_REQUESTS:
            missed.append(f"{self.requests} requests > {MAX_REQUESTS}")
        if self.completion_tokens > MAX_COMPLETION_TOKENS:
            missed.append(f"{self.completion_tokens} tokens > {MAX_COMPLETION_TOKENS}")
        if self.budget_skipped:
            missed.append(f"{self.budget_skipped} probe(s) skipped for budget")
        return missed


def live_run(
    provider: str, base_url: str, work: Path, env: dict[str, str], args: tuple[str, ...] = ()
) -> tuple[float, int, dict[str, Any]]:
    """Run the CLI in a child process; (seconds, exit code, summary)."""
    report_dir = work / provider
    command = run_command(
        provider, base_url, mode="live", report_dir=report_dir, run_id="bench", options=args
    )
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    seconds = time.monotonic() - started
    path = report_dir / "bench" / "summary.json"
    if not path.is_file():
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-20:])
        raise RuntimeError(f"{provider}: exit {done.returncode}, no summary:\n{tail}")
    return seconds, done.returncode, json.loads(path.read_text(encoding="utf-8"))


def result(target: str, provider: str, seconds: float, code: int, summary: Any) -> Result:
    probes = summary["probes"]
    return Result(
        target=target,
        provider=provider,
        seconds=round(seconds, 2),
        requests=summary["requests"],
        completion_tokens=summary["completion_tokens"],
        probes=len(probes),
        failed=summary["counts"]["failed"],
        budget_skipped=sum(p.get("skipped") == BUDGET_SPENT for p in probes),
        exit_code=code,
    )


def bench_reference(provider: str, work: Path) -> Result:
    contract = load_contract(provider)
    key = "sk-bench-" + secrets.token_hex(8)  # the local server's key, not a credential
    env = dict(os.environ)
    if contract.api_key_env:
        env[contract.api_key_env] = key
    with run_http(ReferenceServer(contract, api_key=key)) as running:
        seconds, code, summary = live_run(provider, running.url, work, env)
    return result("reference", provider, seconds, code, summary)


def bench_peer(work: Path, url: str | None) -> Result | str:
    """One run against the llama.cpp peer; a string saying why when there is none."""
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    if url:
        seconds, code, summary = live_run("openai-compatible", url, work, env, PEER_ARGS)
        return result("peer", "openai-compatible", seconds, code, summary)
    from tests.peer.launcher import PeerUnavailable, llama_server

    try:
        with llama_server(work / "peer-server.log") as peer:
            seconds, code, summary = live_run(
                "openai-compatible", peer.base_url, work, env, PEER_ARGS
            )
    except PeerUnavailable as reason:
        return str(reason)
    return result("peer", "openai-compatible", seconds, code, summary)


def print_table(results: list[Result]) -> None:
    header = f"{'target':<10} {'provider':<22} {'seconds':>8} {'requests':>9} {'tokens':>7}"
    print(header + f" {'probes':>7} {'failed':>7}  verdict")
    for r in results:
        misses = r.misses()
        verdict = (
            "timed only" if r.target == "peer" else ("ok" if not misses else "; ".join(misses))
        )
        print(
            f"{r.target:<10} {r.provider:<22} {r.seconds:>8.1f} {r.requests:>9} "
            f"{r.completion_tokens:>7} {r.probes:>7} {r.failed:>7}  {verdict}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--provider", action="append", help="contract id (default: every one)")
    parser.add_argument("--no-peer", action="store_true", help="skip the llama.cpp peer run")
    parser.add_argument("--peer-url", help="use a peer already running at this base URL")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)
    providers = args.provider or sorted(contract_ids())
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="chatconform-bench-") as tmp:
        work = Path(tmp)
        try:
            for provider in providers:
                results.append(bench_reference(provider, work))
                print(f"reference {provider}: {results[-1].seconds:.1f} s", flush=True)
            peer = None if args.no_peer else bench_peer(work, args.peer_url)
        except RuntimeError as error:
            print(f"bench_live: {error}", file=sys.stderr)
            return 2
    if isinstance(peer, Result):
        results.append(peer)
    print_table(results)
    if isinstance(peer, str):
        print(f"peer: not run ({peer})")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n")
    missed = [r for r in results if r.misses()]
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
