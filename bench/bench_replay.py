"""Time the main job: ``chatconform`` with no arguments, every bundled set replayed offline.

Each repetition runs the command in a fresh process and a fresh working directory (as
a user would), then reads the run's ``index.json`` for the number of replayed requests.
A second command, the same replay with ``--collect-only``, measures what is paid before
the first probe (interpreter and pytest start-up, contract loading, planning), so the
per-request figure is the cost of a replayed interaction itself.

Usage (from the repository root)::

    python bench/bench_replay.py            # 3 repetitions, median reported
    python bench/bench_replay.py -n 5 --json

Wall time depends on what else the machine runs: CPU seconds (user + system, of the
child process) are printed beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Timing:
    wall_s: float
    cpu_s: float
    exit_code: int


@dataclass(frozen=True)
class Result:
    repetitions: int
    total_s: float  # median wall time of the main job
    total_cpu_s: float
    startup_s: float  # median wall time to the first probe (collect-only)
    requests: int
    providers: int
    passed: int
    failed: int
    exit_code: int

    @property
    def ms_per_request(self) -> float:
        return 1000 * (self.total_s - self.startup_s) / max(self.requests, 1)

    @property
    def ms_per_request_all_in(self) -> float:
        return 1000 * self.total_s / max(self.requests, 1)


def timed(command: list[str], cwd: Path) -> Timing:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode not in (0, 1):
        sys.stderr.write(done.stdout[-2000:] + done.stderr[-2000:])
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}")
    return Timing(wall, cpu, done.returncode)


def bench(repetitions: int) -> Result:
    main_job = [sys.executable, "-m", "chatconform"]
    collect = [sys.executable, "-m", "chatconform", "run", "--", "--collect-only", "-q"]
    env_keys = [k for k in os.environ if k.endswith("_API_KEY")]
    if env_keys:
        print(f"note: {', '.join(sorted(env_keys))} set; replay never sends them anywhere")
    runs: list[Timing] = []
    startups: list[Timing] = []
    index: dict[str, object] = {}
    for _ in range(repetitions):
        with tempfile.TemporaryDirectory(prefix="bench-replay-") as cwd:
            runs.append(timed(main_job, Path(cwd)))
            (run_dir,) = (Path(cwd) / "reports").iterdir()
            index = json.loads((run_dir / "index.json").read_text("utf-8"))
        with tempfile.TemporaryDirectory(prefix="bench-replay-") as cwd:
            startups.append(timed(collect, Path(cwd)))
    entries = index.get("providers", [])
    assert isinstance(entries, list)
    return Result(
        repetitions=repetitions,
        total_s=statistics.median(t.wall_s for t in runs),
        total_cpu_s=statistics.median(t.cpu_s for t in runs),
        startup_s=statistics.median(t.wall_s for t in startups),
        requests=sum(int(e["requests"]) for e in entries),
        providers=len(entries),
        passed=sum(int(e["counts"]["passed"]) for e in entries),
        failed=sum(int(e["counts"]["failed"]) for e in entries),
        exit_code=runs[-1].exit_code,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--repetitions", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args()
    result = bench(max(args.repetitions, 1))
    if args.json:
        figures = {
            **asdict(result),
            "ms_per_request": round(result.ms_per_request, 2),
            "ms_per_request_all_in": round(result.ms_per_request_all_in, 2),
        }
        print(json.dumps(figures, indent=2))
        return 0
    print(
        f"main job (offline replay, {result.providers} providers, {result.requests} requests, "
        f"median of {result.repetitions}):"
    )
    print(f"  total            {result.total_s:6.2f} s wall, {result.total_cpu_s:6.2f} s CPU")
    print(f"  before 1st probe {result.startup_s:6.2f} s wall (start-up, contracts, planning)")
    print(f"  per request      {result.ms_per_request:6.2f} ms (all in: "
          f"{result.ms_per_request_all_in:.2f} ms)")  # fmt: skip
    print(f"  check outcomes   {result.passed} passed, {result.failed} failed; "
          f"exit {result.exit_code}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
