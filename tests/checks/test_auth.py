"""The auth verdicts: no key or a wrong key is answered 401, nothing else."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from tests.support import exchange_for

from chatconform.contracts import load_contract
from chatconform.contracts.model import Contract
from chatconform.engine.exchange import Exchange
from chatconform.engine.failures import CheckFailed, CheckSkipped
from chatconform.engine.probe import AuthMode, Probe, RequestSpec
from chatconform.engine.registry import CheckContext, get_check

CONTRACT: Contract = load_contract("openai-compatible")
BODY = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 8}
CHECKS = {
    "none": ("auth_missing_key_rejected", "auth/missing-key-401"),
    "wrong": ("auth_wrong_key_rejected", "auth/wrong-key-401"),
}
seen: list[str | None] = []  # the Authorization header each handler call saw


def exchange(auth: AuthMode, status: int, body: Any = None) -> Exchange:
    """An auth probe answered ``status``; the handler also records what auth it saw."""
    error = {"error": {"message": "Incorrect API key", "type": "auth", "param": None, "code": None}}
    seen.clear()

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization"))
        return httpx.Response(
            status,
            content=json.dumps(body or error).encode(),
            headers={"content-type": "application/json"},
        )

    probe = Probe(
        id=f"auth/{auth}",
        area="auth",
        title=f"auth {auth}",
        request=RequestSpec(body=BODY, auth=auth),
        expect="auth-reject",
    )
    return exchange_for(CONTRACT, handler, probe=probe)


def run(name: str, ex: Exchange) -> None:
    ctx = CheckContext(CONTRACT)
    assert get_check(name).applies(ctx, ex)
    get_check(name).fn(ctx, ex)


@pytest.mark.parametrize("auth", ["none", "wrong"])
def test_401_passes(auth: AuthMode) -> None:
    run(CHECKS[auth][0], exchange(auth, 401))


def test_the_probes_send_no_key_and_a_wrong_key() -> None:
    exchange("none", 401)
    assert seen == [None]
    exchange("wrong", 401)
    assert seen[0] is not None and "test-key" not in seen[0]


@pytest.mark.parametrize(
    ("auth", "status", "title"),
    [
        ("none", 200, "Auth not enforced: a request without an Authorization header was served"),
        ("wrong", 200, "Auth not enforced: a request with a wrong bearer token was served"),
        ("none", 403, "403 Forbidden instead of 401 Unauthorized"),
        ("wrong", 403, "403 Forbidden instead of 401 Unauthorized"),
        ("wrong", 400, "Request with a wrong bearer token answered 400, not 401"),
    ],
)
def test_anything_but_401_fails(auth: AuthMode, status: int, title: str) -> None:
    name, rule = CHECKS[auth]
    with pytest.raises(CheckFailed) as info:
        run(name, exchange(auth, status, {"id": "x"} if status == 200 else None))
    assert (info.value.title, info.value.rule) == (title, rule)
    assert f"Received: {status}" in info.value.message
    assert "Expected: 401 Unauthorized" in info.value.message


def test_a_5xx_is_left_to_no_server_error() -> None:
    with pytest.raises(CheckSkipped, match="no_server_error"):
        run("auth_missing_key_rejected", exchange("none", 503))


def test_each_check_applies_to_its_own_probe_only() -> None:
    ctx = CheckContext(CONTRACT)
    none, wrong = exchange("none", 401), exchange("wrong", 401)
    assert get_check("auth_missing_key_rejected").applies(ctx, none)
    assert not get_check("auth_missing_key_rejected").applies(ctx, wrong)
    assert not get_check("auth_wrong_key_rejected").applies(ctx, none)
