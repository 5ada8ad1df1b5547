"""Request-validation verdicts: a request that breaks a stated rule is rejected with 400,
one that keeps every rule is accepted.

These two checks turn the planner's negative, boundary and generated probes into
verdicts. Each failure names the rule the request breaks (or sits at), where the vendor
page or the baseline states it, and what the server answered, so an engineer at the
vendor can reproduce it from the message alone.
"""

from __future__ import annotations

from chatconform.checks.errors import REQUESTS, defer_unjudgeable, describe, is_malformed_json
from chatconform.contracts.model import Contract, Rule
from chatconform.engine.exchange import Exchange
from chatconform.engine.failures import CheckFailed
from chatconform.engine.registry import CheckContext, check

REQUEST_ID = "x-request-id"
INVALID, VALID = "request/invalid-400", "request/valid-2xx"  # baseline behaviour rules


def cite(contract: Contract, rule: Rule) -> str:
    """Where ``rule`` is stated, in words: ``AnyFast 对话补全 · temperature: "0 <= x <= 2"``."""
    source = contract.sources.get(rule.citation.source)
    where = f"{source.vendor} {source.page}" if source is not None else rule.citation.source
    text = f"{where} · {rule.citation.field}" if rule.citation.field else where
    return f"{text}: {rule.citation.quote!r}" if rule.citation.quote else text


def is_unlisted_model(rule: Rule | None) -> bool:
    """Whether ``rule`` is broken by naming a model the page does not list: the closed model
    list (``request/model/enum``), the empty model id no list holds
    (``request/model/minLength``) or the baseline's ``model/unlisted-400-404``."""
    if rule is None:
        return False
    on_model = rule.area == "request" and rule.field == "model"
    return (on_model and rule.kind in ("enum", "minLength")) or rule.id.startswith("model/unlisted")


def _statuses(rule: Rule | None) -> tuple[int, ...]:
    """The statuses that reject a request breaking ``rule``: the rule's own list where it
    states one, 400 or 404 for an unlisted model (baseline), else 400."""
    stated = rule.params.get("statuses") if rule is not None else None
    if isinstance(stated, list | tuple) and stated and all(isinstance(s, int) for s in stated):
        return tuple(stated)
    return (400, 404) if is_unlisted_model(rule) else (400,)


def request_id_rule(contract: Contract) -> Rule | None:
    """The contract's ``X-Request-Id`` length rule, when its page states one."""
    for rule in contract.rules_in("header"):
        named = rule.field.lower() == REQUEST_ID or rule.id.lower().startswith(
            "header/x-request-id/"
        )
        if named and rule.kind == "maxLength":
            return rule
    return None


def sends_request_id(ctx: CheckContext, exchange: Exchange) -> bool:
    """An accept probe carrying ``X-Request-Id`` where the contract bounds it: the header
    check owns its verdict."""
    probe = exchange.probe
    return (
        probe.expect == "accept"
        and any(name.lower() == REQUEST_ID for name in probe.request.headers)
        and (
            request_id_rule(ctx.contract) is not None
            or ctx.contract.has_semantic("request_id_header")
        )
    )


def _is_invalid_request(ctx: CheckContext, exchange: Exchange) -> bool:
    return exchange.probe.expect == "reject" and not is_malformed_json(exchange.probe)


def _is_valid_request(ctx: CheckContext, exchange: Exchange) -> bool:
    return exchange.probe.expect == "accept" and not sends_request_id(ctx, exchange)


@check(
    area="request-validation",
    enforces=("request/*", "model/*", "header/*"),
    citation=REQUESTS,
    applies=_is_invalid_request,
)
def invalid_request_rejected(ctx: CheckContext, exchange: Exchange) -> None:
    """A request that breaks a stated rule is rejected with 400 (404 for an unlisted model)."""
    defer_unjudgeable(exchange)
    probe, response = exchange.probe, exchange.response
    rule = probe.rule
    allowed = _statuses(rule)
    if response.status in allowed:
        return
    breaks = f"{rule.id} ({cite(ctx.contract, rule)})" if rule is not None else "a stated rule"
    if response.status == 422:
        ctx.observe(
            f"invalid request answered 422, not 400 (tolerated): {probe.title}",
            probe=probe.id,
            rule=rule.id if rule is not None else "",
        )
        return
    wanted = " or ".join(str(s) for s in allowed)
    if response.is_success:
        title = f"Request breaking {rule.id if rule else 'a stated rule'} was accepted"
    else:
        title = f"Invalid request answered {response.status}, not {wanted}"
    raise CheckFailed(
        title,
        received=f"{describe(response)} for {probe.title!r}",
        expected=f"{wanted}: the request breaks {breaks}; a request that breaks a stated "
        "rule is rejected with 400, never 2xx (baseline: Requests)",
        rule=rule.id if rule is not None else INVALID,
    )


@check(
    area="request-validation",
    enforces=("request/*", "model/*", "header/*"),
    citation=REQUESTS,
    applies=_is_valid_request,
)
def valid_request_accepted(ctx: CheckContext, exchange: Exchange) -> None:
    """A request that keeps every stated rule is accepted with 2xx."""
    defer_unjudgeable(exchange)
    probe, response = exchange.probe, exchange.response
    if response.is_success:
        return
    rule = probe.rule
    at = f"; it exercises {rule.id} ({cite(ctx.contract, rule)})" if rule is not None else ""
    raise CheckFailed(
        f"Valid request rejected with {response.status}",
        received=f"{describe(response)} for {probe.title!r}",
        expected=f"2xx: the request keeps every stated rule{at} "
        "(baseline: a request that satisfies every stated rule is accepted)",
        rule=rule.id if rule is not None else VALID,
    )
