"""Faults of authentication and error replies."""

from __future__ import annotations

import json
from typing import Any

from chatconform.contracts.model import Contract
from chatconform.server.catalogue._common import body
from chatconform.server.faults import ErrorReply, Fault, Trigger, register

_MALFORMED = Trigger(raw_body=b'{"model": "x", "messages": [')


def _malformed(contract: Contract) -> Trigger:
    return _MALFORMED


def _message_of(reply: ErrorReply) -> str:
    return str(json.loads(reply.body)["error"]["message"])


def _misshapen(reply: ErrorReply) -> ErrorReply:
    flat = json.dumps({"detail": _message_of(reply)}).encode()
    return ErrorReply(reply.status, reply.headers, flat)


def _fields_missing(reply: ErrorReply) -> ErrorReply:
    bare = json.dumps({"error": {"message": _message_of(reply)}}).encode()
    return ErrorReply(reply.status, reply.headers, bare)


def _text_plain(reply: ErrorReply) -> ErrorReply:
    return ErrorReply(
        reply.status, {"content-type": "text/plain; charset=utf-8"}, _message_of(reply).encode()
    )


def _with_200(reply: ErrorReply) -> ErrorReply:
    return ErrorReply(200, reply.headers, reply.body)


def _as_500(reply: ErrorReply) -> ErrorReply:
    if reply.status in (400, 404, 422):
        return ErrorReply(500, reply.headers, reply.body)
    return reply


def _lenient_json(contract: Contract, raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return body(contract)  # "best effort": answers a request it could not read


def _auth(missing: int | None, wrong: int | None) -> Any:
    return lambda problem: missing if problem == "missing" else wrong


def register_all() -> None:
    register(
        Fault(
            "auth_missing_key_accepted",
            "auth/missing-key-401",
            "auth",
            "a request without an API key is served",
            lambda c: Trigger(body(c), auth="none"),
            auth=_auth(None, 401),
        ),
        Fault(
            "auth_wrong_key_accepted",
            "auth/wrong-key-401",
            "auth",
            "a request with a wrong API key is served",
            lambda c: Trigger(body(c), auth="wrong"),
            auth=_auth(401, None),
        ),
        Fault(
            "auth_answers_403",
            "auth/*-401",
            "auth",
            "a missing or wrong API key is answered 403 instead of 401",
            lambda c: Trigger(body(c), auth="none"),
            auth=_auth(403, 403),
        ),
        Fault(
            "error_body_misshapen",
            "error/json-body",
            "errors",
            'error bodies are {"detail": ...} instead of {"error": {...}}',
            _malformed,
            error=_misshapen,
        ),
        Fault(
            "error_fields_missing",
            "error/json-body",
            "errors",
            "error objects carry only a message (no type, param, code)",
            _malformed,
            error=_fields_missing,
        ),
        Fault(
            "error_text_plain",
            "error/json-body",
            "errors",
            "errors are sent as text/plain",
            _malformed,
            error=_text_plain,
        ),
        Fault(
            "error_sent_with_200",
            "error/never-200",
            "errors",
            "errors are sent with status 200",
            _malformed,
            error=_with_200,
        ),
        Fault(
            "error_5xx_for_client_input",
            "error/no-5xx",
            "errors",
            "an invalid request is answered 500",
            _malformed,
            error=_as_500,
        ),
        Fault(
            "malformed_json_accepted",
            "error/malformed-json-400",
            "errors",
            "a body that is not JSON is answered as if it were a minimal request",
            _malformed,
            parse=_lenient_json,
        ),
    )
