"""The fault catalogue: complete, well-formed, and every fault visible on its trigger."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.server.util import KEY, RUNNABLE, server

from chatconform.contracts import load_contract
from chatconform.server import (
    ReferenceServer,
    ServerResponse,
    UnknownFault,
    all_faults,
    fault_names,
    faults_for,
    get_fault,
)
from chatconform.server.faults import Fault

AREAS = {"validation", "auth", "errors", "response", "stream", "semantic"}


def _pairs() -> list[Any]:
    pairs = []
    for fault in all_faults():
        for contract_id in RUNNABLE:
            if fault.applies_to(load_contract(contract_id)):
                pairs.append(pytest.param(fault, contract_id, id=f"{fault.name}-{contract_id}"))
    return pairs


def _send(srv: ReferenceServer, fault: Fault) -> ServerResponse:
    trigger = fault.trigger(srv.contract)
    headers = {k.lower(): v for k, v in trigger.headers.items()}
    if trigger.auth == "default":
        headers["authorization"] = f"Bearer {KEY}"
    elif trigger.auth == "wrong":
        headers["authorization"] = "Bearer not-the-key"
    answer = srv.handle("POST", "/v1/chat/completions", headers, trigger.content())
    return ServerResponse(answer.status, answer.headers, [answer.body()])


def test_catalogue_is_large_named_and_covers_every_area() -> None:
    names = fault_names()
    assert len(names) >= 40
    assert names == sorted(set(names))
    assert {f.area for f in all_faults()} == AREAS
    assert all(f.description and f.rule for f in all_faults())


def test_unknown_fault_lists_the_names() -> None:
    with pytest.raises(UnknownFault, match="stream_done_missing"):
        get_fault("no_such_fault")


@pytest.mark.parametrize("name", fault_names())
def test_every_fault_applies_to_some_contract(name: str) -> None:
    fault = get_fault(name)
    assert [c for c in RUNNABLE if fault.applies_to(load_contract(c))], (
        f"{name} breaks {fault.rule!r}, which no runnable contract states"
    )


@pytest.mark.parametrize(
    ("name", "only"),
    [
        ("accepts_long_request_id", {"trinitydesk"}),
        ("max_tokens_override_not_applied", {"powertokens-byteplus"}),
        ("chunk_include_usage_ignored", {"powertokens-byteplus", "trinitydesk"}),
        ("accepts_exclusive_fields_together", {"trinitydesk"}),
        ("response_cached_tokens_not_integer", {"anyfast"}),
        ("seed_ignored", {"powertokens-qwen"}),
    ],
)
def test_a_fault_applies_only_where_its_rule_is_stated(name: str, only: set[str]) -> None:
    fault = get_fault(name)
    assert {c for c in RUNNABLE if fault.applies_to(load_contract(c))} == only


def test_a_fault_is_refused_where_it_does_not_apply() -> None:
    with pytest.raises(ValueError, match="does not apply"):
        server("anyfast", fault="accepts_long_request_id")


@pytest.mark.parametrize(("fault", "contract_id"), _pairs())
def test_fault_changes_the_answer_to_its_trigger(fault: Fault, contract_id: str) -> None:
    faithful = _send(server(contract_id), fault)
    faulty = _send(server(contract_id, fault=fault.name), fault)
    assert (faithful.status, faithful.headers, faithful.body()) != (
        faulty.status,
        faulty.headers,
        faulty.body(),
    )
    if fault.name.startswith("accepts_") or fault.name in (
        "malformed_json_accepted",
        "auth_missing_key_accepted",
        "auth_wrong_key_accepted",
    ):
        assert faithful.status in (400, 401, 404) and faulty.status == 200
    elif fault.name.startswith("rejects_"):
        assert faithful.status == 200 and faulty.status == 400
    elif fault.area in ("response", "stream", "semantic"):
        assert faithful.status == faulty.status == 200


def test_faithful_trigger_answers_are_themselves_conformant_json() -> None:
    for fault in all_faults():
        for contract_id in RUNNABLE:
            if not fault.applies_to(load_contract(contract_id)):
                continue
            answer = _send(server(contract_id), fault)
            if answer.headers["content-type"] == "application/json":
                document = json.loads(answer.body())
                assert ("error" in document) == (answer.status != 200), (fault.name, contract_id)


def test_rule_ids_name_the_stated_rules_a_fault_breaks() -> None:
    trinity = load_contract("trinitydesk")
    assert get_fault("accepts_long_request_id").rule_ids(trinity) == [
        "header/X-Request-Id/maxLength"
    ]
    assert get_fault("accepts_forbidden_model_field").rule_ids(trinity)[0].startswith("model/")
    assert get_fault("accepts_long_request_id").rule_ids(load_contract("anyfast")) == []


def test_faults_for_lists_only_applicable_faults() -> None:
    qwen = load_contract("powertokens-qwen")
    names = [f.name for f in faults_for(qwen)]
    assert "seed_ignored" in names and "accepts_long_request_id" not in names
    assert all(f.applies_to(qwen) for f in faults_for(qwen))


def test_server_all_is_honest() -> None:
    import chatconform.server as package

    assert sorted(package.__all__) == list(package.__all__)
    assert [n for n in package.__all__ if not hasattr(package, n)] == []
