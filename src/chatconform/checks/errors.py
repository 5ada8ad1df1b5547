"""Checks of error answers: every non-2xx speaks JSON in the OpenAI error shape.

A client decides what to fix from the error it reads; an HTML page, a bare string, an
error behind a 200 or a 5xx tells it nothing. These checks hold the baseline's "Error
bodies" section and its malformed-JSON and no-5xx lines. The status verdicts of the other
areas defer 5xx answers to ``no_server_error`` so one server error is one failure.

The helpers ``describe`` and ``server_message`` quote an answer the same way in every
failure message of the request, auth and header checks.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from chatconform.checks._completion import faults
from chatconform.contracts import validators_for
from chatconform.engine.exchange import Exchange, ReceivedResponse
from chatconform.engine.failures import CheckFailed, CheckSkipped
from chatconform.engine.probe import Probe
from chatconform.engine.registry import CheckContext, check

BODIES = "baseline: Error bodies"
REQUESTS = "baseline: Requests"


def status_text(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def server_message(response: ReceivedResponse, limit: int = 200) -> str:
    """The error message the server gave, for quoting in a failure."""
    body = response.json
    if isinstance(body, Mapping):
        error = body.get("error")
        if isinstance(error, Mapping) and isinstance(error.get("message"), str):
            text: str = error["message"]
        elif isinstance(error, str):
            text = error
        elif isinstance(body.get("message"), str):
            text = body["message"]
        else:
            text = json.dumps(body, ensure_ascii=False)
    else:
        text = response.body.decode("utf-8", "replace").strip() or "(empty body)"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe(response: ReceivedResponse) -> str:
    """``400 Bad Request: "temperature must be <= 2"``: the status and what it said."""
    return f"{status_text(response.status)}: {server_message(response)!r}"


def error_behind_success(exchange: Exchange) -> Any:
    """The error object a 2xx answer carries in its body or in a stream event, else None."""
    if exchange.transport_error is not None or not exchange.response.is_success:
        return None
    body = exchange.response.json
    if isinstance(body, Mapping) and body.get("error") is not None:
        return body
    for event in exchange.events:
        try:
            payload = event.json
        except ValueError:
            continue
        if isinstance(payload, Mapping) and payload.get("error") is not None:
            return payload
    return None


def defer_unjudgeable(exchange: Exchange) -> None:
    """Skip a status verdict the answer cannot support: no answer or a rate limit; or
    defer it to the check that reports the fault once: a 5xx (``no_server_error``), an
    error behind a 2xx (``no_error_with_200``)."""
    if exchange.transport_error is not None:
        raise CheckSkipped(f"no answer: {exchange.transport_error}")
    status = exchange.response.status
    if status == 429:
        raise CheckSkipped("rate limited (429 Too Many Requests): the verdict cannot be read")
    if status >= 500:
        raise CheckSkipped(f"{status_text(status)}: reported by no_server_error")
    if error_behind_success(exchange) is not None:
        raise CheckSkipped(
            f"{status_text(status)} carrying an error: reported by no_error_with_200"
        )


def is_malformed_json(probe: Probe) -> bool:
    """Whether the probe POSTs a raw body that is not JSON (the malformed-JSON probe); a
    request of another method (the empty body of a GET) carries no JSON to judge."""
    raw = probe.request.raw_body
    if raw is None or probe.request.method.upper() != "POST":
        return False
    try:
        json.loads(raw)
    except ValueError:
        return True
    return False


def _is_error_answer(ctx: CheckContext, exchange: Exchange) -> bool:
    return exchange.transport_error is None and not exchange.response.is_success


def _is_success(ctx: CheckContext, exchange: Exchange) -> bool:
    return exchange.transport_error is None and exchange.response.is_success


@check(
    area="errors",
    enforces=("error/json-body",),
    citation=BODIES,
    applies=_is_error_answer,
)
def error_content_type_json(ctx: CheckContext, exchange: Exchange) -> None:
    """Every non-2xx answer is labelled ``Content-Type: application/json``."""
    response = exchange.response
    if response.content_type != "application/json":
        raise CheckFailed(
            "Error answer is not labelled JSON",
            received=f"{status_text(response.status)} with Content-Type "
            f"{response.headers.get('content-type', '(none)')!r}",
            expected="Content-Type: application/json (baseline: every non-2xx response)",
            rule="error/json-body",
        )


@check(
    area="errors",
    enforces=("error/json-body",),
    citation=BODIES,
    applies=_is_error_answer,
)
def error_body_shape(ctx: CheckContext, exchange: Exchange) -> None:
    """Every non-2xx body is ``{"error": {"message", "type", "param", "code"}}``."""
    response = exchange.response
    expected = (
        '{"error": {"message": string, "type": string, "param": string|null, '
        '"code": string|integer|null}} (baseline: Error bodies)'
    )
    body = response.json
    if body is None and response.content_type != "application/json":
        # The body does not claim to be JSON: error_content_type_json reports that fault.
        raise CheckSkipped("the error is not labelled JSON: error_content_type_json reports it")
    if body is None:
        raise CheckFailed(
            f"{status_text(response.status)} body is not JSON",
            received=response.body.decode("utf-8", "replace") or "(empty body)",
            expected=expected,
            rule="error/json-body",
        )
    validator = validators_for(ctx.contract).error
    found = sorted(
        ((where, error) for error in validator.iter_errors(body) for _, _, where in faults(error)),
        key=lambda fault: fault[0],
    )
    if found:
        where, first = found[0]
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise CheckFailed(
            f"Error body breaks the error shape at {where}",
            received=f"{first.message}{more}; body {json.dumps(body, ensure_ascii=False)}",
            expected=expected,
            rule="error/json-body",
        )


@check(
    area="errors",
    enforces=("error/no-5xx",),
    citation=REQUESTS,
    applies=lambda ctx, exchange: True,
)
def no_server_error(ctx: CheckContext, exchange: Exchange) -> None:
    """No client input, valid or not, produces a 5xx."""
    if exchange.transport_error is not None:
        raise CheckSkipped(f"no answer: {exchange.transport_error}")
    response = exchange.response
    if response.status < 500:
        return
    probe = exchange.probe
    if probe.rule is not None and probe.expect == "reject":
        sent = f"a request breaking {probe.rule.id}"
    elif is_malformed_json(probe):
        sent = "a malformed JSON body"
    else:
        sent = f"probe {probe.id}"
    raise CheckFailed(
        f"Server error {response.status} for client input",
        received=f"{describe(response)} for {sent}",
        expected="a 4xx for a bad request or a 2xx for a valid one "
        "(baseline: no client input may produce a 5xx)",
        rule="error/no-5xx",
    )


@check(
    area="errors",
    enforces=("error/never-200",),
    citation=BODIES,
    applies=_is_success,
)
def no_error_with_200(ctx: CheckContext, exchange: Exchange) -> None:
    """A 2xx answer never carries an error object, in its body or in a stream event."""
    response = exchange.response
    found = error_behind_success(exchange)
    if found is not None:
        raise CheckFailed(
            f"Error reported with status {response.status}",
            received=f"{status_text(response.status)} with {json.dumps(found, ensure_ascii=False)}",
            expected="an error is reported with a 4xx or 5xx status, never 2xx (baseline)",
            rule="error/never-200",
        )


@check(
    area="errors",
    enforces=("error/malformed-json-400",),
    citation=REQUESTS,
    applies=lambda ctx, exchange: is_malformed_json(exchange.probe),
)
def malformed_json_rejected(ctx: CheckContext, exchange: Exchange) -> None:
    """A body that is not JSON is answered 400."""
    defer_unjudgeable(exchange)
    response = exchange.response
    if response.status == 400:
        return
    raw = exchange.probe.request.raw_body or b""
    raise CheckFailed(
        "Malformed JSON accepted" if response.is_success else "Malformed JSON not answered 400",
        received=f"{describe(response)} for body {raw.decode('utf-8', 'replace')!r}",
        expected="400 Bad Request (baseline: malformed JSON in the body: 400)",
        rule="error/malformed-json-400",
    )
