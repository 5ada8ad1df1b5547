"""Send a probe over httpx and capture the exchange (timing taken live only)."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping

import httpx

from chatconform.contracts.model import Contract
from chatconform.engine.exchange import (
    Exchange,
    FramingError,
    ReceivedResponse,
    SentRequest,
    SSEEvent,
)
from chatconform.engine.probe import Probe
from chatconform.engine.secrets import REDACTED, is_secret_header
from chatconform.engine.sse import parse_sse

__all__ = ["REDACTED", "WRONG_KEY", "build_request", "encode_body", "redact_headers", "send"]

WRONG_KEY = "chatconform-deliberately-wrong-key"


def encode_body(body: object) -> bytes:
    """The canonical JSON encoding of a request body (stable for cassette matching)."""
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def build_request(
    client: httpx.Client, contract: Contract, probe: Probe, api_key: str | None, base_url: str
) -> httpx.Request:
    spec = probe.request
    headers: dict[str, str] = {"content-type": "application/json", "accept": "*/*"}
    if spec.auth == "default" and api_key:
        headers["authorization"] = f"Bearer {api_key}"
    elif spec.auth == "wrong":
        headers["authorization"] = f"Bearer {WRONG_KEY}"
    headers.update({k.lower(): v for k, v in spec.headers.items()})
    content = spec.raw_body if spec.raw_body is not None else encode_body(spec.body)
    url = base_url.rstrip("/") + (spec.path or contract.path)
    return client.build_request(spec.method, url, headers=headers, content=content)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): (REDACTED if is_secret_header(k) else v) for k, v in headers.items()}


def send(
    client: httpx.Client,
    contract: Contract,
    probe: Probe,
    *,
    api_key: str | None,
    base_url: str | None = None,
) -> Exchange:
    """Send ``probe`` and return what came back; transport errors are captured."""
    request = build_request(client, contract, probe, api_key, base_url or contract.base_url)
    sent = SentRequest(
        method=request.method,
        url=str(request.url),
        headers=redact_headers(request.headers),
        body=request.content,
    )
    start = time.perf_counter()
    first: float | None = None
    try:
        with client.stream(
            request.method, request.url, headers=request.headers, content=request.content
        ) as response:
            chunks: list[bytes] = []
            for chunk in response.iter_bytes():
                if first is None:
                    first = time.perf_counter() - start
                chunks.append(chunk)
            body = b"".join(chunks)
            status, resp_headers = response.status_code, response.headers
    except httpx.HTTPError as error:
        empty = ReceivedResponse(status=0, headers={}, body=b"")
        return Exchange(probe, sent, empty, transport_error=f"{type(error).__name__}: {error}")
    received = ReceivedResponse(
        status=status,
        headers={k.lower(): v for k, v in resp_headers.items()},
        body=body,
        elapsed_s=time.perf_counter() - start,
        first_byte_s=first,
    )
    events: tuple[SSEEvent, ...] = ()
    framing: tuple[FramingError, ...] = ()
    if received.content_type == "text/event-stream" or (
        probe.request.stream and received.is_success
    ):
        events, framing = parse_sse(body)
    return Exchange(probe, sent, received, events=events, framing_errors=framing)
