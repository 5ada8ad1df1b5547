"""The fault matrix: the proof that the harness finds what it claims to find.

A check that never fails proves nothing, and one that fails on a conformant endpoint
is worse. The matrix runs the full plan of every contract against the reference server:
once faithful, where any failure is a false positive of the harness, and once per
catalogue fault that applies to the contract, where the run must fail *in a check that
enforces the rule the fault breaks*. A fault noticed only by an unrelated check is not
caught: the report would name the wrong rule.

This is the one engine module that reaches into the server, the checks and the report
writer; nothing in the engine imports it.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import time
import traceback
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from fnmatch import fnmatchcase
from functools import cache
from pathlib import Path

import httpx

from chatconform import __version__
from chatconform.contracts import contract_ids as runnable
from chatconform.contracts import load_contract
from chatconform.contracts.model import Contract
from chatconform.engine._matrix_result import (
    FAITHFUL,
    Failure,
    MatrixResult,
    PairResult,
    Status,
    render_problems,
    render_table,
    totals,
)
from chatconform.engine.client import send
from chatconform.engine.evaluate import Outcome, evaluate
from chatconform.engine.exchange import Exchange
from chatconform.engine.planner import plan
from chatconform.engine.probe import Probe
from chatconform.engine.registry import CheckContext, get_check
from chatconform.engine.runner import Budget, ProbeResult
from chatconform.report.redact import Scrubber
from chatconform.report.summary import ProviderRun, utc_now, write_reports
from chatconform.server import Fault, ReferenceServer, all_faults, get_fault, transport

API_KEY = "chatconform-matrix-key"  # the reference server's own key, not a credential
MAX_PROCESSES = 2  # the machines this runs on share two cores with everything else

__all__ = [
    "API_KEY",
    "FAITHFUL",
    "MAX_PROCESSES",
    "Failure",
    "MatrixResult",
    "PairResult",
    "Status",
    "render_problems",
    "render_table",
    "right_checks",
    "run_matrix",
    "run_pair",
    "totals",
]

Task = tuple[str, str, int, str, bool]  # contract, fault or FAITHFUL, examples, report, reuse


def run_matrix(
    contract_ids: Iterable[str] | None = None,
    faults: Iterable[str] | None = None,
    *,
    examples: int = 10,
    processes: int = MAX_PROCESSES,
    report_dir: Path | None = None,
    reuse: bool = True,
) -> MatrixResult:
    """Run the faithful server and every applicable fault over each contract's full plan.

    ``contract_ids`` defaults to every runnable contract, ``faults`` (names) to the whole
    catalogue. With ``report_dir`` each run writes
    ``<report_dir>/<contract>/<fault or faithful>/summary.json``. ``processes`` above 1
    spreads the runs over at most :data:`MAX_PROCESSES` spawned worker processes (a
    script calling this needs the usual ``if __name__ == "__main__":`` guard).
    ``reuse=False`` evaluates every exchange afresh (see :func:`_outcomes`).
    """
    ids = sorted(runnable()) if contract_ids is None else list(contract_ids)
    chosen = all_faults() if faults is None else [get_fault(name) for name in faults]
    names = [FAITHFUL] + [f.name for f in chosen]
    # Contract-major order: a worker handed a chunk meets one contract's plan and faithful
    # answers once and reuses them for the chunk.
    tasks: list[Task] = [
        (cid, name, examples, str(report_dir or ""), reuse)
        for cid in ids
        for name in names
        if name == FAITHFUL or get_fault(name).applies_to(load_contract(cid))
    ]
    start = time.perf_counter()
    workers = max(1, min(processes, MAX_PROCESSES, len(tasks)))
    if workers == 1:
        results = [_run_task(task) for task in tasks]
    else:
        # spawn, not fork: forking a process that holds threads (pytest, httpx) is unsafe.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            results = list(pool.map(_run_task, tasks, chunksize=8))
    seconds = time.perf_counter() - start
    faithful = tuple(r for r in results if r.fault == FAITHFUL)
    pairs = tuple(r for r in results if r.fault != FAITHFUL)
    return MatrixResult(faithful, pairs, round(seconds, 1))


def run_pair(
    contract_id: str,
    fault: str | None = None,
    *,
    examples: int = 10,
    report_dir: Path | None = None,
    reuse: bool = True,
) -> PairResult:
    """One run of ``contract_id``'s full plan against the server (``fault`` on, or none)."""
    return _run_task((contract_id, fault or FAITHFUL, examples, str(report_dir or ""), reuse))


def _run_task(task: Task) -> PairResult:
    contract_id, fault_name, examples, report_dir, reuse = task
    start, cpu = time.perf_counter(), time.process_time()
    try:
        contract = load_contract(contract_id)
        fault = None if fault_name == FAITHFUL else get_fault(fault_name)
        faithful = _faithful(contract_id, examples) if reuse else {}
        if fault is None and faithful:
            results = list(faithful.values())
        else:
            results = _run(contract, fault, _plan(contract_id, examples), faithful)
    except Exception as error:  # a broken run is a matrix entry, not the end of the matrix
        last = traceback.format_exception_only(error)[-1].strip()
        return PairResult(contract_id, fault_name, (), (), (), 0, _since(start), error=last)
    failed = [o for r in results for o in r.outcomes if o.status == "failed"]
    summary = ""
    if report_dir:
        summary = _write_summary(Path(report_dir), contract, fault_name, results)
    return PairResult(
        contract=contract_id,
        fault=fault_name,
        rule_ids=tuple(fault.rule_ids(contract)) if fault else (),
        failures=tuple(Failure(o.probe, o.check, o.rule, o.message) for o in failed),
        caught_by=right_checks(contract, fault, failed) if fault else (),
        probes=len(results),
        seconds=_since(start),
        summary=summary,
        cpu_seconds=round(time.process_time() - cpu, 3),
    )


def right_checks(contract: Contract, fault: Fault, failed: Sequence[Outcome]) -> tuple[str, ...]:
    """The failed checks that enforce the rule ``fault`` breaks.

    A check is right when its ``enforces`` covers one of ``fault.rule_ids(contract)``, or
    when its failure names a rule matching the fault's own precise alternative that the
    check enforces (``response/id/type`` for ``response/id*|response/schema``): contracts
    state field-level response rules only through ``response/schema``.
    """
    rules = [contract.rule(rule_id) for rule_id in fault.rule_ids(contract)]
    patterns = fault.rule.split("|")
    right: set[str] = set()
    for outcome in failed:
        chk = get_check(outcome.check)
        named = outcome.rule
        if any(chk.covers(rule) for rule in rules) or (
            any(fnmatchcase(named, p) for p in patterns)
            and any(fnmatchcase(named, g) for g in chk.enforces)
        ):
            right.add(chk.name)
    return tuple(sorted(right))


@cache
def _plan(contract_id: str, examples: int) -> tuple[Probe, ...]:
    """The plan is a pure function of its arguments: built once per worker and contract."""
    contract = load_contract(contract_id)
    return tuple(plan(contract, model=contract.models.default, examples=examples))


@cache
def _faithful(contract_id: str, examples: int) -> Mapping[str, ProbeResult]:
    """The faithful server's results by probe id, once per worker and contract."""
    results = _run(load_contract(contract_id), None, _plan(contract_id, examples), {})
    return {r.probe.id: r for r in results}


@cache
def _clock() -> float:
    # One ``created`` for every run of a worker, so an answer a fault leaves alone is
    # byte-identical to the faithful one (ids are per-run counters, equal too).
    return float(int(time.time()))


def _run(
    contract: Contract,
    fault: Fault | None,
    probes: Sequence[Probe],
    faithful: Mapping[str, ProbeResult],
) -> list[ProbeResult]:
    """Send every probe (repeats included, as the runner does) and evaluate the checks."""
    server = ReferenceServer(
        contract, api_key=API_KEY, fault=fault.name if fault else None, clock=_clock
    )
    base_url = "http://reference.invalid" + httpx.URL(contract.base_url).path.rstrip("/")
    results: list[ProbeResult] = []
    with httpx.Client(transport=transport(server)) as client:
        for probe in probes:
            sent = [
                send(client, contract, probe, api_key=API_KEY, base_url=base_url)
                for _ in range(_repeat(probe))
            ]
            exchange = dataclasses.replace(sent[0], related=tuple(sent[1:]))
            results.append(_outcomes(contract, exchange, faithful.get(probe.id)))
    return results


def _outcomes(contract: Contract, exchange: Exchange, faithful: ProbeResult | None) -> ProbeResult:
    """Evaluate ``exchange``, or reuse the faithful evaluation of an identical exchange.

    Checks are pure functions of the contract and the exchange (timing is never part of
    a verdict), so an exchange byte-identical to the faithful one has the faithful
    outcomes. Most probes of a fault run are such exchanges: evaluating them again is
    most of the matrix's time and can change nothing.
    """
    known = faithful.exchange if faithful is not None else None
    if faithful is not None and known is not None and _wire(known) == _wire(exchange):
        return dataclasses.replace(faithful, exchange=exchange)
    ctx = CheckContext(contract)
    outcomes = evaluate(ctx, exchange)
    return ProbeResult(exchange.probe, exchange, outcomes, list(ctx.observations))


def _wire(exchange: Exchange) -> tuple[object, ...]:
    """What a check can see of an exchange, timing aside."""
    req, resp = exchange.request, exchange.response
    return (
        req.method,
        req.url,
        sorted(req.headers.items()),
        req.body,
        resp.status,
        sorted(resp.headers.items()),
        resp.body,
        exchange.transport_error,
        tuple(_wire(e) for e in exchange.related),
    )


def _repeat(probe: Probe) -> int:
    value = probe.params.get("repeat", 1)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 1 else 1


def _write_summary(
    report_dir: Path, contract: Contract, run_name: str, results: list[ProbeResult]
) -> str:
    budget = Budget(max_requests=0, max_completion_tokens=0)
    for result in results:
        if result.exchange is not None:
            for exchange in (result.exchange, *result.exchange.related):
                budget.charge(exchange)
    run = ProviderRun(
        provider=contract.id,
        model=contract.models.default,
        base_url="http://reference.invalid",
        mode="matrix",
        budget=budget,
        results=results,
        finished=utc_now(),
    )
    scrubber = Scrubber([API_KEY])
    run_dir = write_reports(report_dir / contract.id, run_name, [run], scrubber, __version__)
    return str(run_dir / "summary.json")


def _since(start: float) -> float:
    return round(time.perf_counter() - start, 3)
