"""What the server tests share: a plain httpx client on the in-process transport, and a
deliberately small SSE reader (the engine's parser is not used: the server is checked
independently of the harness)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from chatconform.contracts import load_contract
from chatconform.server import ReferenceServer, transport

RUNNABLE = (
    "openai-compatible",
    "powertokens-byteplus",
    "anyfast",
    "trinitydesk",
    "powertokens-qwen",
)
KEY = "test-key"
WORDS = "alpha bravo charlie delta echo foxtrot golf hotel"


def server(contract_id: str, **kwargs: Any) -> ReferenceServer:
    kwargs.setdefault("api_key", KEY)
    kwargs.setdefault("clock", lambda: 1_795_000_000.0)
    return ReferenceServer(load_contract(contract_id), **kwargs)


@contextmanager
def client(srv: ReferenceServer, *, key: str | None = KEY) -> Iterator[httpx.Client]:
    headers = {"authorization": f"Bearer {key}"} if key else {}
    with httpx.Client(
        transport=transport(srv), base_url="http://reference/v1", headers=headers
    ) as c:
        yield c


def body(srv: ReferenceServer, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "model": srv.contract.models.default,
        "messages": [{"role": "user", "content": WORDS}],
    }
    out.update(extra)
    return out


def post(
    srv: ReferenceServer, headers: dict[str, str] | None = None, **extra: Any
) -> httpx.Response:
    with client(srv) as c:
        return c.post("/chat/completions", json=body(srv, **extra), headers=headers or {})


def events(response: httpx.Response) -> list[Any]:
    """The data payloads of a well-framed stream ("[DONE]" kept as the string)."""
    text = response.text
    assert text.endswith("\n\n"), "the stream does not end with a blank line"
    out: list[Any] = []
    for block in text.split("\n\n")[:-1]:
        assert block.startswith("data: "), f"not a data event: {block!r}"
        data = block[len("data: ") :]
        out.append(data if data == "[DONE]" else json.loads(data))
    return out


def content(answer: dict[str, Any]) -> str:
    return str(answer["choices"][0]["message"]["content"])
