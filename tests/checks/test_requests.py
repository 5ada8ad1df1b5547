"""The request-validation verdicts: invalid requests rejected with 400, valid ones accepted."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from tests.support import Handler, exchange_for

from chatconform.contracts import load_contract
from chatconform.contracts.model import Citation, Contract, Rule
from chatconform.engine.exchange import Exchange
from chatconform.engine.failures import CheckFailed, CheckSkipped
from chatconform.engine.probe import Expect, Probe, RequestSpec
from chatconform.engine.registry import CheckContext, get_check

CONTRACT: Contract = load_contract("openai-compatible")
BODY = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 8}
TEMPERATURE = Rule(
    id="request/temperature/maximum",
    area="request",
    kind="maximum",
    field="temperature",
    params={"maximum": 2},
    citation=Citation("baseline", "temperature", "0 <= x <= 2"),
)
UNLISTED = Rule(
    id="model/unlisted-400-404",
    area="model",
    kind="unlisted",
    field="model",
    params={"statuses": [400, 404]},
    citation=Citation("baseline", "Requests", "A model the vendor does not list: 400 or 404."),
)
ERROR = {
    "error": {
        "message": "temperature must be <= 2",
        "type": "invalid_request_error",
        "param": "temperature",
        "code": None,
    }
}


def probe(expect: Expect, rule: Rule | None = None, body: Any = None, **kw: Any) -> Probe:
    return Probe(
        id=f"test/{expect}",
        area="negative" if expect == "reject" else "positive",
        title=kw.pop("title", "temperature above maximum (2.0001)"),
        request=RequestSpec(body=body or {**BODY, "temperature": 2.0001}, **kw),
        expect=expect,
        rule=rule,
    )


def respond(status: int, body: Any = ERROR) -> Handler:
    return lambda request: httpx.Response(
        status, content=json.dumps(body).encode(), headers={"content-type": "application/json"}
    )


def run(name: str, exchange: Exchange, contract: Contract = CONTRACT) -> CheckContext:
    ctx = CheckContext(contract)
    chk = get_check(name)
    assert chk.applies(ctx, exchange), f"{name} does not apply to {exchange.probe.id}"
    chk.fn(ctx, exchange)
    return ctx


def fails(name: str, exchange: Exchange, rule: str, *words: str) -> CheckFailed:
    with pytest.raises(CheckFailed) as info:
        run(name, exchange)
    assert info.value.rule == rule
    message = info.value.message
    assert "Received:" in message and "Expected:" in message
    for word in words:
        assert word in message, message
    return info.value


def test_invalid_request_rejected_passes_on_400() -> None:
    run(
        "invalid_request_rejected",
        exchange_for(CONTRACT, respond(400), probe=probe("reject", TEMPERATURE)),
    )


def test_invalid_request_rejected_tolerates_422_and_notes_it() -> None:
    exchange = exchange_for(CONTRACT, respond(422), probe=probe("reject", TEMPERATURE))
    ctx = run("invalid_request_rejected", exchange)
    assert [o["rule"] for o in ctx.observations] == ["request/temperature/maximum"]
    assert "422" in ctx.observations[0]["message"]


def test_invalid_request_rejected_fails_when_accepted() -> None:
    exchange = exchange_for(CONTRACT, respond(200, {"id": "x"}), probe=probe("reject", TEMPERATURE))
    failure = fails(
        "invalid_request_rejected",
        exchange,
        "request/temperature/maximum",
        "200 OK",
        "'0 <= x <= 2'",
        "temperature above maximum",
    )
    assert failure.title == "Request breaking request/temperature/maximum was accepted"


def test_invalid_request_rejected_fails_on_another_4xx() -> None:
    exchange = exchange_for(CONTRACT, respond(403), probe=probe("reject", TEMPERATURE))
    failure = fails(
        "invalid_request_rejected", exchange, "request/temperature/maximum", "403 Forbidden"
    )
    assert failure.title == "Invalid request answered 403, not 400"


@pytest.mark.parametrize("status", [400, 404])
def test_unlisted_model_may_be_400_or_404(status: int) -> None:
    body = {**BODY, "model": "no-such-model"}
    run(
        "invalid_request_rejected",
        exchange_for(CONTRACT, respond(status), probe=probe("reject", UNLISTED, body)),
    )


def test_unlisted_model_accepted_fails_naming_400_or_404() -> None:
    body = {**BODY, "model": "no-such-model"}
    exchange = exchange_for(
        CONTRACT, respond(200, {"id": "x"}), probe=probe("reject", UNLISTED, body)
    )
    fails("invalid_request_rejected", exchange, "model/unlisted-400-404", "400 or 404")


def unlisted(status: int, answer: Any = ERROR) -> tuple[Contract, Exchange]:
    """A probe naming a model AnyFast's closed list lacks, answered ``status``, ``answer``."""
    anyfast = load_contract("anyfast")
    rule = anyfast.rule("request/model/enum")
    sent = probe("reject", rule, {**BODY, "model": "no-such-model"}, title="unlisted model")
    return anyfast, exchange_for(anyfast, respond(status, answer), probe=sent)


@pytest.mark.parametrize("status", [400, 404])
def test_a_closed_model_list_takes_400_or_404(status: int) -> None:
    anyfast, exchange = unlisted(status)
    run("invalid_request_rejected", exchange, anyfast)


def test_a_closed_model_list_accepting_an_unlisted_model_fails() -> None:
    anyfast, exchange = unlisted(200, {"id": "chatcmpl-1"})
    with pytest.raises(CheckFailed) as info:
        run("invalid_request_rejected", exchange, anyfast)
    assert info.value.rule == "request/model/enum"
    assert "400 or 404" in info.value.message and "AnyFast 对话补全 · model" in info.value.message


def test_an_ordinary_rule_does_not_accept_404() -> None:
    exchange = exchange_for(CONTRACT, respond(404), probe=probe("reject", TEMPERATURE))
    fails("invalid_request_rejected", exchange, "request/temperature/maximum", "404 Not Found")


def test_a_reject_probe_without_a_rule_names_the_baseline_rule() -> None:
    exchange = exchange_for(CONTRACT, respond(200, {"id": "x"}), probe=probe("reject"))
    fails("invalid_request_rejected", exchange, "request/invalid-400")


@pytest.mark.parametrize(("status", "reason"), [(500, "no_server_error"), (429, "rate limited")])
def test_invalid_request_rejected_cannot_judge_5xx_or_429(status: int, reason: str) -> None:
    exchange = exchange_for(CONTRACT, respond(status), probe=probe("reject", TEMPERATURE))
    with pytest.raises(CheckSkipped, match=reason):
        run("invalid_request_rejected", exchange)


def test_invalid_request_rejected_leaves_malformed_json_to_its_own_check() -> None:
    malformed = Probe(
        id="errors/malformed-json",
        area="errors",
        title="malformed JSON",
        request=RequestSpec(raw_body=b'{"model": '),
        expect="reject",
    )
    exchange = exchange_for(CONTRACT, respond(200, {}), probe=malformed)
    assert not get_check("invalid_request_rejected").applies(CheckContext(CONTRACT), exchange)


def test_valid_request_accepted_passes_on_2xx() -> None:
    run(
        "valid_request_accepted",
        exchange_for(CONTRACT, respond(200, {"id": "x"}), probe=probe("accept", body=BODY)),
    )


def test_valid_request_accepted_fails_quoting_the_server() -> None:
    exchange = exchange_for(
        CONTRACT, respond(400), probe=probe("accept", TEMPERATURE, {**BODY, "temperature": 2})
    )
    failure = fails(
        "valid_request_accepted",
        exchange,
        "request/temperature/maximum",
        "400 Bad Request",
        "temperature must be <= 2",
        "'0 <= x <= 2'",
    )
    assert failure.title == "Valid request rejected with 400"


def test_valid_request_without_a_rule_names_the_baseline_rule() -> None:
    exchange = exchange_for(CONTRACT, respond(401), probe=probe("accept", body=BODY))
    fails("valid_request_accepted", exchange, "request/valid-2xx", "401 Unauthorized")


def test_the_verdicts_apply_by_expectation() -> None:
    ctx = CheckContext(CONTRACT)
    accept = exchange_for(CONTRACT, respond(200, {}), probe=probe("accept", body=BODY))
    reject = exchange_for(CONTRACT, respond(400), probe=probe("reject", TEMPERATURE))
    auth = exchange_for(CONTRACT, respond(401), probe=probe("auth-reject", body=BODY, auth="none"))
    invalid, valid = get_check("invalid_request_rejected"), get_check("valid_request_accepted")
    assert [invalid.applies(ctx, e) for e in (accept, reject, auth)] == [False, True, False]
    assert [valid.applies(ctx, e) for e in (accept, reject, auth)] == [True, False, False]


def empty_model(contract_id: str, status: int, answer: Any = ERROR) -> tuple[Contract, Exchange]:
    """The baseline's empty-model probe (``request/model/minLength``) answered ``status``."""
    contract = load_contract(contract_id)
    rule = contract.rule("request/model/minLength")
    sent = probe("reject", rule, {**BODY, "model": ""}, title="model of 0 characters")
    return contract, exchange_for(contract, respond(status, answer), probe=sent)


@pytest.mark.parametrize("status", [400, 404])
@pytest.mark.parametrize("contract_id", ["trinitydesk", "openai-compatible", "anyfast"])
def test_an_empty_model_takes_400_or_404(contract_id: str, status: int) -> None:
    contract, exchange = empty_model(contract_id, status)
    run("invalid_request_rejected", exchange, contract)


def test_an_open_model_list_serving_an_empty_model_fails() -> None:
    contract, exchange = empty_model("trinitydesk", 200, {"id": "chatcmpl-1", "model": ""})
    with pytest.raises(CheckFailed) as info:
        run("invalid_request_rejected", exchange, contract)
    assert info.value.rule == "request/model/minLength"
    message = info.value.message
    assert "Received: 200 OK" in message and "model of 0 characters" in message
    assert "Expected: 400 or 404" in message and "A model the vendor does not list" in message
