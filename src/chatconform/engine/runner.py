"""Run probes against one provider under a spending budget.

A conformance run talks to paid endpoints, so cost is enforced here, in one place,
before anything is sent: once the request or completion-token budget is spent the
remaining probes are skipped, never sent. The runner also owns the two other decisions
that must not vary between suites: where the key comes from, and how repeated probes
(``params["repeat"]``) become one exchange with its repeats attached.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from chatconform.contracts.model import Contract
from chatconform.engine.client import send
from chatconform.engine.evaluate import Outcome, evaluate
from chatconform.engine.exchange import Exchange
from chatconform.engine.message import assembled_usage
from chatconform.engine.probe import Probe
from chatconform.engine.registry import CheckContext

BUDGET_SPENT = "budget spent"
NO_KEY = "no key configured: auth cannot be tested"
_BOUND_FIELDS = ("max_completion_tokens", "max_tokens")


@dataclass
class Budget:
    """How much a run may spend; ``requests`` and ``completion_tokens`` are what it spent."""

    max_requests: int = 200
    max_completion_tokens: int = 5000
    requests: int = 0
    completion_tokens: int = 0

    def allows(self, sends: int = 1) -> bool:
        """Whether ``sends`` more requests fit in what is left."""
        return (
            self.requests + sends <= self.max_requests
            and self.completion_tokens < self.max_completion_tokens
        )

    def charge(self, exchange: Exchange) -> None:
        self.requests += 1
        self.completion_tokens += completion_tokens(exchange)


@dataclass(frozen=True)
class ProbeResult:
    """What running one probe gave. ``exchange`` is None when the probe was not sent."""

    probe: Probe
    exchange: Exchange | None
    outcomes: list[Outcome]
    observations: list[dict[str, Any]] = field(default_factory=list)
    skipped: str = ""  # why the probe was not sent ("" when it was)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]


def resolve_api_key(
    contract: Contract, api_key_env: str | None = None, environ: Mapping[str, str] | None = None
) -> str | None:
    """The key from ``api_key_env`` or else the variable the contract names; None if unset."""
    env = os.environ if environ is None else environ
    name = api_key_env or contract.api_key_env
    return (env.get(name) or None) if name else None


def completion_tokens(exchange: Exchange) -> int:
    """Completion tokens the exchange cost, from ``usage`` (the last usage of a stream).

    A success that reports no usage is charged its request's output bound, so a
    provider that omits usage cannot run past the budget unnoticed.
    """
    if not exchange.response.is_success:
        return 0
    usage = assembled_usage(exchange)
    tokens = usage.get("completion_tokens") if isinstance(usage, dict) else None
    if isinstance(tokens, int) and not isinstance(tokens, bool) and tokens >= 0:
        return tokens
    body = exchange.request.json
    if isinstance(body, dict):
        for name in _BOUND_FIELDS:
            bound = body.get(name)
            if isinstance(bound, int) and not isinstance(bound, bool) and bound > 0:
                return bound
    return 0


class Runner:
    """Sends probes to one provider and evaluates every applicable check."""

    def __init__(
        self,
        contract: Contract,
        *,
        base_url: str,
        model: str,
        api_key: str | None,
        client: httpx.Client,
        budget: Budget | None = None,
    ) -> None:
        self.contract = contract
        self.base_url = base_url
        self.model = model
        self.client = client
        self.budget = budget if budget is not None else Budget()
        self._api_key = api_key  # kept private: never part of a repr or a report

    def __repr__(self) -> str:
        return f"Runner({self.contract.id!r}, base_url={self.base_url!r}, model={self.model!r})"

    @property
    def has_key(self) -> bool:
        return self._api_key is not None

    def run_probe(self, probe: Probe) -> ProbeResult:
        """Send ``probe`` (``params["repeat"]`` times), evaluate it and charge the budget."""
        if not self.has_key and (probe.area == "auth" or probe.expect == "auth-reject"):
            return _not_sent(probe, NO_KEY)
        repeat = _repeat(probe)
        if not self.budget.allows(repeat):
            return _not_sent(probe, BUDGET_SPENT)
        exchanges: list[Exchange] = []
        for _ in range(repeat):
            exchange = send(
                self.client, self.contract, probe, api_key=self._api_key, base_url=self.base_url
            )
            self.budget.charge(exchange)
            exchanges.append(exchange)
        exchange = dataclasses.replace(exchanges[0], related=tuple(exchanges[1:]))
        ctx = CheckContext(self.contract)
        outcomes = evaluate(ctx, exchange)
        return ProbeResult(probe, exchange, outcomes, list(ctx.observations))


def _repeat(probe: Probe) -> int:
    value = probe.params.get("repeat", 1)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 1 else 1


def _not_sent(probe: Probe, reason: str) -> ProbeResult:
    rule = probe.rule.id if probe.rule is not None else ""
    return ProbeResult(
        probe, None, [Outcome(probe.id, "runner", "skipped", rule, "", reason)], skipped=reason
    )
