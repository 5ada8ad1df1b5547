"""The OpenAPI export: a valid 3.1 document that schemathesis loads and judges real
answers of the reference server by, streamed ones included."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import schemathesis
from openapi_spec_validator import validate
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from chatconform.contracts import Contract, contract_ids, load_contract
from chatconform.contracts.openapi import export_openapi
from chatconform.server import ReferenceServer, transport

CHECKS = [content_type_conformance, response_schema_conformance]


def _operation(contract: Contract) -> Any:
    return schemathesis.openapi.from_dict(export_openapi(contract))[contract.path]["POST"]


def _answer(contract: Contract, body: dict[str, Any]) -> httpx.Response:
    with httpx.Client(transport=transport(ReferenceServer(contract))) as client:
        return client.post(f"http://reference.test/v1{contract.path}", json=body)


def _body(contract: Contract, **extra: Any) -> dict[str, Any]:
    return {
        "model": contract.models.default,
        "messages": [{"role": "user", "content": "alpha bravo charlie"}],
        **extra,
    }


def _judge(contract: Contract, body: dict[str, Any], answer: httpx.Response) -> None:
    case = _operation(contract).Case(body=body, media_type="application/json")
    case.validate_response(schemathesis.Response.from_httpx(answer, verify=True), checks=CHECKS)


@pytest.mark.parametrize("cid", contract_ids())
def test_openapi_validates_and_loads_in_schemathesis(cid: str) -> None:
    contract = load_contract(cid)
    doc = export_openapi(contract)
    validate(doc)  # raises on an invalid OpenAPI 3.1 document
    assert _operation(contract) is not None
    stream = doc["paths"][contract.path]["post"]["responses"]["200"]["content"]
    assert stream["text/event-stream"]["schema"] == {"$ref": "#/components/schemas/StreamEvent"}
    event = doc["components"]["schemas"]["StreamEvent"]
    assert event["required"] == ["data"]
    assert {"const": "[DONE]"} in event["properties"]["data"]["anyOf"]


@pytest.mark.parametrize("cid", contract_ids())
def test_schemathesis_accepts_a_real_stream_of_the_reference_server(cid: str) -> None:
    contract = load_contract(cid)
    body = _body(contract, stream=True)
    answer = _answer(contract, body)
    assert answer.headers["content-type"].startswith("text/event-stream")
    assert answer.text.rstrip().endswith("data: [DONE]")
    _judge(contract, body, answer)  # raises FailureGroup on any schema or media-type fault


@pytest.mark.parametrize("cid", contract_ids())
def test_schemathesis_accepts_a_real_completion_of_the_reference_server(cid: str) -> None:
    contract = load_contract(cid)
    body = _body(contract)
    _judge(contract, body, _answer(contract, body))


def _with_first_chunk_object(answer: httpx.Response, value: str) -> bytes:
    """The body of ``answer`` with its first chunk's ``object`` set to ``value``."""
    events = answer.text.strip().split("\n\n")
    first = json.loads(events[0].removeprefix("data: "))
    first["object"] = value
    events[0] = "data: " + json.dumps(first)
    return ("\n\n".join(events) + "\n\n").encode()


def test_schemathesis_flags_a_stream_whose_chunk_breaks_the_schema() -> None:
    contract = load_contract("openai-compatible")
    body = _body(contract, stream=True)
    content = _with_first_chunk_object(_answer(contract, body), "chat.completion")
    # A stream (not content=): httpx sets `elapsed`, which schemathesis reads, on close.
    served = httpx.MockTransport(
        lambda request: httpx.Response(
            200, headers={"content-type": "text/event-stream"}, stream=httpx.ByteStream(content)
        )
    )
    with httpx.Client(transport=served) as client:
        broken = client.post(f"http://reference.test/v1{contract.path}", json=body)
    with pytest.raises(FailureGroup) as raised:
        _judge(contract, body, broken)
    assert "chat.completion.chunk" in str(raised.value)


def test_the_export_keeps_the_chunk_schema_of_the_contract() -> None:
    contract = load_contract("trinitydesk")
    schemas = export_openapi(contract)["components"]["schemas"]
    chunk = schemas["Chunk"]
    assert chunk["properties"]["object"] == {"const": "chat.completion.chunk"}
    data = schemas["StreamEvent"]["properties"]["data"]["anyOf"][1]
    assert data["contentSchema"] == {"$ref": "#/components/schemas/Chunk"}
