"""The peer regression baseline: which check verdicts the llama.cpp peer is known to earn.

The list lives in ``docs/peer-findings.md`` (between the ``peer-baseline`` markers), next
to the evidence for each row, so the findings and the test cannot drift apart. A row is
``required`` (a deterministic deviation: every run must report it) or ``tolerated`` (may
be reported: the tiny model decides, or the verdict is under review).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

FINDINGS = Path(__file__).resolve().parents[2] / "docs" / "peer-findings.md"
START, END = "<!-- peer-baseline:start -->", "<!-- peer-baseline:end -->"
STATUSES = ("required", "tolerated")
_CELL = re.compile(r"`([^`]*)`")


@dataclass(frozen=True)
class Entry:
    check: str
    probes: str  # fnmatch pattern over probe ids
    status: str
    finding: str  # the finding's number in the document, e.g. "F3"

    def matches(self, check: str, probe: str) -> bool:
        return check == self.check and fnmatchcase(probe, self.probes)


def load(path: Path = FINDINGS) -> list[Entry]:
    """Every row of the baseline table; ValueError naming the line for a malformed one."""
    text = path.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise ValueError(f"{path}: no {START} ... {END} block")
    block = text.split(START, 1)[1].split(END, 1)[0]
    entries = []
    for number, line in enumerate(block.splitlines(), 1):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 4 or not cells[0].startswith("`"):
            continue  # header, separator or blank line
        check, probes = (_code(c, number) for c in cells[:2])
        status, finding = cells[2], cells[3]
        if status not in STATUSES:
            raise ValueError(f"baseline line {number}: status {status!r} not in {STATUSES}")
        entries.append(Entry(check, probes, status, finding))
    return entries


def unexpected(failures: Iterable[tuple[str, str]], entries: list[Entry]) -> list[str]:
    """``check @ probe`` of every failure no row allows."""
    return [
        f"{check} @ {probe}"
        for check, probe in failures
        if not any(e.matches(check, probe) for e in entries)
    ]


def missing(failures: Iterable[tuple[str, str]], entries: list[Entry]) -> list[Entry]:
    """Required rows no failure matched."""
    seen = list(failures)
    return [
        e for e in entries if e.status == "required" and not any(e.matches(c, p) for c, p in seen)
    ]


def _code(cell: str, number: int) -> str:
    found = _CELL.fullmatch(cell)
    if not found:
        raise ValueError(f"baseline line {number}: {cell!r} is not a `code` cell")
    return found.group(1)
