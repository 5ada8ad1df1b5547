"""The assembled view of an answer: the same shape streamed or not."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from tests.support import exchange_for, sse_body

from chatconform.contracts.model import Contract, ModelSet
from chatconform.engine.exchange import Exchange
from chatconform.engine.message import (
    assembled_choices,
    assembled_usage,
    request_body,
    stream_chunks,
)
from chatconform.engine.probe import Probe, RequestSpec


@pytest.fixture(scope="module")
def contract() -> Contract:
    """A bare contract: assembly reads no contract data."""
    return Contract(
        id="test",
        title="test",
        parent=None,
        sources={},
        base_url="http://test/v1",
        path="/chat/completions",
        api_key_env="TEST_KEY",
        models=ModelSet(ids=("m",), closed=False, default="m"),
        request_schema={},
        response_schema={},
        chunk_schema={},
        error_schema={},
        fields={},
        rules=(),
        semantics={},
    )


def _chunk(*choices: dict[str, Any], usage: Any = None) -> dict[str, Any]:
    return {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": list(choices),
        "usage": usage,
    }


def _stream(contract: Contract, body: bytes, request: Any = None) -> Exchange:
    def handler(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)

    return exchange_for(contract, handler, request or {"model": "m", "stream": True})


def test_stream_is_rebuilt_per_choice(contract: Contract) -> None:
    body = sse_body(
        _chunk({"index": 0, "delta": {"role": "assistant", "content": ""}}),
        _chunk({"index": 1, "delta": {"role": "assistant", "reasoning_content": "th"}}),
        _chunk({"index": 0, "delta": {"content": "Hel"}, "logprobs": {"content": [{"t": 1}]}}),
        _chunk({"index": 1, "delta": {"reasoning_content": "ink", "content": "B"}}),
        _chunk({"index": 0, "delta": {"content": "lo"}, "logprobs": {"content": [{"t": 2}]}}),
        _chunk({"index": 0, "delta": {}, "finish_reason": "stop"}),
        _chunk({"index": 1, "delta": {}, "finish_reason": "length"}),
        _chunk(usage={"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}),
    )
    exchange = _stream(contract, body)
    assert assembled_choices(exchange) == [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Hello"},
            "finish_reason": "stop",
            "logprobs": {"content": [{"t": 1}, {"t": 2}]},
        },
        {
            "index": 1,
            "message": {"role": "assistant", "content": "B", "reasoning_content": "think"},
            "finish_reason": "length",
            "logprobs": None,
        },
    ]
    assert assembled_usage(exchange) == {
        "prompt_tokens": 3,
        "completion_tokens": 4,
        "total_tokens": 7,
    }


def test_tool_call_pieces_merge_by_index(contract: Contract) -> None:
    def call(index: int, **piece: Any) -> dict[str, Any]:
        return _chunk({"index": 0, "delta": {"tool_calls": [{"index": index, **piece}]}})

    body = sse_body(
        _chunk({"index": 0, "delta": {"role": "assistant", "content": None}}),
        call(0, id="a", type="function", function={"name": "f", "arguments": ""}),
        call(1, id="b", type="function", function={"name": "g", "arguments": '{"x"'}),
        call(0, function={"arguments": '{"y": '}),
        call(0, function={"arguments": "2}"}),
        call(1, function={"arguments": ": 1}"}),
        _chunk({"index": 0, "delta": {}, "finish_reason": "tool_calls"}),
    )
    (choice,) = assembled_choices(_stream(contract, body))
    message = choice["message"]
    assert message["content"] is None  # no content delta carried a string
    assert [c["id"] for c in message["tool_calls"]] == ["a", "b"]
    assert [c["function"]["name"] for c in message["tool_calls"]] == ["f", "g"]
    assert [json.loads(c["function"]["arguments"]) for c in message["tool_calls"]] == [
        {"y": 2},
        {"x": 1},
    ]
    assert choice["finish_reason"] == "tool_calls"


def test_tool_call_pieces_without_index_continue_the_last_call(contract: Contract) -> None:
    body = sse_body(
        _chunk({"delta": {"tool_calls": [{"id": "a", "function": {"name": "f"}}]}}),
        _chunk({"delta": {"tool_calls": [{"function": {"arguments": "{}"}}]}}),
        _chunk({"delta": {"tool_calls": [{"id": "b", "function": {"name": "g"}}]}}),
    )
    (choice,) = assembled_choices(_stream(contract, body))
    calls = choice["message"]["tool_calls"]
    assert [(c["id"], c["function"]["arguments"]) for c in calls] == [("a", "{}"), ("b", "")]


def test_unparsable_events_are_skipped_and_done_ends_the_stream(contract: Contract) -> None:
    body = (
        b'data: {"choices": [{"index": 0, "delta": {"content": "a"}}]}\n\n'
        b"data: not json\n\n"
        b"data: [1, 2]\n\n"
        b'data: {"choices": [{"index": 0, "delta": {"content": "b"}}], "usage": null}\n\n'
        b"data: [DONE]\n\n"
        b'data: {"choices": [{"index": 0, "delta": {"content": "after"}}]}\n\n'
    )
    exchange = _stream(contract, body)
    assert len(stream_chunks(exchange)) == 2
    assert assembled_choices(exchange)[0]["message"]["content"] == "ab"
    assert assembled_usage(exchange) is None


def test_plain_json_response_is_returned_as_is(contract: Contract) -> None:
    answer = {
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "x"}}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }
    exchange = exchange_for(contract, lambda _: httpx.Response(200, json=answer), {"model": "m"})
    assert assembled_choices(exchange) == answer["choices"]
    assert assembled_usage(exchange) == answer["usage"]
    assert request_body(exchange) == {"model": "m"}


def test_errors_and_non_objects_assemble_to_nothing(contract: Contract) -> None:
    failed = exchange_for(contract, lambda _: httpx.Response(400, json={"error": {}}), {})
    assert assembled_choices(failed) == []
    assert assembled_usage(failed) is None
    odd = exchange_for(contract, lambda _: httpx.Response(200, json=[1]), {})
    assert assembled_choices(odd) == []
    assert assembled_usage(odd) is None


def test_request_body_that_is_not_an_object_reads_as_empty(contract: Contract) -> None:
    raw = Probe(id="t", area="negative", title="t", request=RequestSpec(raw_body=b"{oops"))
    exchange = exchange_for(contract, lambda _: httpx.Response(400), probe=raw)
    assert request_body(exchange) == {}
