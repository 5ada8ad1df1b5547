"""Run every applicable registered check on one exchange and collect outcomes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from chatconform.engine.exchange import Exchange
from chatconform.engine.failures import CheckFailed, CheckSkipped
from chatconform.engine.registry import CheckContext, all_checks

Status = Literal["passed", "failed", "skipped", "warned"]

# The areas whose checks judge a request outside the contract. Its verdict is "was it
# rejected": if the server answers 2xx anyway, invalid_request_rejected already fails it,
# and judging what the invalid value did (22 top_logprobs for k = 21) would count the
# same deviation twice.
REJECT_AREAS = frozenset({"request-validation", "errors", "auth", "headers"})


@dataclass(frozen=True)
class Outcome:
    probe: str
    check: str
    status: Status
    rule: str  # rule id enforced ("" when the check enforces a baseline behaviour by name)
    citation: str
    message: str = ""


def evaluate(ctx: CheckContext, exchange: Exchange) -> list[Outcome]:
    """Apply each registered check that applies to ``exchange``.

    A failure on a probe whose broken rule is not a hard, documented rule of this
    contract is downgraded to ``warned`` and recorded as an observation when the failing
    check is the one judging that rule: only a rule a page or the baseline states may
    fail a run.

    A probe expecting rejection (a request outside the contract) is judged only by the
    checks of :data:`REJECT_AREAS`.
    """
    outcomes: list[Outcome] = []
    probe = exchange.probe
    soft = not probe.documented or (probe.rule is not None and not probe.rule.is_hard)
    for chk in all_checks():
        if probe.expect == "reject" and chk.area not in REJECT_AREAS:
            continue
        if not chk.applies(ctx, exchange):
            continue
        rule = probe.rule.id if probe.rule is not None else ""
        try:
            chk.fn(ctx, exchange)
        except CheckFailed as failure:
            rule = failure.rule or rule or ",".join(chk.enforces)
            # Only the verdict on the soft rule itself is softened: a 5xx or a malformed
            # error body on the same probe still breaks a stated baseline rule.
            if soft and probe.rule is not None and chk.covers(probe.rule):
                ctx.observe(f"{chk.name}: {failure.title}", probe=probe.id, rule=rule, soft=True)
                outcomes.append(
                    Outcome(probe.id, chk.name, "warned", rule, chk.citation, failure.message)
                )
            else:
                outcomes.append(
                    Outcome(probe.id, chk.name, "failed", rule, chk.citation, failure.message)
                )
        except CheckSkipped as skip:
            outcomes.append(Outcome(probe.id, chk.name, "skipped", rule, chk.citation, skip.reason))
        else:
            outcomes.append(Outcome(probe.id, chk.name, "passed", rule, chk.citation))
    return outcomes
