"""The X-Request-Id verdict: an id within the stated length is accepted; echo is observed."""

from __future__ import annotations

import json

import httpx
import pytest
from tests.support import exchange_for

from chatconform.contracts import load_contract
from chatconform.contracts.model import Contract
from chatconform.engine.exchange import Exchange
from chatconform.engine.failures import CheckFailed
from chatconform.engine.probe import Probe, RequestSpec
from chatconform.engine.registry import CheckContext, get_check

TRINITY: Contract = load_contract("trinitydesk")
BODY = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 8}
ID_128 = "r" * 128


def exchange(status: int, *, echo: str | None = None, sent: str = ID_128) -> Exchange:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["x-request-id"] == sent
        headers = {"content-type": "application/json"}
        if echo is not None:
            headers["x-request-id"] = echo
        body = (
            {
                "error": {
                    "message": "X-Request-Id too long",
                    "type": "invalid_request_error",
                    "param": None,
                    "code": None,
                }
            }
            if status >= 400
            else {"id": "x"}
        )
        return httpx.Response(status, content=json.dumps(body).encode(), headers=headers)

    probe = Probe(
        id="headers/x-request-id/128",
        area="headers",
        title="X-Request-Id of 128 chars",
        request=RequestSpec(body=BODY, headers={"X-Request-Id": sent}),
    )
    return exchange_for(TRINITY, handler, probe=probe)


def run(ex: Exchange, contract: Contract = TRINITY) -> CheckContext:
    ctx = CheckContext(contract)
    chk = get_check("request_id_header_enforced")
    assert chk.applies(ctx, ex)
    chk.fn(ctx, ex)
    return ctx


@pytest.mark.parametrize(
    ("echo", "note"),
    [
        (ID_128, "the answer echoes X-Request-Id unchanged"),
        (None, "the answer does not echo X-Request-Id"),
        ("other", "the answer carries a different X-Request-Id (5 characters)"),
    ],
)
def test_an_id_at_the_bound_is_accepted_and_its_echo_observed(echo: str | None, note: str) -> None:
    ctx = run(exchange(200, echo=echo))
    assert [o["message"] for o in ctx.observations] == [note]


def test_an_id_at_the_bound_rejected_fails_citing_the_page() -> None:
    with pytest.raises(CheckFailed) as info:
        run(exchange(400))
    failure = info.value
    assert failure.rule == "header/X-Request-Id/maxLength"
    assert failure.title == "X-Request-Id of 128 characters rejected"
    assert "Received: 400 Bad Request: 'X-Request-Id too long'" in failure.message
    assert "128 <= 128" in failure.message and "128" in failure.message


def test_the_header_check_owns_the_accept_verdict_of_its_probe() -> None:
    """One rejected 128-char id is one failure, under the header rule."""
    ctx, ex = CheckContext(TRINITY), exchange(400)
    assert not get_check("valid_request_accepted").applies(ctx, ex)


def test_it_does_not_apply_where_no_page_bounds_the_header() -> None:
    plain = load_contract("openai-compatible")
    ex = exchange(200)
    assert not get_check("request_id_header_enforced").applies(CheckContext(plain), ex)
    assert get_check("valid_request_accepted").applies(CheckContext(plain), ex)


def test_the_reject_side_is_judged_by_invalid_request_rejected() -> None:
    rule = TRINITY.rule("header/X-Request-Id/maxLength")
    probe = Probe(
        id="negative/header",
        area="negative",
        title="X-Request-Id of 129 chars",
        request=RequestSpec(body=BODY, headers={"X-Request-Id": "r" * 129}),
        expect="reject",
        rule=rule,
    )
    ok = exchange_for(TRINITY, lambda r: httpx.Response(200, json={"id": "x"}), probe=probe)
    ctx = CheckContext(TRINITY)
    assert not get_check("request_id_header_enforced").applies(ctx, ok)
    with pytest.raises(CheckFailed) as info:
        get_check("invalid_request_rejected").fn(ctx, ok)
    assert info.value.rule == "header/X-Request-Id/maxLength"
