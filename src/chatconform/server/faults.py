"""The fault catalogue: named, deliberate breaches of exactly one stated rule each.

A check that never fails proves nothing. Serving the reference server with one fault on
shows whether the harness notices that one breach and names the right rule. A fault is
a small hook at one clear point of the request path (parse, auth, validation, the request
generation sees, the generated completion, the response body, the chunk payloads, the
stream frames, the error reply) rather than a copy of the server. It applies to a
contract only where the rule it breaks is stated for that contract. Each fault carries a
``trigger``: a request on which the faulty server answers differently from the faithful
one, so the catalogue itself is testable.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from chatconform.contracts.model import Contract
from chatconform.server.generate import Completion

FaultArea = Literal["validation", "auth", "errors", "response", "stream", "semantic"]
AuthMode = Literal["default", "none", "wrong"]


@dataclass(frozen=True)
class Trigger:
    """A request that shows the fault (send it to a server started with an api key)."""

    body: Mapping[str, Any] | None = None
    raw_body: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    auth: AuthMode = "default"

    def content(self) -> bytes:
        if self.raw_body is not None:
            return self.raw_body
        return json.dumps(self.body, ensure_ascii=False).encode()


@dataclass(frozen=True)
class ErrorReply:
    """An error answer on its way out (faults may reshape it)."""

    status: int
    headers: dict[str, str]
    body: bytes


Body = dict[str, Any]


@dataclass(frozen=True)
class Fault:
    """One named fault. ``rule`` is the rule id (or glob) it breaks; ``a|b`` lists
    alternatives, most precise first (a contract that derives ``response/created/type``
    names that, one that only states ``response/schema`` names that). Hooks left ``None``
    keep the faithful behaviour at that point."""

    name: str
    rule: str
    area: FaultArea
    description: str
    trigger: Callable[[Contract], Trigger]
    # Beyond "the contract states a rule matching `rule`": e.g. a semantic parameter.
    requires: Callable[[Contract], bool] | None = None
    parse: Callable[[Contract, bytes], Any] | None = None  # body bytes -> JSON document
    auth: Callable[[str], int | None] | None = None  # "missing"/"wrong" -> status, None: let in
    lenient: Callable[[Contract, Body, dict[str, str]], None] | None = None  # before validation
    reject: Callable[[Contract, Mapping[str, Any]], str | None] | None = None  # after validation
    request: Callable[[Body], None] | None = None  # the request generation sees
    vary_seed: bool = False  # output changes per call whatever the seed
    completion: Callable[[Completion], None] | None = None
    response: Callable[[Body], None] | None = None  # non-streamed body
    chunks: Callable[[list[Body]], list[Body]] | None = None  # stream payloads
    frames: Callable[[list[bytes]], list[bytes]] | None = None  # framed stream events
    headers: Callable[[dict[str, str], bool], None] | None = None  # (headers, streamed)
    error: Callable[[ErrorReply], ErrorReply] | None = None

    def rule_ids(self, contract: Contract) -> list[str]:
        """The hard rules of ``contract`` this fault breaks (first matching alternative)."""
        for pattern in self.rule.split("|"):
            found = [r.id for r in contract.rules if r.is_hard and _matches(r.id, pattern)]
            if found:
                return found
        return []

    def applies_to(self, contract: Contract) -> bool:
        """Whether ``contract`` states the rule this fault breaks."""
        if not self.rule_ids(contract):
            return False
        return self.requires is None or self.requires(contract)


def _matches(rule_id: str, pattern: str) -> bool:
    return rule_id == pattern or fnmatch.fnmatchcase(rule_id, pattern)


class UnknownFault(ValueError):
    """A fault name not in the catalogue; the message lists the known names."""


_CATALOGUE: dict[str, Fault] = {}


def register(*faults: Fault) -> None:
    """Add faults to the catalogue; a duplicate name is a programming error."""
    for fault in faults:
        if fault.name in _CATALOGUE:
            raise ValueError(f"fault {fault.name!r} is registered twice")
        _CATALOGUE[fault.name] = fault


def _catalogue() -> dict[str, Fault]:
    if not _CATALOGUE:
        # The entries live in area modules that import this one; load them on first use.
        from chatconform.server.catalogue import load

        load()
    return _CATALOGUE


def fault_names() -> list[str]:
    """Every fault name, sorted."""
    return sorted(_catalogue())


def all_faults() -> list[Fault]:
    """Every fault, sorted by name."""
    return [_catalogue()[n] for n in fault_names()]


def get_fault(name: str) -> Fault:
    """The fault called ``name``; an unknown name raises ``UnknownFault`` listing them."""
    faults = _catalogue()
    if name not in faults:
        raise UnknownFault(f"unknown fault {name!r}; known faults: {', '.join(sorted(faults))}")
    return faults[name]


def faults_for(contract: Contract) -> list[Fault]:
    """The faults that apply to ``contract``, sorted by name."""
    return [f for f in all_faults() if f.applies_to(contract)]
