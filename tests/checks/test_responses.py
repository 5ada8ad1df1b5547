"""The response checks: each passes on a conforming completion and fails, naming one rule,
on a completion that breaks only its rule; one fault never gives two failures."""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx
import pytest
from tests.support import exchange_for

from chatconform.contracts import load_contract
from chatconform.contracts.model import Contract
from chatconform.engine.evaluate import evaluate
from chatconform.engine.exchange import Exchange
from chatconform.engine.failures import CheckFailed, CheckSkipped
from chatconform.engine.probe import Probe, RequestSpec
from chatconform.engine.registry import CheckContext, all_checks, get_check

OPENAI: Contract = load_contract("openai-compatible")
ANYFAST: Contract = load_contract("anyfast")
BODY = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 8}
GOOD: dict[str, Any] = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1_742_342_400,
    "model": "m",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "Hi."}, "finish_reason": "stop"},
        {"index": 1, "message": {"role": "assistant", "content": None}, "finish_reason": "length"},
    ],
    "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
}
RESPONSE_CHECKS = sorted(c.name for c in all_checks() if c.area == "response")


def changed(path: str, value: Any) -> dict[str, Any]:
    """GOOD with ``path`` (dotted, integer parts index lists) set to ``value``; a value of
    ``...`` deletes the key."""
    body = copy.deepcopy(GOOD)
    *parents, last = path.split(".")
    node: Any = body
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if value is ...:
        del node[last]
    else:
        node[last] = value
    return body


def answer(
    body: Any,
    contract: Contract = OPENAI,
    *,
    raw: bytes | None = None,
    content_type: str = "application/json",
    request: Any = BODY,
) -> Exchange:
    content = raw if raw is not None else json.dumps(body).encode()
    return exchange_for(
        contract,
        lambda r: httpx.Response(200, content=content, headers={"content-type": content_type}),
        request,
    )


def run(name: str, exchange: Exchange, contract: Contract = OPENAI) -> CheckContext:
    ctx = CheckContext(contract)
    chk = get_check(name)
    assert chk.applies(ctx, exchange), f"{name} does not apply"
    chk.fn(ctx, exchange)
    return ctx


@pytest.mark.parametrize("name", RESPONSE_CHECKS)
def test_every_response_check_passes_on_a_conforming_completion(name: str) -> None:
    run(name, answer(GOOD))
    run(name, answer(GOOD, ANYFAST), ANYFAST)


# (check, rule, path, value, words in the message)
FAULTS = [
    ("response_id", "response/id/required", "id", ..., "(absent)"),
    ("response_id", "response/id/type", "id", 42, "Received: 42"),
    ("response_object", "response/object/required", "object", ..., "chat.completion"),
    ("response_object", "response/object/const", "object", "chat.completion.chunk", "chunk"),
    ("response_created", "response/created/type", "created", 1_742_342_400.0, "a float"),
    ("response_created", "response/created/type", "created", "1742342400", "not an integer"),
    ("response_created", "response/created/maximum", "created", 1_742_342_400_000, "milliseconds"),
    ("response_created", "response/created/minimum", "created", 123, "plausible"),
    ("response_model", "response/model/type", "model", None, "null"),
    ("choices_present", "response/choices/required", "choices", ..., "non-empty array"),
    ("choices_present", "response/choices/minItems", "choices", [], "choices is empty"),
    ("choices_present", "response/choices/type", "choices", {}, "not an array"),
    ("choice_index", "response/choices-index", "choices.1.index", 123, "choices[1].index: 1"),
    ("choice_index", "response/choices[].index/required", "choices.0.index", ..., "absent"),
    (
        "message_role",
        "response/choices[].message.role/const",
        "choices.0.message.role",
        "system",
        '"system"',
    ),
    (
        "message_role",
        "response/choices[].message.role/required",
        "choices.1.message.role",
        ...,
        "choices[1].message.role is absent",
    ),
    (
        "message_content_type",
        "response/choices[].message.content/type",
        "choices.0.message.content",
        [{"type": "text", "text": "Hi."}],
        "string or null",
    ),
    (
        "finish_reason_valid",
        "response/choices[].finish_reason/enum",
        "choices.0.finish_reason",
        "<string>",
        "stop, length, tool_calls, content_filter",
    ),
    (
        "finish_reason_valid",
        "response/choices[].finish_reason/required",
        "choices.1.finish_reason",
        ...,
        "choices[1].finish_reason is absent",
    ),
    ("usage_present_and_sums", "response/usage/required", "usage", ..., "Response has no usage"),
    (
        "usage_present_and_sums",
        "response/usage-sum",
        "usage.total_tokens",
        7,
        "= 8, total_tokens 7",
    ),
    (
        "usage_present_and_sums",
        "response/usage.prompt_tokens/type",
        "usage.prompt_tokens",
        5.5,
        "not an integer",
    ),
    (
        "usage_present_and_sums",
        "response/usage.completion_tokens/minimum",
        "usage.completion_tokens",
        -1,
        "negative",
    ),
    (
        "response_schema",
        "response/choices[].message.tool_calls[].id/type",
        "choices.0.message.tool_calls",
        [{"id": 7, "type": "function", "function": {"name": "f", "arguments": "{}"}}],
        "$.choices[0].message.tool_calls[0].id",
    ),
]


def _id(fault: tuple[Any, ...]) -> str:
    return f"{fault[0]}-{fault[2]}={'absent' if fault[3] is ... else fault[3]!r}"


@pytest.mark.parametrize(("name", "rule", "path", "value", "words"), FAULTS, ids=map(_id, FAULTS))
def test_each_check_names_its_fault(
    name: str, rule: str, path: str, value: Any, words: str
) -> None:
    with pytest.raises(CheckFailed) as info:
        run(name, answer(changed(path, value)))
    assert info.value.rule == rule
    assert "Received:" in info.value.message and "Expected:" in info.value.message
    assert words in info.value.message, info.value.message


@pytest.mark.parametrize(("name", "rule", "path", "value", "words"), FAULTS, ids=map(_id, FAULTS))
def test_one_fault_is_one_failure(name: str, rule: str, path: str, value: Any, words: str) -> None:
    outcomes = evaluate(CheckContext(OPENAI), answer(changed(path, value)))
    failed = [
        (o.check, o.rule) for o in outcomes if o.check in RESPONSE_CHECKS and o.status == "failed"
    ]
    assert failed == [(name, rule)]


def test_content_type_fails_when_not_labelled_json() -> None:
    with pytest.raises(CheckFailed) as info:
        run("response_content_type", answer(GOOD, content_type="text/plain"))
    assert info.value.rule == "response/content-type-json"
    assert "'text/plain'" in info.value.message


def test_content_type_fails_when_the_body_is_not_json() -> None:
    with pytest.raises(CheckFailed, match="not JSON") as info:
        run("response_content_type", answer(None, raw=b"<html>oops</html>"))
    assert "<html>oops</html>" in info.value.message
    with pytest.raises(CheckSkipped, match="response_content_type"):
        run("response_id", answer(None, raw=b"<html>oops</html>"))


def test_an_error_body_with_200_is_left_to_the_error_check() -> None:
    error = {"error": {"message": "quota", "type": "x", "param": None, "code": None}}
    for name in ("response_schema", "response_id", "usage_present_and_sums"):
        with pytest.raises(CheckSkipped, match="no_error_with_200"):
            run(name, answer(error))


def test_content_may_be_absent_where_the_contract_does_not_require_it() -> None:
    run("message_content_type", answer(changed("choices.0.message.content", ...)))


def test_a_different_model_name_is_observed_not_failed() -> None:
    ctx = run("response_model", answer(changed("model", "m-2026-01-01")))
    assert (
        ctx.observations[0]["message"]
        == "answer names model 'm-2026-01-01', the request asked for 'm'"
    )


def test_undocumented_fields_are_observed_not_failed() -> None:
    body = changed("system_fingerprint", "fp_1")
    body["choices"][0]["message"]["reasoning_content"] = "thought"
    ctx = run("vendor_extras_typed", answer(body))
    assert ctx.observations[0]["message"] == (
        "undocumented response fields: system_fingerprint, choices[0].message.reasoning_content"
    )


def test_documented_vendor_fields_pass_when_typed_right() -> None:
    body = changed("usage.prompt_tokens_details", {"cached_tokens": 2})
    body["choices"][0]["message"]["reasoning_content"] = "thought"
    body["choices"][1]["message"]["reasoning_content"] = None
    ctx = run("vendor_extras_typed", answer(body, ANYFAST), ANYFAST)
    assert ctx.observations == []


@pytest.mark.parametrize(
    ("path", "value", "rule"),
    [
        (
            "choices.0.message.reasoning_content",
            ["thought"],
            "response/choices[].message.reasoning_content/type",
        ),
        (
            "usage.prompt_tokens_details",
            {"cached_tokens": "2"},
            "response/usage.prompt_tokens_details.cached_tokens/type",
        ),
        (
            "usage.prompt_tokens_details",
            {"cached_tokens": -1},
            "response/usage.prompt_tokens_details.cached_tokens/minimum",
        ),
    ],
)
def test_documented_vendor_fields_fail_when_typed_wrong(path: str, value: Any, rule: str) -> None:
    exchange = answer(changed(path, value), ANYFAST)
    with pytest.raises(CheckFailed) as info:
        run("vendor_extras_typed", exchange, ANYFAST)
    assert info.value.rule == rule
    failed = [
        o.check
        for o in evaluate(CheckContext(ANYFAST), exchange)
        if o.check in RESPONSE_CHECKS and o.status == "failed"
    ]
    assert failed == ["vendor_extras_typed"]


def test_the_reasoning_semantic_documents_reasoning_content() -> None:
    """TrinityDesk's page documents thinking, not the response field: the baseline defines
    the semantic through ``reasoning_content``, so its type is checked and it is no extra."""
    trinity = load_contract("trinitydesk")
    body = copy.deepcopy(GOOD)
    body["choices"][0]["message"]["reasoning_content"] = "thought"
    assert run("vendor_extras_typed", answer(body, trinity), trinity).observations == []
    body["choices"][0]["message"]["reasoning_content"] = ["thought"]
    with pytest.raises(CheckFailed) as info:
        run("vendor_extras_typed", answer(body, trinity), trinity)
    assert info.value.rule == "response/choices[].message.reasoning_content/type"


def test_response_checks_apply_only_to_2xx_non_streamed_accept_probes() -> None:
    ctx = CheckContext(OPENAI)
    streamed = answer(GOOD, request={**BODY, "stream": True})
    reject = exchange_for(
        OPENAI,
        lambda r: httpx.Response(200, json=GOOD),
        probe=Probe(
            id="n", area="negative", title="t", request=RequestSpec(body=BODY), expect="reject"
        ),
    )
    error = exchange_for(OPENAI, lambda r: httpx.Response(400, json={}), BODY)
    for name in RESPONSE_CHECKS:
        chk = get_check(name)
        assert chk.applies(ctx, answer(GOOD))
        assert not any(chk.applies(ctx, e) for e in (streamed, reject, error)), name
