"""Trace every stated rule to where the contract holds it and the checks that enforce it.

Two gaps matter to a conformance tool: a statement on a vendor page that no contract
rule holds (the page says something we never test), and a rule no check enforces. The
statement inventory (``contracts/statements/<source>.json``) lists every rule-bearing
statement of each page with the rule ids that hold it, so the first gap is mechanical.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chatconform.contracts.errors import ContractError
from chatconform.contracts.loader import contracts_dir, load_contract
from chatconform.contracts.model import Contract, Rule

Covers = Callable[[Rule], list[str]]


@dataclass(frozen=True)
class TraceRow:
    rule: Rule
    checks: tuple[str, ...]  # names of the registered checks whose globs cover the rule


@dataclass(frozen=True)
class Uncovered:
    source: str
    field: str
    quote: str
    reason: str  # "no rule ids" or "unknown rule ids: ..."


@dataclass(frozen=True)
class Totals:
    """The one-line summary of a trace."""

    rules: int
    enforced: int  # rules at least one registered check covers
    statements: int  # rule-bearing page statements in the inventories
    covered: int  # of them, those whose every rule id exists

    def __str__(self) -> str:
        return (
            f"{self.rules} rules, {self.enforced} enforced by a check; "
            f"{self.covered}/{self.statements} page statements held by a rule"
        )


def statements_dir() -> Path:
    return contracts_dir() / "statements"


def load_statements() -> list[dict[str, Any]]:
    out = []
    for path in sorted(statements_dir().glob("*.json")):
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError) as error:
            shown = f"contracts/statements/{path.name}"
            raise ContractError(shown, "/", f"cannot load: {error}") from None
        out.append(data)
    return out


def trace(contract: Contract, covers: Covers) -> list[TraceRow]:
    """Every rule of ``contract`` with the checks that cover it."""
    return [TraceRow(rule, tuple(covers(rule))) for rule in contract.rules]


def uncovered_statements(statements: Iterable[dict[str, Any]] | None = None) -> list[Uncovered]:
    """Inventory statements that no rule of their page's contract holds."""
    out: list[Uncovered] = []
    for inventory in load_statements() if statements is None else statements:
        source = str(inventory.get("source", ""))
        contract = load_contract(str(inventory.get("contract", source)))
        ids = {r.id for r in contract.rules}
        for entry in inventory.get("statements", []):
            rules = list(entry.get("rules", []))
            unknown = [r for r in rules if r not in ids]
            reason = (
                "no rule ids"
                if not rules
                else (f"unknown rule ids: {', '.join(unknown)}" if unknown else "")
            )
            if reason:
                out.append(
                    Uncovered(
                        source, str(entry.get("field", "")), str(entry.get("quote", "")), reason
                    )
                )
    return out


def statement_count(statements: Iterable[dict[str, Any]] | None = None) -> int:
    """How many rule-bearing statements the inventories list."""
    inventories = load_statements() if statements is None else statements
    return sum(len(inventory.get("statements", [])) for inventory in inventories)


def totals(rows: Iterable[TraceRow], statements: int, uncovered: Iterable[Uncovered]) -> Totals:
    """The summary of ``rows`` (of one or more contracts) and of the statement check."""
    listed = list(rows)
    return Totals(
        rules=len(listed),
        enforced=sum(1 for row in listed if row.checks),
        statements=statements,
        covered=statements - len(list(uncovered)),
    )
