"""The `chatconform contracts` subcommand: list, show, export, lint the pages, trace rules.

Exit status: 0 done; 1 ``trace`` found a page statement no rule holds; 2 usage error or
a contract (or documentation vector) that cannot load. ``trace`` ends with one line of
totals (rules, rules a check enforces, page statements a rule holds); ``--uncovered``
lists only the rules no check enforces.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from chatconform.cli.errors import UsageError
from chatconform.contracts import ContractError, contract_ids, load_contract
from chatconform.contracts.model import Contract, Rule


def add_parser(sub: Any) -> None:
    p = sub.add_parser("contracts", help="list, show, export and trace the bundled contracts")
    verbs = p.add_subparsers(dest="verb", metavar="VERB")
    verbs.add_parser("list", help="the contract ids, with model list and key variable")
    show = verbs.add_parser("show", help="one contract's rules, models and semantics")
    show.add_argument("id")
    show.add_argument("--json", action="store_true", help="the merged contract document")
    export = verbs.add_parser("export-openapi", help="OpenAPI 3.1 for one contract")
    export.add_argument("id")
    export.add_argument("-o", "--output", type=Path, help="write here instead of stdout")
    lint = verbs.add_parser("lint-docs", help="check the pages' own examples against them")
    lint.add_argument("--report-dir", type=Path, default=Path("reports"))
    trace = verbs.add_parser("trace", help="rule -> contract pointer -> enforcing checks")
    trace.add_argument("id", nargs="?")
    trace.add_argument(
        "--uncovered", action="store_true", help="list only the rules no check enforces"
    )
    p.set_defaults(handler=run, verb=None)


def run(args: argparse.Namespace) -> int:
    verb = args.verb or "list"
    try:
        if verb == "list":
            return _list()
        if verb == "show":
            return _show(_load(args.id), as_json=args.json)
        if verb == "export-openapi":
            return _export(_load(args.id), args.output)
        if verb == "lint-docs":
            return _lint(args.report_dir)
        return _trace(args.id, only_uncovered=args.uncovered)
    except ContractError as error:
        raise UsageError(str(error)) from None


def _load(contract_id: str) -> Contract:
    return load_contract(contract_id)


def _list() -> int:
    for cid in contract_ids():
        c = load_contract(cid)
        models = f"{len(c.models.ids)} models ({'closed' if c.models.closed else 'open'})"
        print(f"{cid:22} {c.api_key_env:22} {models:22} {c.title}")
    return 0


def _show(c: Contract, *, as_json: bool) -> int:
    if as_json:
        print(json.dumps(c.document, ensure_ascii=False, indent=2))
        return 0
    print(f"{c.id}: {c.title}")
    print(f"  endpoint  {c.url or '(no host on the page: pass --base-url)'}")
    print(f"  key       ${c.api_key_env}")
    kind = "closed" if c.models.closed else "open"
    print(f"  models    ({kind}) {', '.join(c.models.ids)}; default {c.models.default}")
    undocumented = sorted(n for n, f in c.fields.items() if not f.documented)
    print(f"  fields    {', '.join(n for n, f in c.fields.items() if f.documented)}")
    if undocumented:
        print(f"  baseline fields the page does not document: {', '.join(undocumented)}")
    print(f"  semantics {', '.join(sorted(c.semantics))}")
    print(f"  rules     {len(c.rules)}")
    for rule in c.rules:
        print("    " + _rule_line(rule))
    return 0


def _rule_line(rule: Rule) -> str:
    flags = "" if rule.is_hard else f" [{rule.strength}]"
    flags += "" if rule.documented else " [undocumented]"
    return f"{rule.id}{flags}  ({rule.citation}, from {rule.origin})"


def _export(c: Contract, output: Path | None) -> int:
    from chatconform.contracts.openapi import export_openapi

    text = json.dumps(export_openapi(c), ensure_ascii=False, indent=2) + "\n"
    if output is None:
        print(text, end="")
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, "utf-8")
        print(f"wrote {output}")
    return 0


def _lint(report_dir: Path) -> int:
    from chatconform.contracts.docs_lint import as_json, lint_docs

    findings = lint_docs()
    for f in findings:
        print(f"{f.severity:7} {f.example}{f.pointer}  {f.rule}: {f.message}")
    report = as_json(findings)
    report_dir.mkdir(parents=True, exist_ok=True)
    path = report_dir / "lint-docs.json"
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", "utf-8")
    counts = report["counts"]
    print(f"{counts['finding']} documentation findings, {counts['note']} notes -> {path}")
    return 0  # documentation findings are reported, never a conformance failure


def _trace(contract_id: str | None, *, only_uncovered: bool = False) -> int:
    from chatconform.contracts.trace import (
        load_statements,
        statement_count,
        totals,
        trace,
        uncovered_statements,
    )
    from chatconform.engine import schemathesis_suite  # noqa: F401  (registers its check)
    from chatconform.engine.registry import all_checks

    # Every check a run may register, so the trace does not depend on what was imported.
    checks = list(all_checks())
    ids = [contract_id] if contract_id else contract_ids()
    all_rows = []
    for cid in ids:
        contract = load_contract(cid)
        rows = trace(contract, lambda rule: [c.name for c in checks if c.covers(rule)])
        all_rows += rows
        shown = [row for row in rows if not (only_uncovered and row.checks)]
        print(f"{cid}: {len(shown)} rule(s) no check enforces" if only_uncovered else cid)
        for row in shown:
            enforced = ", ".join(row.checks) or "-"
            print(f"  {_rule_line(row.rule)}\n      {row.rule.pointer} -> {enforced}")
    inventories = load_statements()
    if contract_id:
        inventories = [s for s in inventories if s.get("contract") == contract_id]
    missing = uncovered_statements(inventories)
    for u in missing:
        print(f"UNCOVERED {u.source} · {u.field}: {u.quote!r} ({u.reason})")
    print(f"{len(missing)} page statements without a contract rule")
    print(totals(all_rows, statement_count(inventories), missing))
    return 1 if missing else 0
