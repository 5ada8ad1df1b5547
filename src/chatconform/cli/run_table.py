"""The closing table of ``chatconform run``: one line per provider, read from ``index.json``.

pytest's own summary counts test items; what a reader of a conformance run wants last
on the screen is the verdict per provider (check outcomes, requests spent) and where
the reports went. The table is built from the written ``index.json`` rather than from
the session's memory, so it shows exactly what the reports hold.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, TextIO

from chatconform.report.summary import STATUSES

_COLUMNS = ("provider", "model", *STATUSES, "requests")


def run_table(index: dict[str, Any]) -> list[str]:
    """The table's lines for one run's ``index.json`` document."""
    rows = [list(_COLUMNS)]
    for entry in index.get("providers", []):
        counts = entry.get("counts", {})
        rows.append(
            [
                str(entry.get("provider", "?")),
                str(entry.get("model", "?")),
                *(str(counts.get(status, 0)) for status in STATUSES),
                str(entry.get("requests", 0)),
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    lines = []
    for row in rows:
        cells = [
            cell.ljust(width) if i < 2 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return lines


def print_run_table(run_dir: Path, stream: TextIO | None = None, *, exit_code: int = 0) -> bool:
    """Print the table and the report location; False (nothing printed) without reports.

    ``exit_code`` is the suite's: a run can fail outside any check (a cassette that no
    longer matches, an error in a fixture), and the verdict line must not hide that.
    """
    index_path = run_dir / "index.json"
    try:
        index = json.loads(index_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    out = stream or sys.stdout
    failed = sum(e.get("counts", {}).get("failed", 0) for e in index.get("providers", []))
    verdict = "no check failed" if failed == 0 else f"{failed} check{'s' * (failed != 1)} failed"
    if failed == 0 and exit_code != 0:
        verdict = "no check failed, but the run did not complete cleanly (see the errors above)"
    print(f"\nchatconform: {verdict}", file=out)
    for line in run_table(index):
        print(f"  {line}", file=out)
    print(f"reports: {run_dir.resolve()} (index.json, summary.json, junit.xml, allure)", file=out)
    return True
