"""Requests that break a stated rule are rejected with the baseline's error; valid ones pass."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator
from tests.server.util import KEY, RUNNABLE, body, client, post, server

from chatconform.contracts import load_contract


def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    document: dict[str, Any] = response.json()
    Draft202012Validator(load_contract("openai-compatible").error_schema).validate(document)
    assert set(document["error"]) == {"message", "type", "param", "code"}
    return document["error"]


@pytest.mark.parametrize(
    ("contract_id", "extra", "param"),
    [
        ("powertokens-qwen", {"temperature": 2.5}, "temperature"),
        ("powertokens-byteplus", {"top_logprobs": 21, "logprobs": True}, "top_logprobs"),
        ("openai-compatible", {"stop": ["a", "b", "c", "d", "e"]}, "stop"),
        ("anyfast", {"max_tokens": 262145}, "max_tokens"),
        ("openai-compatible", {"messages": []}, "messages"),
        ("openai-compatible", {"stream": "yes"}, "stream"),
    ],
)
def test_a_broken_field_rule_is_400_naming_the_parameter(
    contract_id: str, extra: dict[str, Any], param: str
) -> None:
    error = _error(post(server(contract_id), **extra), 400)
    assert error["param"] is not None and error["param"].startswith(param)


@pytest.mark.parametrize(
    ("contract_id", "extra"),
    [
        ("powertokens-qwen", {"temperature": 2}),
        ("powertokens-qwen", {"temperature": 0}),
        ("openai-compatible", {"stop": ["a", "b", "c", "d"]}),
        ("powertokens-byteplus", {"top_logprobs": 20, "logprobs": True}),
        ("trinitydesk", {"temperature": 2.5}),  # 常用 0~2 is advice, not a limit
    ],
)
def test_boundary_values_are_accepted(contract_id: str, extra: dict[str, Any]) -> None:
    assert post(server(contract_id), **extra).status_code == 200


def test_missing_messages_is_400() -> None:
    srv = server("openai-compatible")
    with client(srv) as c:
        response = c.post("/chat/completions", json={"model": "gpt-4o-mini"})
    assert _error(response, 400)["code"] == "missing_required_parameter"


def test_malformed_json_is_400() -> None:
    srv = server("anyfast")
    with client(srv) as c:
        response = c.post("/chat/completions", content=b'{"model": ')
    _error(response, 400)


def test_unlisted_model_on_a_closed_list_is_404_model_not_found() -> None:
    error = _error(post(server("powertokens-qwen"), model="gpt-4o"), 404)
    assert error["code"] == "model_not_found"


def test_any_model_is_served_where_the_list_is_open() -> None:
    assert post(server("trinitydesk"), model="some-new-model").status_code == 200


@pytest.mark.parametrize(
    ("contract_id", "status"),
    [("trinitydesk", 400), ("openai-compatible", 400), ("anyfast", 404)],
)
def test_an_empty_model_is_rejected_never_served(contract_id: str, status: int) -> None:
    # An open list serves any id, but "" names no model any vendor lists (baseline).
    error = _error(post(server(contract_id), model=""), status)
    assert error["param"] == "model"


def test_trinitydesk_rejects_a_long_request_id_only() -> None:
    srv = server("trinitydesk")
    assert post(srv, headers={"X-Request-Id": "r" * 128}).status_code == 200
    _error(post(srv, headers={"X-Request-Id": "r" * 129}), 400)
    assert post(server("anyfast"), headers={"X-Request-Id": "r" * 129}).status_code == 200


@pytest.mark.parametrize(
    "extra",
    [
        {"max_tokens": 5, "max_completion_tokens": 5},
        {"top_logprobs": 2},
        {"messages": [{"role": "user", "content": "hi"}, {"role": "tool", "content": "42"}]},
        {"model": "gpt-4o", "thinking_enabled": True},
        {"model": "gemini-3-pro-preview", "thinking_enabled": False},
        {"model": "gemini-3-pro-preview", "reasoning_effort": "minimal"},
    ],
)
def test_trinitydesk_cross_field_and_per_model_rules(extra: dict[str, Any]) -> None:
    _error(post(server("trinitydesk"), **extra), 400)


@pytest.mark.parametrize(("key", "status"), [(None, 401), ("wrong", 401), (KEY, 200)])
def test_auth(key: str | None, status: int) -> None:
    srv = server("powertokens-qwen")
    with client(srv, key=key) as c:
        response = c.post("/chat/completions", json=body(srv))
    assert response.status_code == status
    if status == 401:
        assert _error(response, 401)["code"] == "invalid_api_key"


def test_no_auth_without_a_key() -> None:
    srv = server("powertokens-qwen", api_key=None)
    with client(srv, key=None) as c:
        assert c.post("/chat/completions", json=body(srv)).status_code == 200


@pytest.mark.parametrize("contract_id", RUNNABLE)
def test_every_violation_is_rejected_and_every_boundary_accepted(contract_id: str) -> None:
    violations = pytest.importorskip("chatconform.contracts.violations")
    contract = load_contract(contract_id)
    srv = server(contract_id)
    headers = {"authorization": f"Bearer {KEY}"}
    wrong = []
    for violation in violations.violations(contract):
        if not (violation.rule.is_hard and getattr(violation, "documented", True)):
            continue
        raw = b"" if violation.body is None else _encode(violation.body)
        answer = srv.handle("POST", "/v1/chat/completions", {**headers, **violation.headers}, raw)
        if answer.status not in (400, 404):
            wrong.append((violation.label, answer.status))
    for rule, valid in violations.boundary_requests(contract):
        answer = srv.handle("POST", "/v1/chat/completions", headers, _encode(valid))
        if answer.status != 200:
            wrong.append((rule.id, answer.status, answer.body()[:200]))
    assert wrong == []


def _encode(document: Any) -> bytes:
    import json

    return json.dumps(document).encode()
