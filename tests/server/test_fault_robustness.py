"""No fault crashes the server, on any request the harness sends.

A fault's hooks run on whatever a probe sent (lenient hooks before validation, so on
bodies of any shape) and on every answer the generator writes (boundary values such as
``top_logprobs: 0`` included). A hook that raises turns a fault run into a broken run
that proves nothing, so every fault is served every probe of every contract's default
plan, and each must get an HTTP answer.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import httpx
import pytest
from tests.server.util import KEY, RUNNABLE, server

from chatconform.contracts import load_contract
from chatconform.engine.client import WRONG_KEY, encode_body
from chatconform.engine.planner import plan
from chatconform.engine.probe import Probe
from chatconform.server import ReferenceServer, all_faults

EXAMPLES = 3


@cache
def _plan(contract_id: str) -> tuple[Probe, ...]:
    contract = load_contract(contract_id)
    return tuple(plan(contract, model=contract.models.default, examples=EXAMPLES))


def _pairs() -> list[Any]:
    return [
        pytest.param(fault.name, cid, id=f"{fault.name}-{cid}")
        for fault in all_faults()
        for cid in RUNNABLE
        if fault.applies_to(load_contract(cid))
    ]


def _wire(srv: ReferenceServer, probe: Probe) -> tuple[str, str, dict[str, str], bytes]:
    """The request as the harness's client puts it on the wire (see ``build_request``)."""
    spec = srv.contract
    request = probe.request
    headers = {"content-type": "application/json", "accept": "*/*"}
    if request.auth == "default":
        headers["authorization"] = f"Bearer {KEY}"
    elif request.auth == "wrong":
        headers["authorization"] = f"Bearer {WRONG_KEY}"
    headers.update({k.lower(): v for k, v in request.headers.items()})
    body = request.raw_body if request.raw_body is not None else encode_body(request.body)
    prefix = httpx.URL(spec.base_url).path.rstrip("/")
    return request.method, prefix + (request.path or spec.path), headers, body


def _answer(srv: ReferenceServer, probe: Probe) -> tuple[int, bytes]:
    method, path, headers, body = _wire(srv, probe)
    answer = srv.handle(method, path, headers, body)
    return answer.status, answer.body()


@pytest.mark.parametrize(("fault", "contract_id"), _pairs())
def test_every_probe_of_the_plan_gets_an_answer(fault: str, contract_id: str) -> None:
    srv = server(contract_id, fault=fault)
    crashed: list[str] = []
    for probe in _plan(contract_id):
        try:
            status, _ = _answer(srv, probe)
        except Exception as error:  # the defect under test: any exception at all
            crashed.append(f"{probe.id}: {type(error).__name__}: {error}")
            continue
        assert 200 <= status < 600, f"{probe.id}: status {status}"
    assert not crashed, f"fault {fault} crashed the server on {len(crashed)} probe(s):\n" + (
        "\n".join(crashed[:5])
    )


def test_the_plan_holds_the_shapes_that_once_crashed_a_fault() -> None:
    """Guards the test above: without these probes it could not see the old defects."""
    probes = _plan("trinitydesk")
    bodies = [p.request.body for p in probes if isinstance(p.request.body, dict)]
    assert any("messages" in b and not isinstance(b["messages"], list) for b in bodies)
    assert any(b.get("logprobs") is True and b.get("top_logprobs") == 0 for b in bodies)


@pytest.mark.parametrize(
    ("fault", "contract_id", "body"),
    [
        ("accepts_unknown_enum_value", "trinitydesk", {"messages": True}),
        ("accepts_tool_message_without_id", "trinitydesk", {"messages": 7}),
    ],
)
def test_a_lenient_hook_leaves_a_body_of_the_wrong_shape_to_validation(
    fault: str, contract_id: str, body: dict[str, Any]
) -> None:
    srv = server(contract_id, fault=fault)
    sent = {"model": srv.contract.models.default, "messages": [{"role": "user", "content": "hi"}]}
    sent.update(body)
    headers = {"authorization": f"Bearer {KEY}", "content-type": "application/json"}
    answer = srv.handle("POST", "/v1/chat/completions", headers, encode_body(sent))
    assert answer.status == 400, answer.body()


@pytest.mark.parametrize(("asked", "served"), [(0, 1), (3, 2)])
def test_top_logprobs_count_wrong_is_visible_at_every_count(asked: int, served: int) -> None:
    srv = server("openai-compatible", fault="top_logprobs_count_wrong")
    sent = {
        "model": srv.contract.models.default,
        "messages": [{"role": "user", "content": "alpha bravo"}],
        "logprobs": True,
        "top_logprobs": asked,
    }
    headers = {"authorization": f"Bearer {KEY}", "content-type": "application/json"}
    answer = srv.handle("POST", "/v1/chat/completions", headers, encode_body(sent))
    entries = json.loads(answer.body())["choices"][0]["logprobs"]["content"]
    assert entries and {len(e["top_logprobs"]) for e in entries} == {served}
