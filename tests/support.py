"""Helpers the harness's own tests share: build exchanges from MockTransport handlers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from chatconform.contracts.model import Contract
from chatconform.engine.client import send
from chatconform.engine.exchange import Exchange
from chatconform.engine.probe import Probe, RequestSpec

Handler = Callable[[httpx.Request], httpx.Response]


def exchange_for(
    contract: Contract,
    handler: Handler,
    body: Any = None,
    *,
    probe: Probe | None = None,
    api_key: str | None = "test-key",
) -> Exchange:
    """Send ``probe`` (or a plain accept-probe for ``body``) to ``handler``, no sockets."""
    probe = probe or Probe(
        id="test/probe", area="response", title="test", request=RequestSpec(body=body)
    )
    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        return send(client, contract, probe, api_key=api_key, base_url="http://test/v1")


def sse_body(*payloads: Any, done: bool = True) -> bytes:
    """A well-framed event-stream body of JSON payloads, ending with [DONE]."""
    import json

    parts = [f"data: {json.dumps(p)}\n\n" for p in payloads]
    if done:
        parts.append("data: [DONE]\n\n")
    return "".join(parts).encode()
