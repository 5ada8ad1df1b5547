"""The reference server as a pure function: request in, response out, no sockets.

It answers the way the contract says a conformant endpoint answers, and nothing more:
auth, then JSON, then header rules, then the model list, then the compiled request
schema (cross-field and per-model rules included), then a deterministic answer. It reads
the compiled contract only, never the harness's checks, so a mistake in a check cannot
hide behind the same mistake here. A fault (``faults.py``) can replace one step.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from chatconform.contracts import validators_for
from chatconform.contracts.model import Contract
from chatconform.server import render
from chatconform.server.faults import ErrorReply, Fault, get_fault
from chatconform.server.generate import generate
from chatconform.server.validation import check_request, header_limits

JSON = "application/json"


@dataclass(frozen=True)
class ServerResponse:
    """One answer. ``chunks`` is what goes on the wire, in order (one SSE event each)."""

    status: int
    headers: dict[str, str]
    chunks: Iterable[bytes]

    def body(self) -> bytes:
        """The whole body (consumes ``chunks`` if it is an iterator)."""
        return b"".join(self.chunks)


class ReferenceServer:
    """A contract-faithful ``/chat/completions`` and ``/models`` endpoint.

    ``api_key``: when set, requests must carry ``Authorization: Bearer <api_key>``;
    ``fault``: the name of a catalogue fault to serve (``fault_names()``);
    ``clock``: the time source for ``created`` (tests pin it to compare answers).
    """

    def __init__(
        self,
        contract: Contract,
        *,
        api_key: str | None = None,
        fault: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.contract = contract
        self.api_key = api_key
        self._clock = clock
        self.fault: Fault | None = get_fault(fault) if fault else None
        if self.fault is not None and not self.fault.applies_to(contract):
            raise ValueError(
                f"fault {self.fault.name!r} does not apply to contract {contract.id!r}: "
                f"it breaks {self.fault.rule!r}, which that contract does not state"
            )
        self._validator = validators_for(contract).request
        self._limits = header_limits(contract)
        self._calls = itertools.count(1)

    # -- routing -------------------------------------------------------------------
    def handle(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> ServerResponse:
        """Answer one HTTP request (``path`` as sent, e.g. ``/v1/chat/completions``)."""
        lower = {k.lower(): v for k, v in headers.items()}
        route = path.split("?", 1)[0].rstrip("/")
        if route.endswith("/chat/completions") or route == "/chat/completions":
            if method.upper() != "POST":
                return self._not_allowed("POST")
            return self._chat(lower, body)
        if route.endswith("/models"):
            if method.upper() != "GET":
                return self._not_allowed("GET")
            return self._auth(lower) or self._models()
        return self._error(404, f"no route for {method} {path}", "not_found")

    def _not_allowed(self, allowed: str) -> ServerResponse:
        answer = self._error(405, f"method not allowed: use {allowed}", "method_not_allowed")
        # RFC 9110 15.5.6: a 405 names the methods the resource does support.
        answer.headers.setdefault("allow", allowed)
        return answer

    def _models(self) -> ServerResponse:
        created = int(self._clock())
        data = [
            {"id": m, "object": "model", "created": created, "owned_by": self.contract.id}
            for m in self.contract.models.ids
        ]
        return _json(200, {"object": "list", "data": data})

    # -- chat completions ---------------------------------------------------------
    def _chat(self, headers: dict[str, str], raw: bytes) -> ServerResponse:
        fault = self.fault
        denied = self._auth(headers)
        if denied is not None:
            return denied
        try:
            body = fault.parse(self.contract, raw) if fault and fault.parse else json.loads(raw)
        except ValueError as error:
            return self._error(400, f"the body is not valid JSON: {error}", "invalid_json")
        if not isinstance(body, dict):
            return self._error(400, "the body must be a JSON object", "invalid_json")
        if fault and fault.lenient:
            fault.lenient(self.contract, body, headers)
        problem = check_request(self.contract, self._validator, body, headers, self._limits)
        if problem is None and fault and fault.reject:
            message = fault.reject(self.contract, body)
            if message:
                problem = (400, message, None, "invalid_value")
        if problem is not None:
            status, message, param, code = problem
            return self._error(status, message, code, param=param)
        return self._answer(body, headers)

    def _answer(self, body: dict[str, Any], headers: Mapping[str, str]) -> ServerResponse:
        fault = self.fault
        call = next(self._calls)
        effective = json.loads(json.dumps(body))  # faults may rewrite it freely
        if fault and fault.request:
            fault.request(effective)
        completion = generate(
            self.contract, effective, seed_offset=call if fault and fault.vary_seed else 0
        )
        if fault and fault.completion:
            fault.completion(completion)
        digest = hashlib.sha256(render.encode(body)).hexdigest()[:16]
        env = render.Envelope(
            id=f"chatcmpl-{digest}{call:08x}",
            created=int(self._clock()),
            model=str(body.get("model", self.contract.models.default)),
        )
        out_headers = {"x-request-id": headers.get("x-request-id") or f"req-{digest}{call:08x}"}
        streamed = body.get("stream") is True
        if streamed:
            payloads = render.stream_payloads(
                self.contract,
                env,
                completion,
                include_usage=_option(effective, "include_usage"),
                chunk_usage=_option(effective, "chunk_include_usage")
                and self.contract.has_semantic("chunk_include_usage"),
            )
            if fault and fault.chunks:
                payloads = fault.chunks(payloads)
            frames = render.frame(payloads)
            if fault and fault.frames:
                frames = fault.frames(frames)
            out_headers |= {
                "content-type": "text/event-stream; charset=utf-8",
                "cache-control": "no-cache",
            }
            if fault and fault.headers:
                fault.headers(out_headers, True)
            return ServerResponse(200, out_headers, frames)
        document = render.completion_body(self.contract, env, completion)
        if fault and fault.response:
            fault.response(document)
        out_headers["content-type"] = JSON
        if fault and fault.headers:
            fault.headers(out_headers, False)
        return ServerResponse(200, out_headers, [render.encode(document)])

    # -- auth and errors ----------------------------------------------------------
    def _auth(self, headers: Mapping[str, str]) -> ServerResponse | None:
        if self.api_key is None:
            return None
        value = headers.get("authorization", "")
        scheme, _, token = value.partition(" ")
        if scheme.lower() == "bearer" and token.strip() == self.api_key:
            return None
        problem = "missing" if not value else "wrong"
        status: int | None = 401
        if self.fault and self.fault.auth:
            status = self.fault.auth(problem)
        if status is None:
            return None
        message = (
            "no API key: send Authorization: Bearer <key>"
            if problem == "missing"
            else "the API key is not valid"
        )
        return self._error(status, message, "invalid_api_key", kind="authentication_error")

    def _error(
        self,
        status: int,
        message: str,
        code: str | None,
        *,
        param: str | None = None,
        kind: str = "invalid_request_error",
    ) -> ServerResponse:
        error = {"message": message, "type": kind, "param": param, "code": code}
        reply = ErrorReply(status, {"content-type": JSON}, render.encode({"error": error}))
        if self.fault and self.fault.error:
            reply = self.fault.error(reply)
        return ServerResponse(reply.status, dict(reply.headers), [reply.body])


def _option(body: Mapping[str, Any], name: str) -> bool:
    options = body.get("stream_options")
    return isinstance(options, Mapping) and options.get(name) is True


def _json(status: int, document: Any) -> ServerResponse:
    return ServerResponse(status, {"content-type": JSON}, [render.encode(document)])
