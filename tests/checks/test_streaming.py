"""Streaming checks: each passes a conforming stream and fails one that breaks its rule."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from tests.support import exchange_for, sse_body

from chatconform.checks._stream import extra_keys
from chatconform.contracts import Contract, load_contract
from chatconform.engine.exchange import Exchange
from chatconform.engine.failures import CheckFailed, CheckSkipped
from chatconform.engine.registry import CheckContext, all_checks, get_check

STREAM_CHECKS = (
    "stream_content_type",
    "stream_framing",
    "stream_done_last",
    "stream_chunk_object",
    "stream_chunk_schema",
    "stream_same_id_created_model",
    "stream_role_first",
    "stream_one_finish_per_choice",
    "stream_concat_content",
    "stream_no_usage_without_option",
)
USAGE = {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}
WITH_USAGE = {"stream_options": {"include_usage": True}}
WITH_CHUNK_USAGE = {"stream_options": {"include_usage": True, "chunk_include_usage": True}}
_ABSENT: Any = object()


@pytest.fixture(scope="module")
def contract() -> Contract:
    """The baseline alone: the rules every streamed answer keeps."""
    return load_contract("openai-compatible")


@pytest.fixture(scope="module")
def byteplus() -> Contract:
    """A vendor that documents ``stream_options.chunk_include_usage``."""
    return load_contract("powertokens-byteplus")


def chunk(*choices: dict[str, Any], usage: Any = _ABSENT, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": "m",
        "choices": list(choices),
    }
    if usage is not _ABSENT:
        base["usage"] = usage
    return base | fields


def delta(index: int = 0, finish: str | None = None, **fields: Any) -> dict[str, Any]:
    return {"index": index, "delta": fields, "finish_reason": finish}


def good_chunks() -> list[dict[str, Any]]:
    return [
        chunk(delta(role="assistant", content="")),
        chunk(delta(content="Hel")),
        chunk(delta(content="lo")),
        chunk(delta(finish="stop")),
    ]


def stream(
    contract: Contract,
    body: bytes,
    request: dict[str, Any] | None = None,
    content_type: str = "text/event-stream",
) -> Exchange:
    def handler(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": content_type}, content=body)

    return exchange_for(contract, handler, {"model": "m", "stream": True} | (request or {}))


def run(contract: Contract, name: str, exchange: Exchange) -> CheckContext:
    """Run one check, asserting that it applies; return the context for observations."""
    ctx = CheckContext(contract=contract)
    chk = get_check(name)
    assert chk.applies(ctx, exchange), f"{name} does not apply"
    chk.fn(ctx, exchange)
    return ctx


def fails(contract: Contract, name: str, exchange: Exchange, rule: str, *words: str) -> str:
    with pytest.raises(CheckFailed) as caught:
        run(contract, name, exchange)
    failure = caught.value
    assert failure.rule == rule
    assert "Received: " in failure.message
    assert "Expected: " in failure.message
    for word in words:
        assert word in failure.message, failure.message
    return failure.message


def test_every_streaming_check_is_registered() -> None:
    names = {c.name for c in all_checks() if c.area == "streaming"}
    assert names == {
        *STREAM_CHECKS,
        "stream_include_usage",
        "stream_chunk_include_usage",
    }


@pytest.mark.parametrize("name", STREAM_CHECKS)
def test_a_conforming_stream_passes(contract: Contract, name: str) -> None:
    run(contract, name, stream(contract, sse_body(*good_chunks())))


@pytest.mark.parametrize("name", ["stream_include_usage", *STREAM_CHECKS[:-1]])
def test_a_conforming_stream_with_usage_passes(contract: Contract, name: str) -> None:
    body = sse_body(*good_chunks(), chunk(usage=USAGE))
    run(contract, name, stream(contract, body, WITH_USAGE))


def test_a_non_stream_request_is_not_judged(contract: Contract) -> None:
    answer = {"choices": [], "object": "chat.completion"}
    exchange = exchange_for(contract, lambda _: httpx.Response(200, json=answer), {"model": "m"})
    ctx = CheckContext(contract=contract)
    assert not any(get_check(n).applies(ctx, exchange) for n in STREAM_CHECKS)


# -- content type and framing --------------------------------------------------------------
def test_json_body_to_a_stream_request_fails_content_type_only(contract: Contract) -> None:
    body = json.dumps(chunk(delta(role="assistant", content="hi", finish="stop"))).encode()
    exchange = stream(contract, body, content_type="application/json")
    fails(
        contract,
        "stream_content_type",
        exchange,
        "stream/content-type",
        "Content-Type: application/json",
        "JSON body",
    )
    ctx = CheckContext(contract=contract)
    assert [n for n in STREAM_CHECKS if get_check(n).applies(ctx, exchange)] == [
        "stream_content_type"
    ]


def test_missing_blank_line_between_events_fails_framing(contract: Contract) -> None:
    first, second, *rest = good_chunks()
    body = f"data: {json.dumps(first)}\ndata: {json.dumps(second)}\n\n".encode() + sse_body(*rest)
    fails(
        contract,
        "stream_framing",
        stream(contract, body),
        "stream/framing",
        "byte 0",
        "a blank line is missing",
    )


def test_unknown_line_fails_framing(contract: Contract) -> None:
    body = b"{}\n\n" + sse_body(*good_chunks())
    fails(
        contract, "stream_framing", stream(contract, body), "stream/framing", "neither an SSE field"
    )


def test_framing_observes_comments_event_names_and_timing(contract: Contract) -> None:
    body = b": keep-alive\n\nevent: delta\n" + sse_body(*good_chunks())
    ctx = run(contract, "stream_framing", stream(contract, body))
    messages = " | ".join(o["message"] for o in ctx.observations)
    assert "1 comment line(s)" in messages
    assert "`event:` names ['delta']" in messages
    assert "first byte after" in messages  # live only: an observation, never a verdict


# -- [DONE] --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "words"),
    [
        pytest.param(sse_body(*good_chunks(), done=False), "none `data: [DONE]`", id="missing"),
        pytest.param(sse_body(*good_chunks()) + b"data: [DONE]\n\n", "2 [DONE]", id="twice"),
        pytest.param(
            sse_body(*good_chunks()) + sse_body(chunk(usage=USAGE), done=False),
            "followed by 1 event(s)",
            id="event-after",
        ),
    ],
)
def test_done_must_be_single_and_last(contract: Contract, body: bytes, words: str) -> None:
    fails(contract, "stream_done_last", stream(contract, body), "stream/done-last", words)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(sse_body(*good_chunks(), done=False) + b"data: [DONE]\n", id="no-blank"),
        pytest.param(sse_body(*good_chunks())[:-1].replace(b"\n\n", b"\n"), id="one-event"),
    ],
)
def test_done_hidden_by_a_framing_fault_is_left_to_framing(contract: Contract, body: bytes) -> None:
    exchange = stream(contract, body)
    with pytest.raises(CheckSkipped, match="stream_framing reports it"):
        run(contract, "stream_done_last", exchange)
    fails(contract, "stream_framing", exchange, "stream/framing")


def test_chunks_after_done_are_left_to_done_last(contract: Contract) -> None:
    chunks = good_chunks()
    exchange = stream(contract, sse_body(*chunks) + sse_body(chunks[-1], done=False))
    fails(contract, "stream_done_last", exchange, "stream/done-last", "followed by 1 event(s)")
    run(contract, "stream_one_finish_per_choice", exchange)


def test_comment_after_done_is_only_observed(contract: Contract) -> None:
    ctx = run(contract, "stream_done_last", stream(contract, sse_body(*good_chunks()) + b": bye\n"))
    assert any("after [DONE]" in o["message"] for o in ctx.observations)


# -- chunks --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("bad", "words"),
    [
        pytest.param({"object": "chat.completion"}, "object = 'chat.completion'", id="object"),
        pytest.param({"object": None}, "object = None", id="object-null"),
    ],
)
def test_chunk_object_fails_a_bad_object(
    contract: Contract, bad: dict[str, Any], words: str
) -> None:
    chunks = good_chunks()
    chunks[1] |= bad
    exchange = stream(contract, sse_body(*chunks))
    fails(contract, "stream_chunk_object", exchange, "stream/chunk-object", "event 1 (byte ", words)
    run(contract, "stream_chunk_schema", exchange)  # one fault, one rule


def test_chunk_object_fails_a_non_object(contract: Contract) -> None:
    body = sse_body(*good_chunks()[:1], [1, 2], *good_chunks()[1:])
    fails(
        contract,
        "stream_chunk_object",
        stream(contract, body),
        "stream/chunk-object",
        "event 1 (byte ",
        "a JSON list, not an object",
    )


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        pytest.param({"created": "now"}, "$.created: 'now' is not of type 'integer'", id="created"),
        pytest.param({"choices": [{"delta": {}}]}, "'index' is a required property", id="index"),
        pytest.param({"choices": [delta(role="user")]}, "$.choices[0].delta.role", id="role"),
        pytest.param(
            {"choices": [{"index": 0, "delta": "hi"}]}, "$.choices[0].delta: 'hi'", id="delta"
        ),
    ],
)
def test_chunk_schema_fails_a_bad_chunk(
    contract: Contract, bad: dict[str, Any], words: str
) -> None:
    chunks = good_chunks()
    chunks[1] |= bad
    message = fails(
        contract,
        "stream_chunk_schema",
        stream(contract, sse_body(*chunks)),
        "stream/chunk-schema",
        "event 1 (byte ",
        words,
    )
    assert "event 2" not in message


def test_faults_a_named_check_reports_are_left_out_of_the_schema_check(
    contract: Contract,
) -> None:
    chunks = good_chunks()
    chunks[0]["choices"][0]["delta"]["role"] = "user"  # stream_role_first
    chunks[1]["choices"][0]["delta"]["content"] = 7  # stream_concat_content
    chunks[2]["choices"][0]["finish_reason"] = "eos"  # stream_one_finish_per_choice
    chunks[3]["usage"] = {"total_tokens": 1}  # stream_no_usage_without_option
    run(contract, "stream_chunk_schema", stream(contract, sse_body(*chunks)))


def test_usage_shape_under_chunk_include_usage_is_a_schema_fault(byteplus: Contract) -> None:
    chunks = _counted(0, 1, 2, 2)
    chunks[1]["usage"].pop("prompt_tokens")
    fails(
        byteplus,
        "stream_chunk_schema",
        stream(byteplus, sse_body(*chunks), WITH_CHUNK_USAGE),
        "stream/chunk-schema",
        "event 1 (byte ",
        "$.usage",
    )


def test_extra_chunk_fields_are_only_observed(contract: Contract) -> None:
    chunks = good_chunks()
    chunks[1]["choices"][0]["delta"]["reasoning_content"] = "hm"
    chunks[2]["system_fingerprint"] = "fp"
    ctx = run(contract, "stream_chunk_schema", stream(contract, sse_body(*chunks)))
    (observation,) = ctx.observations
    assert "choices[].delta.reasoning_content" in observation["message"]
    assert "system_fingerprint" in observation["message"]


def test_extra_keys_follows_local_refs() -> None:
    schema = {
        "properties": {"a": {"$ref": "#/$defs/a"}, "l": {"items": {"$ref": "#/$defs/a"}}},
        "$defs": {"a": {"properties": {"b": {}}}},
    }
    value = {"a": {"b": 1, "c": 2}, "l": [{"b": 1, "d": 3}], "e": 4}
    assert extra_keys(schema, value) == {"a.c", "l[].d", "e"}
    assert extra_keys({"$ref": "#"}, {"x": 1}) == set()  # a cycle ends, naming nothing


@pytest.mark.parametrize("key", ["id", "created", "model"])
def test_chunks_must_agree_on_id_created_model(contract: Contract, key: str) -> None:
    chunks = good_chunks()
    chunks[2][key] = {"id": "chatcmpl-2", "created": 1_700_000_001, "model": "m2"}[key]
    fails(
        contract,
        "stream_same_id_created_model",
        stream(contract, sse_body(*chunks)),
        "stream/same-id-created-model",
        "event 2 (byte ",
        f"{key} = ",
    )


def test_first_delta_must_carry_the_role(contract: Contract) -> None:
    chunks = good_chunks()
    chunks[0] = chunk(delta(content=""))
    fails(
        contract,
        "stream_role_first",
        stream(contract, sse_body(*chunks)),
        "stream/role-first",
        "choice 0, first delta at event 0",
    )


def test_role_is_judged_per_choice(contract: Contract) -> None:
    chunks = [*good_chunks()[:3], chunk(delta(1, content="x")), chunk(delta(finish="stop"))]
    fails(
        contract,
        "stream_role_first",
        stream(contract, sse_body(*chunks)),
        "stream/role-first",
        "choice 1",
    )


@pytest.mark.parametrize(
    ("last", "words"),
    [
        pytest.param([chunk(delta(content="!"))], "no chunk carries a finish_reason", id="none"),
        pytest.param(
            [chunk(delta(finish="stop")), chunk(delta(finish="stop"))], "2 finish_reasons", id="two"
        ),
        pytest.param(
            [chunk(delta(finish="stop")), chunk(delta(content="!"))], "continues until", id="early"
        ),
        pytest.param([chunk(delta(finish="eos"))], "finish_reason 'eos'", id="value"),
    ],
)
def test_each_choice_ends_with_one_finish_reason(
    contract: Contract, last: list[dict[str, Any]], words: str
) -> None:
    body = sse_body(*good_chunks()[:3], *last)
    fails(
        contract,
        "stream_one_finish_per_choice",
        stream(contract, body),
        "stream/one-finish-per-choice",
        words,
    )


def test_content_pieces_must_be_strings(contract: Contract) -> None:
    chunks = good_chunks()
    chunks[2] = chunk(delta(content=[{"type": "text", "text": "lo"}]))
    fails(
        contract,
        "stream_concat_content",
        stream(contract, sse_body(*chunks)),
        "stream/concat-content",
        "event 2 (byte ",
        "delta.content = [",
    )


def test_a_stream_without_content_is_observed(contract: Contract) -> None:
    body = sse_body(chunk(delta(role="assistant")), chunk(delta(finish="stop")))
    ctx = run(contract, "stream_concat_content", stream(contract, body))
    assert any("streamed no content" in o["message"] for o in ctx.observations)


# -- usage ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("tail", "words"),
    [
        pytest.param([], "none with a non-null usage", id="missing"),
        pytest.param([chunk(delta(), usage=USAGE)], "choices = [", id="choices-not-empty"),
        pytest.param(
            [chunk(usage=USAGE | {"total_tokens": 8})],
            "total_tokens 8 != prompt_tokens 5",
            id="sum",
        ),
        pytest.param([chunk(usage=USAGE | {"prompt_tokens": -1})], "prompt_tokens = -1", id="neg"),
        pytest.param([chunk(usage=USAGE), chunk(usage=USAGE)], "2 chunks carry usage", id="two"),
    ],
)
def test_include_usage_needs_one_usage_chunk_last(
    contract: Contract, tail: list[dict[str, Any]], words: str
) -> None:
    body = sse_body(*good_chunks(), *tail)
    fails(
        contract,
        "stream_include_usage",
        stream(contract, body, WITH_USAGE),
        "stream/include-usage",
        words,
    )


def test_usage_chunk_must_come_right_before_done(contract: Contract) -> None:
    chunks = good_chunks()
    body = sse_body(*chunks[:3], chunk(usage=USAGE), chunks[3])
    fails(
        contract,
        "stream_include_usage",
        stream(contract, body, WITH_USAGE),
        "stream/include-usage",
        "is followed by event 4",
    )


def test_usage_without_the_option_fails(contract: Contract) -> None:
    chunks = good_chunks()
    chunks[3]["usage"] = USAGE
    fails(
        contract,
        "stream_no_usage_without_option",
        stream(contract, sse_body(*chunks)),
        "stream/no-usage-without-option",
        "event 3 (byte ",
    )
    ctx = CheckContext(contract=contract)
    with_option = stream(contract, sse_body(*chunks), WITH_USAGE)
    assert not get_check("stream_no_usage_without_option").applies(ctx, with_option)


def _counted(*tokens: int) -> list[dict[str, Any]]:
    chunks = good_chunks()
    for c, n in zip(chunks, tokens, strict=False):
        c["usage"] = {"prompt_tokens": 5, "completion_tokens": n, "total_tokens": 5 + n}
    return [*chunks, chunk(usage=USAGE)]


def test_chunk_include_usage_passes_growing_usage(byteplus: Contract) -> None:
    exchange = stream(byteplus, sse_body(*_counted(0, 1, 2, 2)), WITH_CHUNK_USAGE)
    for name in ("stream_chunk_include_usage", "stream_include_usage", "stream_chunk_schema"):
        run(byteplus, name, exchange)


@pytest.mark.parametrize(
    ("tokens", "words"),
    [
        pytest.param((0, 1, 2), "event 3 (byte", id="missing"),
        pytest.param((), "event 0 (byte", id="ignored"),
        pytest.param((0, 2, 1, 2), "completion_tokens 1 after 2", id="decreasing"),
    ],
)
def test_chunk_include_usage_fails(byteplus: Contract, tokens: tuple[int, ...], words: str) -> None:
    exchange = stream(byteplus, sse_body(*_counted(*tokens)), WITH_CHUNK_USAGE)
    fails(byteplus, "stream_chunk_include_usage", exchange, "semantic/chunk_include_usage", words)


def test_chunk_include_usage_needs_the_semantic(contract: Contract) -> None:
    assert not contract.has_semantic("chunk_include_usage")
    exchange = stream(contract, sse_body(*_counted(0, 1, 2, 2)), WITH_CHUNK_USAGE)
    assert not get_check("stream_chunk_include_usage").applies(CheckContext(contract), exchange)
