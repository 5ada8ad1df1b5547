"""The proof: every contract's full plan passes on the faithful reference server, and every
catalogue fault fails the run in the check that enforces the rule the fault breaks.

The whole matrix runs once per module (two worker processes); each pair is then its own
test, so a regression names its fault and contract. ``pytest -s`` prints the matrix.
Known gaps (``known_gaps.py``) are strict xfails: each names the defect and where it
lives, and the day it is fixed the xfail fails, so the entry cannot outlive the defect.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.matrix.known_gaps import KNOWN_GAPS

from chatconform.contracts import contract_ids, load_contract
from chatconform.engine.matrix import FAITHFUL, MatrixResult, PairResult, run_matrix, totals
from chatconform.server import all_faults, faults_for

CONTRACTS = sorted(contract_ids())
PAIRS = [(f.name, cid) for cid in CONTRACTS for f in faults_for(load_contract(cid))]
# The matrix's budget: 120 s of wall time on two otherwise idle cores. Asserted as CPU
# time, which a machine busy with other work cannot inflate.
CPU_BUDGET_S = 2 * 120.0


def _params(pairs: list[tuple[str, str]]) -> list[Any]:
    return [
        pytest.param(
            fault,
            cid,
            id=f"{fault}-{cid}",
            marks=[pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[(fault, cid)])]
            if (fault, cid) in KNOWN_GAPS
            else [],
        )
        for fault, cid in pairs
    ]


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> MatrixResult:
    """The whole matrix, run once, with a summary.json per run."""
    result = run_matrix(processes=2, report_dir=tmp_path_factory.mktemp("matrix"))
    print("\n" + result.table())
    return result


def _pair(matrix: MatrixResult, fault: str, contract: str) -> PairResult:
    runs = matrix.faithful if fault == FAITHFUL else matrix.pairs
    return next(r for r in runs if r.fault == fault and r.contract == contract)


def _summary_checks(result: PairResult) -> set[str]:
    summary = json.loads(Path(result.summary).read_text(encoding="utf-8"))
    assert summary["provider"] == result.contract
    return {failure["check"] for failure in summary["failures"]}


def _report(result: PairResult) -> str:
    """The problem block of one run, as the matrix prints it."""
    if result.fault == FAITHFUL:
        return str(MatrixResult((result,), (), 0.0).problems() or result.status)
    return str(MatrixResult((), (result,), 0.0).problems() or result.status)


@pytest.mark.parametrize(("fault", "contract"), _params([(FAITHFUL, c) for c in CONTRACTS]))
def test_faithful_server_passes_the_full_plan(
    matrix: MatrixResult, fault: str, contract: str
) -> None:
    result = _pair(matrix, fault, contract)
    assert result.probes > 50, f"{contract}: only {result.probes} probes ran"
    assert result.status == "clean", "false positive of the harness:\n" + _report(result)
    assert _summary_checks(result) == set()


@pytest.mark.parametrize(("fault", "contract"), _params(PAIRS))
def test_fault_is_caught_by_the_right_check(
    matrix: MatrixResult, fault: str, contract: str
) -> None:
    result = _pair(matrix, fault, contract)
    assert result.status == "caught", _report(result)
    # What a user reads: the run's summary.json names the check that caught it.
    named = _summary_checks(result)
    assert named & set(result.caught_by), (
        f"summary.json names {sorted(named)}, expected one of {result.caught_by}"
    )


def test_matrix_covers_every_fault_and_contract(matrix: MatrixResult) -> None:
    assert {r.contract for r in matrix.faithful} == set(CONTRACTS)
    assert sorted((r.fault, r.contract) for r in matrix.pairs) == sorted(PAIRS)
    unused = [f.name for f in all_faults() if not any(f.name == p[0] for p in PAIRS)]
    assert not unused, f"faults that apply to no runnable contract: {unused}"


def test_matrix_totals_and_cost(matrix: MatrixResult) -> None:
    """Every problem is a listed known gap and every known gap is still a problem."""
    problems = {(r.fault, r.contract) for r in (*matrix.false_positives, *matrix.missed)}
    unexpected = problems - set(KNOWN_GAPS)
    assert not unexpected, (
        f"{len(unexpected)} pair(s) not caught by the right check or false positives:\n"
        + matrix.problems()
        + "\n\n"
        + matrix.table()
    )
    fixed = set(KNOWN_GAPS) - problems
    assert not fixed, f"known gaps now fixed, remove them from KNOWN_GAPS: {sorted(fixed)}"
    assert matrix.cpu_seconds < CPU_BUDGET_S, totals(matrix)
