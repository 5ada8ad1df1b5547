"""The fault matrix's results and their text: what a run found, as data and as a table.

Kept apart from the runner (``chatconform.engine.matrix``) so that reading a result,
printing it or asserting on it never needs the server, the planner or worker processes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FAITHFUL = "faithful"  # the run name of the server with no fault on
Status = Literal["clean", "false-positive", "caught", "wrong-check", "missed", "error"]


@dataclass(frozen=True)
class Failure:
    """One failed outcome of a run: which check failed on which probe, naming which rule."""

    probe: str
    check: str
    rule: str
    message: str


@dataclass(frozen=True)
class PairResult:
    """One run of a contract's full plan against the server, with ``fault`` on or not."""

    contract: str
    fault: str  # FAITHFUL for the faithful server
    rule_ids: tuple[str, ...]  # the contract's rules the fault breaks (empty when faithful)
    failures: tuple[Failure, ...]
    caught_by: tuple[str, ...]  # failed checks that enforce the rule the fault breaks
    probes: int
    seconds: float  # wall time of the run
    summary: str = ""  # path of the run's summary.json ("" when none was written)
    error: str = ""  # the run itself broke (an exception, not a check failure)
    cpu_seconds: float = 0.0  # processor time of the run: what a busy machine cannot inflate

    @property
    def failed_checks(self) -> tuple[str, ...]:
        return tuple(sorted({f.check for f in self.failures}))

    @property
    def status(self) -> Status:
        if self.error:
            return "error"
        if self.fault == FAITHFUL:
            return "false-positive" if self.failures else "clean"
        if self.caught_by:
            return "caught"
        return "wrong-check" if self.failures else "missed"


@dataclass(frozen=True)
class MatrixResult:
    faithful: tuple[PairResult, ...]  # one per contract
    pairs: tuple[PairResult, ...]  # one per (fault, contract) where the fault applies
    seconds: float  # wall time of the whole matrix

    @property
    def cpu_seconds(self) -> float:
        """Processor time of every run, summed (the workers' start-up aside)."""
        return round(sum(r.cpu_seconds for r in (*self.faithful, *self.pairs)), 1)

    @property
    def false_positives(self) -> tuple[PairResult, ...]:
        return tuple(r for r in self.faithful if r.status != "clean")

    @property
    def missed(self) -> tuple[PairResult, ...]:
        """Every pair not caught by the right check (missed, wrong check, or broken)."""
        return tuple(r for r in self.pairs if r.status != "caught")

    @property
    def caught_pct(self) -> float:
        if not self.pairs:
            return 100.0
        return 100.0 * (len(self.pairs) - len(self.missed)) / len(self.pairs)

    @property
    def ok(self) -> bool:
        return not self.false_positives and not self.missed

    def table(self) -> str:
        """The matrix as text: one row per fault, one column per contract, then totals."""
        return render_table(self)

    def problems(self) -> str:
        """Every false positive and every pair not caught by the right check."""
        return render_problems(self)


# -- text ------------------------------------------------------------------------------

_CELL: dict[Status, str] = {
    "caught": "caught",
    "missed": "MISSED",
    "wrong-check": "WRONG",
    "error": "ERROR",
    "clean": "clean",
    "false-positive": "FALSE+",
}


def render_table(result: MatrixResult) -> str:
    """Rows: the faithful server, then each fault; a cell per contract (``.``: the fault
    does not apply); the last column names the checks that caught the fault."""
    contracts = sorted({r.contract for r in (*result.faithful, *result.pairs)})
    rows: dict[str, dict[str, str]] = {}
    named: dict[str, set[str]] = {}
    for r in (*result.faithful, *result.pairs):
        rows.setdefault(r.fault, {})[r.contract] = _CELL[r.status]
        named.setdefault(r.fault, set()).update(
            r.failed_checks if r.fault == FAITHFUL else r.caught_by
        )
    width = max(len(name) for name in rows)
    lines = ["  ".join([f"{'fault':<{width}}", *contracts, "caught by"])]
    for name, row in rows.items():
        cells = [f"{row.get(c, '.'):<{len(c)}}" for c in contracts]
        label = "failed: " if name == FAITHFUL and named[name] else ""
        lines.append(
            "  ".join([f"{name:<{width}}", *cells, label + ", ".join(sorted(named[name]))]).rstrip()
        )
    return "\n".join([*lines, "", totals(result)])


def totals(result: MatrixResult) -> str:
    """One line: faults, pairs, caught %, false positives, time."""
    faults = len({r.fault for r in result.pairs})
    caught = len(result.pairs) - len(result.missed)
    false = sum(len(r.failures) or 1 for r in result.false_positives)
    where = ", ".join(r.contract for r in result.false_positives) or "none"
    return (
        f"faults {faults}, pairs {len(result.pairs)}, caught by the right check "
        f"{caught}/{len(result.pairs)} ({result.caught_pct:.1f}%), false positives {false} "
        f"(contracts: {where}), {len(result.faithful)} faithful runs, {result.seconds:.1f} s "
        f"({result.cpu_seconds:.1f} s CPU)"
    )


def render_problems(result: MatrixResult, limit: int = 5) -> str:
    blocks: list[str] = []
    for r in (*result.false_positives, *result.missed):
        lines = [f"{r.fault} x {r.contract}: {r.status}"]
        if r.rule_ids:
            lines[0] += f" (breaks {', '.join(r.rule_ids)})"
        if r.error:
            lines.append(f"  run error: {r.error}")
        for f in r.failures[:limit]:
            title = f.message.splitlines()[0] if f.message else ""
            lines.append(f"  {f.check} on {f.probe} [{f.rule}]: {title}")
        if len(r.failures) > limit:
            lines.append(f"  ... {len(r.failures) - limit} more failures")
        if r.status == "missed":
            lines.append("  no check failed on any probe")
        blocks.append("\n".join(lines))
    return "\n".join(blocks)
