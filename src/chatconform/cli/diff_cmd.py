"""The `chatconform diff` subcommand: drift between two runs of the same suite.

Exit status: 1 when something regressed (a newly failing check, a response field
removed or retyped), 0 otherwise, 2 when a run cannot be read.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from chatconform.cli.errors import UsageError
from chatconform.report.diff import Drift, SummaryError, Thresholds, compare, load_summaries


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "diff",
        help="compare two runs: checks, response shapes, usage, latency",
        description="Compare run A (before) with run B (after). RUN is a run directory "
        "(summary.json or index.json inside) or a summary.json file.",
    )
    p.add_argument("run_a", metavar="RUN_A", type=Path)
    p.add_argument("run_b", metavar="RUN_B", type=Path)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument(
        "--usage-threshold",
        type=float,
        default=Thresholds.usage,
        metavar="FRACTION",
        help="report token counts that moved more than this (default 0.2 = 20%%)",
    )
    p.add_argument(
        "--latency-threshold",
        type=float,
        default=Thresholds.latency,
        metavar="FRACTION",
        help="report area latency medians that moved more than this (default 0.5)",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.usage_threshold < 0 or args.latency_threshold < 0:
        raise UsageError("thresholds are fractions >= 0")
    try:
        runs_a, runs_b = load_summaries(args.run_a), load_summaries(args.run_b)
    except SummaryError as error:
        raise UsageError(str(error)) from None
    pairs = _pairs(runs_a, runs_b)
    thresholds = Thresholds(usage=args.usage_threshold, latency=args.latency_threshold)
    drifts = [compare(a, b, thresholds) for a, b in pairs]
    regressed = any(d.regressed for d in drifts)
    if args.json:
        document = {"regressed": regressed, "comparisons": [d.as_dict() for d in drifts]}
        print(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        print("\n\n".join(render(d) for d in drifts))
    return 1 if regressed else 0


def _pairs(
    runs_a: dict[str, dict[str, Any]], runs_b: dict[str, dict[str, Any]]
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    if len(runs_a) == 1 and len(runs_b) == 1:
        return [(next(iter(runs_a.values())), next(iter(runs_b.values())))]
    common = sorted(set(runs_a) & set(runs_b))
    if not common:
        raise UsageError(
            f"no provider in common (A: {', '.join(sorted(runs_a)) or '-'}; "
            f"B: {', '.join(sorted(runs_b)) or '-'})"
        )
    return [(runs_a[name], runs_b[name]) for name in common]


def render(drift: Drift) -> str:
    """The human-readable report of one comparison."""
    a, b = drift.a, drift.b
    lines = [
        f"{b['provider']}/{b['model']}: A {a['started']} ({a['mode']}) -> "
        f"B {b['started']} ({b['mode']})",
        "REGRESSED" if drift.regressed else "no regression",
    ]
    if a["provider"] != b["provider"] or a["model"] != b["model"]:
        lines.append(f"note: A is {a['provider']}/{a['model']}, B is {b['provider']}/{b['model']}")
    _section(lines, "Newly failing checks", drift.newly_failing, _outcome_line)
    _section(lines, "Failing checks A did not run", drift.failing_new_checks, _outcome_line)
    _section(lines, "Newly passing checks", drift.newly_passing, _outcome_line)
    _section(lines, "Response shape changes", drift.shape_changes, _shape_line)
    _section(lines, "Usage changes", drift.usage_changes, _usage_line)
    if drift.latency_compared:
        _section(lines, "Latency changes (median per area)", drift.latency_changes, _latency_line)
    else:
        lines.append("Latency: not compared (only when both runs were live)")
    if drift.probes_added or drift.probes_removed:
        lines.append(
            f"Probes: {len(drift.probes_added)} only in B, {len(drift.probes_removed)} only in A"
        )
    return "\n".join(lines)


def _section(lines: list[str], title: str, items: list[dict[str, Any]], fmt: Any) -> None:
    if items:
        lines.append(f"{title} ({len(items)}):")
        lines.extend(fmt(item) for item in items)


def _outcome_line(item: dict[str, Any]) -> str:
    line = f"  {item['probe']}  {item['check']}: {item['before'] or 'not run'} -> {item['after']}"
    message = (item.get("message") or "").strip()
    return line + ("\n      " + message.splitlines()[0] if message else "")


def _shape_line(item: dict[str, Any]) -> str:
    change = {"added": f"added ({item['after']})", "removed": f"removed (was {item['before']})"}
    text = change.get(item["change"], f"retyped {item['before']} -> {item['after']}")
    return f"  {item['probe']}  {item['path']}: {text}"


def _usage_line(item: dict[str, Any]) -> str:
    return f"  {item['probe']}  {item['field']}: {item['before']} -> {item['after']}"


def _latency_line(item: dict[str, Any]) -> str:
    return f"  {item['area']}: {item['before']:.3f}s -> {item['after']:.3f}s"
