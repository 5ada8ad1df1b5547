"""Auth verdicts: a request without a key, or with a wrong one, is answered 401.

An endpoint that serves requests without checking the bearer token bills or leaks on
anyone's behalf; one that answers 403 tells a client its key is known but barred, which
sends it debugging the wrong thing. The error body of the 401 is judged by the error
checks, so a bad body is reported once, under ``error/json-body``.
"""

from __future__ import annotations

from chatconform.checks.errors import defer_unjudgeable, describe
from chatconform.engine.exchange import Exchange
from chatconform.engine.failures import CheckFailed
from chatconform.engine.probe import AuthMode
from chatconform.engine.registry import Applies, CheckContext, check

CITATION = "baseline: Requests (missing or wrong bearer token: 401)"
_WHAT = {"none": "without an Authorization header", "wrong": "with a wrong bearer token"}


def _auth_probe(mode: AuthMode) -> Applies:
    def applies(ctx: CheckContext, exchange: Exchange) -> bool:
        probe = exchange.probe
        return probe.request.auth == mode and probe.expect == "auth-reject"

    return applies


def _expect_401(exchange: Exchange, rule: str) -> None:
    defer_unjudgeable(exchange)
    response = exchange.response
    if response.status == 401:
        return
    what = _WHAT[exchange.probe.request.auth]
    expected = f"401 Unauthorized for a request {what} (baseline: Requests)"
    if response.is_success:
        title = f"Auth not enforced: a request {what} was served"
    elif response.status == 403:
        title = "403 Forbidden instead of 401 Unauthorized"
        expected += (
            "; 403 says the caller is known but not allowed, 401 that it is not authenticated"
        )
    else:
        title = f"Request {what} answered {response.status}, not 401"
    raise CheckFailed(title, received=describe(response), expected=expected, rule=rule)


@check(
    area="auth",
    enforces=("auth/missing-key-401",),
    citation=CITATION,
    applies=_auth_probe("none"),
)
def auth_missing_key_rejected(ctx: CheckContext, exchange: Exchange) -> None:
    """A request without an Authorization header is answered 401."""
    _expect_401(exchange, "auth/missing-key-401")


@check(
    area="auth",
    enforces=("auth/wrong-key-401",),
    citation=CITATION,
    applies=_auth_probe("wrong"),
)
def auth_wrong_key_rejected(ctx: CheckContext, exchange: Exchange) -> None:
    """A request with a wrong bearer token is answered 401."""
    _expect_401(exchange, "auth/wrong-key-401")
