"""Header verdicts: an ``X-Request-Id`` within the stated length is accepted.

The rejecting side (an id one character too long answered 400) is a negative probe like
any other and is judged by ``invalid_request_rejected`` under ``header/*``. What is left
here is the accepting side at the bound, which a gateway that counts bytes instead of
characters, or truncates at a smaller limit, gets wrong; and whether the answer echoes the
id, which no page states and so is only observed.
"""

from __future__ import annotations

from chatconform.checks.errors import defer_unjudgeable, describe
from chatconform.checks.requests import REQUEST_ID, cite, request_id_rule, sends_request_id
from chatconform.contracts.model import Rule
from chatconform.engine.exchange import Exchange
from chatconform.engine.failures import CheckFailed, CheckSkipped
from chatconform.engine.registry import CheckContext, check

DEFAULT_RULE = "header/X-Request-Id/maxLength"


def _limit(ctx: CheckContext, rule: Rule | None) -> int:
    """The stated maximum length: the header rule's bound, else the semantic's, else 128."""
    params = dict(ctx.contract.semantics.get("request_id_header", {}))
    if rule is not None:
        params.update(rule.params)
    for key in ("maxLength", "max_length", "value", "limit"):
        if isinstance(params.get(key), int):
            return int(params[key])
    return 128


@check(
    area="headers",
    enforces=("header/X-Request-Id/*", "semantic/request_id_header"),
    citation="trinitydesk#X-Request-Id",
    applies=sends_request_id,
)
def request_id_header_enforced(ctx: CheckContext, exchange: Exchange) -> None:
    """A request whose ``X-Request-Id`` keeps the stated length is accepted."""
    defer_unjudgeable(exchange)
    probe, response = exchange.probe, exchange.response
    rule = request_id_rule(ctx.contract)
    limit = _limit(ctx, rule)
    sent = next(v for k, v in probe.request.headers.items() if k.lower() == REQUEST_ID)
    if len(sent) > limit:
        raise CheckSkipped(f"the probe's X-Request-Id has {len(sent)} characters, over {limit}")
    if not response.is_success:
        stated = cite(ctx.contract, rule) if rule else f"X-Request-Id at most {limit} characters"
        raise CheckFailed(
            f"X-Request-Id of {len(sent)} characters rejected",
            received=f"{describe(response)} for X-Request-Id of {len(sent)} characters",
            expected=f"2xx: {stated}; {len(sent)} <= {limit} is within the bound",
            rule=rule.id if rule else DEFAULT_RULE,
        )
    echoed = response.headers.get(REQUEST_ID)
    if echoed is None:
        note = "the answer does not echo X-Request-Id"
    elif echoed == sent:
        note = "the answer echoes X-Request-Id unchanged"
    else:
        note = f"the answer carries a different X-Request-Id ({len(echoed)} characters)"
    ctx.observe(note, probe=probe.id, check="request_id_header_enforced")
