"""The planner: deterministic, complete per area, exact about validity, and cheap."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from tests.support import Handler, exchange_for

from chatconform.contracts import contract_ids, load_contract, validators_for
from chatconform.contracts.model import Contract
from chatconform.engine.client import send
from chatconform.engine.evaluate import Outcome, evaluate
from chatconform.engine.planner import AREAS, DEFAULT_AREAS, plan
from chatconform.engine.probe import Probe
from chatconform.engine.registry import CheckContext
from chatconform.server import ReferenceServer, transport

CONTRACTS = contract_ids()
BUDGET_FIELDS = ("max_tokens", "max_completion_tokens")
# Every contract plans these; semantic areas depend on what the page documents.
ALWAYS = {"negative", "positive", "generated", "response", "streaming", "auth", "errors"}


def default_plan(contract_id: str, examples: int = 10) -> tuple[Contract, list[Probe]]:
    contract = load_contract(contract_id)
    return contract, plan(contract, model=contract.models.default, examples=examples)


def errors(contract: Contract, body: Any) -> list[Any]:
    return list(validators_for(contract).request.iter_errors(body))


@pytest.mark.parametrize("contract_id", CONTRACTS)
def test_the_same_arguments_give_the_same_plan(contract_id: str) -> None:
    contract, first = default_plan(contract_id)
    second = plan(contract, model=contract.models.default, examples=10)
    assert [p.id for p in first] == [p.id for p in second]
    assert first == second


@pytest.mark.parametrize("contract_id", CONTRACTS)
def test_every_area_is_planned_and_ids_are_unique(contract_id: str) -> None:
    contract, probes = default_plan(contract_id)
    areas = {p.area for p in probes}
    assert areas >= ALWAYS, ALWAYS - areas
    assert areas <= set(DEFAULT_AREAS)
    assert len({p.id for p in probes}) == len(probes)
    assert all(p.id.startswith(p.area + "/") for p in probes)
    if contract.rules_in("header"):
        assert "headers" in areas
    if contract.has_semantic("tools"):
        assert "tools" in areas


@pytest.mark.parametrize("contract_id", CONTRACTS)
def test_no_body_expected_to_be_accepted_breaks_the_contract(contract_id: str) -> None:
    contract, probes = default_plan(contract_id)
    accepted = [p for p in probes if p.expect == "accept" and p.request.raw_body is None]
    assert accepted
    for probe in accepted:
        assert errors(contract, probe.request.body) == [], probe.id


@pytest.mark.parametrize("contract_id", CONTRACTS)
def test_every_negative_body_breaks_the_contract(contract_id: str) -> None:
    contract, probes = default_plan(contract_id)
    negatives = [
        p
        for p in probes
        if p.area in ("negative", "generated")
        and p.expect == "reject"
        and p.rule is not None
        and p.rule.is_hard
        and p.rule.area in ("request", "model")
        and not p.request.headers
        and p.request.raw_body is None
    ]
    assert negatives
    for probe in negatives:
        assert errors(contract, probe.request.body), probe.id


@pytest.mark.parametrize("contract_id", CONTRACTS)
def test_the_default_plan_stays_within_the_cost_bound(contract_id: str) -> None:
    _, probes = default_plan(contract_id)
    assert len(probes) < 200
    tokens = sum(_output_bound(p) for p in probes if p.expect == "accept")
    assert tokens < 5000


def _output_bound(probe: Probe) -> int:
    """What an accepted probe may cost: its bound, or a short answer where the bound itself
    is under test (those probes ask for "OK")."""
    body = probe.request.body
    if not isinstance(body, dict):
        return 0
    bounds = [body[f] for f in BUDGET_FIELDS if isinstance(body.get(f), int)]
    assert bounds, f"{probe.id} sets no output bound"
    bound = int(min(bounds)) * int(body.get("n", 1))
    if probe.rule is not None and probe.rule.field in BUDGET_FIELDS:
        return min(bound, 64)
    return bound


def test_generated_probes_follow_examples() -> None:
    contract, probes = default_plan("powertokens-qwen", examples=3)
    generated = [p for p in probes if p.area == "generated"]
    assert sum(p.expect == "accept" for p in generated) == 3
    assert sum(p.expect == "reject" for p in generated) == 3
    none = plan(contract, model=contract.models.default, examples=0, areas=["generated"])
    assert none == []


def test_negative_probes_carry_their_rule_and_strength() -> None:
    _, probes = default_plan("trinitydesk")
    negatives = {p.id: p for p in probes if p.area == "negative"}
    assert any(pid.startswith("negative/request/stop/maxItems/") for pid in negatives)
    for probe in negatives.values():
        assert probe.expect == "reject"
        assert probe.rule is not None
        assert probe.id.startswith(f"negative/{probe.rule.id}/")
        if not probe.rule.is_hard:  # advice and open lists are never failures
            assert probe.documented is False


def test_an_undocumented_field_is_not_a_documented_failure() -> None:
    contract, probes = default_plan("anyfast")
    undocumented = {n for n, f in contract.fields.items() if not f.documented}
    for probe in probes:
        if probe.area == "negative" and probe.rule and probe.rule.field in undocumented:
            assert probe.documented is False, probe.id


def test_auth_and_error_probes() -> None:
    _, probes = default_plan("anyfast")
    by_id = {p.id: p for p in probes}
    assert by_id["auth/none"].request.auth == "none"
    assert by_id["auth/wrong"].request.auth == "wrong"
    assert {by_id["auth/none"].expect, by_id["auth/wrong"].expect} == {"auth-reject"}
    malformed = by_id["errors/malformed-json"]
    assert malformed.expect == "reject"
    assert malformed.request.raw_body == b'{"model": '


def test_streaming_probes_follow_the_contract() -> None:
    _, byteplus = default_plan("powertokens-byteplus")
    _, qwen = default_plan("powertokens-qwen")
    ids = {p.id for p in byteplus if p.area == "streaming"}
    assert ids == {
        "streaming/minimal",
        "streaming/include_usage",
        "streaming/chunk_include_usage",
    }
    assert "streaming/chunk_include_usage" not in {p.id for p in qwen}
    assert all(p.request.stream for p in byteplus if p.area == "streaming")


def test_a_documented_request_id_is_sent_at_its_maximum_length() -> None:
    _, probes = default_plan("trinitydesk")
    probe = next(p for p in probes if p.id == "headers/X-Request-Id/at-max-length")
    assert probe.expect == "accept"
    assert len(probe.request.headers["X-Request-Id"]) == 128
    too_long = [p for p in probes if p.rule and p.rule.area == "header" and p.expect == "reject"]
    assert too_long and all(len(p.request.headers["X-Request-Id"]) > 128 for p in too_long)


def test_the_cheap_bound_uses_the_field_the_contract_documents() -> None:
    _, byteplus = default_plan("powertokens-byteplus")
    _, anyfast = default_plan("anyfast")
    # BytePlus max_tokens excludes reasoning; only max_completion_tokens bounds a thinker.
    assert byteplus[0].request.body is not None
    minimal = next(p for p in byteplus if p.id == "response/minimal").request.body
    assert minimal["max_completion_tokens"] == 8 and "max_tokens" not in minimal
    minimal = next(p for p in anyfast if p.id == "response/minimal").request.body
    assert minimal["max_tokens"] == 8 and "max_completion_tokens" not in minimal


def test_areas_select_and_unknown_areas_are_refused() -> None:
    contract = load_contract("anyfast")
    only = plan(contract, model=contract.models.default, areas=["auth", "errors"])
    assert {p.area for p in only} == {"auth", "errors"}
    assert plan(contract, model=contract.models.default, areas=["schemathesis"]) == []
    assert "schemathesis" in AREAS and "schemathesis" not in DEFAULT_AREAS
    with pytest.raises(ValueError, match=r"unknown area.*known: negative"):
        plan(contract, model=contract.models.default, areas=["nope"])


# -- the wrong-method probe: judged by what holds for every non-2xx answer ------------------

_NOT_ALLOWED = json.dumps(
    {
        "error": {
            "message": "method not allowed: use POST",
            "type": "invalid_request_error",
            "param": None,
            "code": "method_not_allowed",
        }
    }
).encode()


def _get_probe(contract_id: str = "anyfast") -> tuple[Contract, Probe]:
    contract, probes = default_plan(contract_id)
    return contract, next(p for p in probes if p.id == "errors/method-get")


def _verdicts(contract: Contract, probe: Probe, handler: Handler) -> dict[str, Outcome]:
    exchange = exchange_for(contract, handler, probe=probe)
    return {o.check: o for o in evaluate(CheckContext(contract), exchange)}


@pytest.mark.parametrize("contract_id", CONTRACTS)
def test_every_plan_sends_get_to_the_chat_completions_path(contract_id: str) -> None:
    contract, probe = _get_probe(contract_id)
    assert (probe.request.method, probe.request.raw_body, probe.expect) == ("GET", b"", "any")
    assert probe.request.path is None and probe.request.auth == "default"
    assert probe.rule is not None and probe.rule.id == "error/json-body"
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(405)

    exchange_for(contract, record, probe=probe)
    assert seen[0].method == "GET" and seen[0].url.path == f"/v1{contract.path}"
    assert seen[0].content == b""


def test_a_json_405_passes_every_check_that_judges_it() -> None:
    contract, probe = _get_probe()
    handler: Handler = lambda r: httpx.Response(  # noqa: E731
        405, content=_NOT_ALLOWED, headers={"content-type": "application/json", "allow": "POST"}
    )
    verdicts = _verdicts(contract, probe, handler)
    assert set(verdicts) == {"error_content_type_json", "error_body_shape", "no_server_error"}
    assert {o.status for o in verdicts.values()} == {"passed"}


def test_a_plain_text_405_fails_the_json_error_rule() -> None:
    contract, probe = _get_probe()
    handler: Handler = lambda r: httpx.Response(  # noqa: E731
        405, content=b"Method Not Allowed", headers={"content-type": "text/plain"}
    )
    verdicts = _verdicts(contract, probe, handler)
    failed = verdicts["error_content_type_json"]
    assert (failed.status, failed.rule) == ("failed", "error/json-body")
    assert "Received: 405 Method Not Allowed with Content-Type 'text/plain'" in failed.message
    assert "Expected: Content-Type: application/json" in failed.message
    assert verdicts["no_server_error"].status == "passed"


def test_a_501_html_page_fails_no_5xx_and_the_json_error_rule() -> None:
    contract, probe = _get_probe()
    page = b"<html><body><h1>Error response</h1><p>Error code: 501</p></body></html>"
    handler: Handler = lambda r: httpx.Response(  # noqa: E731
        501, content=page, headers={"content-type": "text/html;charset=utf-8"}
    )
    verdicts = _verdicts(contract, probe, handler)
    five = verdicts["no_server_error"]
    assert (five.status, five.rule) == ("failed", "error/no-5xx")
    assert "Received: 501 Not Implemented" in five.message and "errors/method-get" in five.message
    assert "Expected: a 4xx" in five.message
    assert verdicts["error_content_type_json"].status == "failed"


def test_the_reference_server_answers_the_get_probe_cleanly() -> None:
    contract, probe = _get_probe("trinitydesk")
    server = ReferenceServer(contract, api_key="test-key")
    with httpx.Client(transport=transport(server)) as client:
        exchange = send(client, contract, probe, api_key="test-key", base_url="http://x/v1")
    assert exchange.response.status == 405 and exchange.response.headers["allow"] == "POST"
    outcomes = evaluate(CheckContext(contract), exchange)
    assert outcomes and all(o.status == "passed" for o in outcomes), outcomes
