"""The error checks: each passes on a conforming error answer and fails, naming its rule,
on one that breaks only that rule."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from tests.support import Handler, exchange_for, sse_body

from chatconform.contracts import load_contract
from chatconform.contracts.model import Contract
from chatconform.engine.evaluate import evaluate
from chatconform.engine.exchange import Exchange
from chatconform.engine.failures import CheckFailed, CheckSkipped
from chatconform.engine.probe import Probe, RequestSpec
from chatconform.engine.registry import CheckContext, get_check

CONTRACT: Contract = load_contract("openai-compatible")
ERROR = {
    "error": {
        "message": "temperature must be <= 2",
        "type": "invalid_request_error",
        "param": "temperature",
        "code": None,
    }
}
BODY = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
MALFORMED = Probe(
    id="errors/malformed-json",
    area="errors",
    title="malformed JSON body",
    request=RequestSpec(raw_body=b'{"model": '),
    expect="reject",
)


def respond(
    status: int,
    body: Any = None,
    *,
    content: bytes | None = None,
    content_type: str = "application/json",
) -> Handler:
    raw = content if content is not None else json.dumps(body).encode()
    return lambda request: httpx.Response(
        status, content=raw, headers={"content-type": content_type}
    )


def run(name: str, exchange: Exchange) -> CheckContext:
    """Apply check ``name`` to ``exchange`` (it must apply); return the context it used."""
    ctx = CheckContext(CONTRACT)
    chk = get_check(name)
    assert chk.applies(ctx, exchange), f"{name} does not apply to {exchange.probe.id}"
    chk.fn(ctx, exchange)
    return ctx


def fails(name: str, exchange: Exchange, rule: str, *words: str) -> CheckFailed:
    with pytest.raises(CheckFailed) as info:
        run(name, exchange)
    failure = info.value
    assert failure.rule == rule
    assert "Received:" in failure.message and "Expected:" in failure.message
    for word in words:
        assert word in failure.message
    return failure


def test_error_content_type_json_passes_on_json_error() -> None:
    run("error_content_type_json", exchange_for(CONTRACT, respond(400, ERROR), BODY))


def test_error_content_type_json_fails_on_html_error() -> None:
    exchange = exchange_for(
        CONTRACT, respond(400, content=b"<html>bad</html>", content_type="text/html"), BODY
    )
    fails("error_content_type_json", exchange, "error/json-body", "text/html", "400 Bad Request")


def test_error_content_type_json_does_not_apply_to_2xx() -> None:
    exchange = exchange_for(CONTRACT, respond(200, {}, content_type="text/plain"), BODY)
    assert not get_check("error_content_type_json").applies(CheckContext(CONTRACT), exchange)


def test_error_body_shape_passes_on_openai_error() -> None:
    run("error_body_shape", exchange_for(CONTRACT, respond(400, ERROR), BODY))


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"error": "bad temperature"}, "$.error"),
        ({"message": "bad temperature"}, "$.error"),
        ({"error": {"message": "x", "type": "t", "param": None}}, "$.error.code"),
        ({"error": {"message": "x", "type": "t", "param": 3, "code": None}}, "$.error.param"),
        ({"error": {"message": "x", "type": "t", "param": None, "code": 1.5}}, "$.error.code"),
    ],
)
def test_error_body_shape_fails_on_other_shapes(body: Any, where: str) -> None:
    fails(
        "error_body_shape",
        exchange_for(CONTRACT, respond(400, body), BODY),
        "error/json-body",
        where,
    )


def test_error_body_shape_fails_on_non_json_body() -> None:
    exchange = exchange_for(CONTRACT, respond(400, content=b"Bad Request"), BODY)
    fails("error_body_shape", exchange, "error/json-body", "not JSON", "Bad Request")


def test_an_html_error_is_one_failure() -> None:
    html = respond(400, content=b"<html>bad</html>", content_type="text/html")
    exchange = exchange_for(CONTRACT, html, probe=MALFORMED)
    failed = [o for o in evaluate(CheckContext(CONTRACT), exchange) if o.status == "failed"]
    assert [(o.check, o.rule) for o in failed] == [("error_content_type_json", "error/json-body")]


def test_no_server_error_passes_on_4xx_and_2xx() -> None:
    run("no_server_error", exchange_for(CONTRACT, respond(400, ERROR), BODY))
    run("no_server_error", exchange_for(CONTRACT, respond(200, {}), BODY))


def test_no_server_error_fails_on_500_and_quotes_the_server() -> None:
    body = {
        "error": {
            "message": "upstream exploded",
            "type": "server_error",
            "param": None,
            "code": None,
        }
    }
    fails(
        "no_server_error",
        exchange_for(CONTRACT, respond(500, body), BODY),
        "error/no-5xx",
        "500 Internal Server Error",
        "upstream exploded",
    )


def test_no_server_error_skips_when_no_answer_came() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(CheckSkipped, match="no answer"):
        run("no_server_error", exchange_for(CONTRACT, refuse, BODY))


def test_no_error_with_200_passes_on_a_completion() -> None:
    run("no_error_with_200", exchange_for(CONTRACT, respond(200, {"id": "x", "choices": []}), BODY))


def test_no_error_with_200_fails_on_error_body_with_200() -> None:
    fails(
        "no_error_with_200",
        exchange_for(CONTRACT, respond(200, ERROR), BODY),
        "error/never-200",
        "200 OK",
        "temperature must be <= 2",
    )


def test_no_error_with_200_fails_on_error_event_in_a_stream() -> None:
    stream = sse_body({"object": "chat.completion.chunk", "choices": []}, ERROR)
    exchange = exchange_for(
        CONTRACT,
        respond(200, content=stream, content_type="text/event-stream"),
        {**BODY, "stream": True},
    )
    fails("no_error_with_200", exchange, "error/never-200", "temperature must be <= 2")


def test_malformed_json_rejected_passes_on_400() -> None:
    run("malformed_json_rejected", exchange_for(CONTRACT, respond(400, ERROR), probe=MALFORMED))


@pytest.mark.parametrize(("status", "title"), [(200, "accepted"), (422, "not answered 400")])
def test_malformed_json_rejected_fails_on_other_statuses(status: int, title: str) -> None:
    body = {"id": "chatcmpl-1"} if status == 200 else ERROR
    exchange = exchange_for(CONTRACT, respond(status, body), probe=MALFORMED)
    failure = fails("malformed_json_rejected", exchange, "error/malformed-json-400", '{"model": ')
    assert title in failure.title


def test_malformed_json_rejected_defers_5xx_to_no_server_error() -> None:
    with pytest.raises(CheckSkipped, match="no_server_error"):
        run("malformed_json_rejected", exchange_for(CONTRACT, respond(502, ERROR), probe=MALFORMED))


def test_a_valid_json_raw_body_is_not_the_malformed_probe() -> None:
    probe = Probe(id="p", area="errors", title="t", request=RequestSpec(raw_body=b"{}"))
    exchange = exchange_for(CONTRACT, respond(200, {}), probe=probe)
    assert not get_check("malformed_json_rejected").applies(CheckContext(CONTRACT), exchange)


def test_one_server_error_is_one_failure() -> None:
    """A 500 on a malformed body fails no_server_error only: the status verdicts defer."""
    exchange = exchange_for(CONTRACT, respond(500, ERROR), probe=MALFORMED)
    failed = [o for o in evaluate(CheckContext(CONTRACT), exchange) if o.status == "failed"]
    assert [(o.check, o.rule) for o in failed] == [("no_server_error", "error/no-5xx")]


def test_an_error_behind_a_200_is_one_failure() -> None:
    """A server that reports a rejection with 200 fails no_error_with_200 only: the verdict
    on the request defers, as it does for a 5xx."""
    rule = CONTRACT.rule("request/temperature/maximum")
    probe = Probe(
        id="negative/t",
        area="negative",
        title="temperature 2.0001",
        expect="reject",
        request=RequestSpec(body={**BODY, "temperature": 2.0001}),
        rule=rule,
    )
    exchange = exchange_for(CONTRACT, respond(200, ERROR), probe=probe)
    failed = [o for o in evaluate(CheckContext(CONTRACT), exchange) if o.status == "failed"]
    assert [(o.check, o.rule) for o in failed] == [("no_error_with_200", "error/never-200")]
    with pytest.raises(CheckSkipped, match="no_error_with_200"):
        run("invalid_request_rejected", exchange)


def test_error_body_shape_counts_each_missing_field_once() -> None:
    body = {"error": {"message": "bad", "type": "invalid_request_error"}}
    failure = fails(
        "error_body_shape",
        exchange_for(CONTRACT, respond(400, body), BODY),
        "error/json-body",
        "at $.error.code",
    )
    assert "Received: 'code' is a required property (and 1 more)" in failure.message
