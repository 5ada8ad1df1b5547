"""The vcrpy configuration: credentials never recorded, matching on what a probe sends."""

from __future__ import annotations

import json
from typing import Any

import pytest
from vcr.request import Request

from chatconform.engine.client import REDACTED
from chatconform.recording.config import (
    MATCH_ON,
    MATCHER_NAME,
    Volatile,
    before_record_response,
    make_matcher,
    vcr_config,
)
from chatconform.recording.redact import is_secret_field, is_secret_header, redact_body

URL = "http://127.0.0.1:1/v1/chat/completions"


def request(body: Any, headers: dict[str, str] | None = None, url: str = URL) -> Request:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Request("POST", url, raw, {"content-type": "application/json", **(headers or {})})


def test_config_never_sets_record_mode_and_decodes_compressed_bodies() -> None:
    config = vcr_config()
    assert "record_mode" not in config  # it would override --record-mode
    assert config["decode_compressed_response"] is True
    assert config["match_on"] == MATCH_ON and MATCHER_NAME in MATCH_ON
    assert "host" not in MATCH_ON and "port" not in MATCH_ON
    filtered = {name for name, _ in config["filter_headers"]}
    assert {"authorization", "api-key", "x-api-key", "proxy-authorization", "cookie"} <= filtered
    assert {"api_key", "key", "access_token"} <= {n for n, _ in config["filter_query_parameters"]}


@pytest.mark.parametrize(
    "name", ["api_key", "apiKey", "x-api-key", "access_token", "client_secret", "password"]
)
def test_credential_field_names_are_secret(name: str) -> None:
    assert is_secret_field(name)


@pytest.mark.parametrize(
    "name",
    ["max_tokens", "max_completion_tokens", "prompt_tokens", "top_logprobs", "token", "tokens"],
)
def test_token_count_fields_are_kept(name: str) -> None:
    assert not is_secret_field(name)


def test_secret_response_headers_but_not_rate_limit_headers() -> None:
    assert is_secret_header("set-cookie") and is_secret_header("x-auth-token")
    assert not is_secret_header("x-ratelimit-remaining-tokens")
    assert not is_secret_header("x-idempotency-key")


def test_response_redaction_covers_headers_body_and_content_length() -> None:
    body = json.dumps({"api_key": "sk-abcdefghijklmnopqrstu", "usage": {"prompt_tokens": 3}})
    response = {
        "status": {"code": 200, "message": "OK"},
        "headers": {"Set-Cookie": ["s=1"], "Content-Length": [str(len(body))]},
        "body": {"string": body.encode()},
    }
    out = before_record_response(response)
    assert out["headers"]["Set-Cookie"] == [REDACTED]
    assert json.loads(out["body"]["string"]) == {"api_key": REDACTED, "usage": {"prompt_tokens": 3}}
    assert out["headers"]["Content-Length"] == [str(len(out["body"]["string"]))]


def test_body_without_credentials_is_left_byte_for_byte() -> None:
    body = b'data: {"choices":[{"delta":{"content":"token"}}]} \r\n\r\ndata: [DONE]\n\n'
    assert redact_body(body) is body


def test_credentials_in_event_stream_and_free_text_are_redacted() -> None:
    body = b'data: {"session_token":"abc12345"}\n\ndata: {"x":"Bearer abcdefgh12345"}\n\n'
    out = redact_body(body)
    assert b"abc12345" not in out and b"abcdefgh12345" not in out
    assert out.count(REDACTED.encode()) == 2


def test_matcher_accepts_same_body_in_another_key_order_and_host() -> None:
    match = make_matcher()
    a = request({"model": "m", "messages": [], "temperature": 1})
    b = request({"temperature": 1, "messages": [], "model": "m"}, url="http://other:8/v1/x")
    match(a, b)


def test_matcher_rejects_a_changed_body_with_the_difference() -> None:
    match = make_matcher()
    with pytest.raises(AssertionError, match=r"body differs.*temperature"):
        match(request({"temperature": 1}), request({"temperature": 2}))


def test_matcher_compares_non_json_bodies_as_bytes() -> None:
    match = make_matcher()
    match(request(b"{not json"), request(b"{not json"))
    with pytest.raises(AssertionError, match="body differs"):
        match(request(b"{not json"), request(b"{not json!"))


def test_matcher_compares_probe_headers_but_not_user_agent() -> None:
    match = make_matcher()
    match(request({}, {"user-agent": "a"}), request({}, {"user-agent": "b"}))
    with pytest.raises(AssertionError, match="x-request-id"):
        match(request({}, {"x-request-id": "a" * 129}), request({}, {"x-request-id": "a"}))
    with pytest.raises(AssertionError, match="authorization"):
        match(request({}, {"authorization": REDACTED}), request({}))


def test_volatile_fields_and_headers_are_ignored_only_when_declared() -> None:
    one = request({"model": "m", "user": "run-1", "meta": {"trace": 1}}, {"x-request-id": "1"})
    two = request({"model": "m", "user": "run-2", "meta": {"trace": 2}}, {"x-request-id": "2"})
    with pytest.raises(AssertionError):
        make_matcher()(one, two)
    make_matcher(Volatile.of(["user", "meta.trace"], ["X-Request-Id"]))(one, two)
    with pytest.raises(AssertionError, match="x-request-id"):
        make_matcher(Volatile.of(["user", "meta.trace"], ["X-Request-Id"]))(
            one, request({"model": "m", "user": "run-3", "meta": {"trace": 3}})
        )
