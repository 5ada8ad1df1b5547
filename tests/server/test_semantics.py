"""Each generation semantic has its visible, contract-defined effect."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator
from tests.server.util import WORDS, content, events, post, server

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "get_time",
            "parameters": {
                "type": "object",
                "properties": {
                    "zone": {"type": "string", "enum": ["UTC", "CET"]},
                    "hours": {"type": "integer", "minimum": 0, "maximum": 23},
                },
                "required": ["zone", "hours"],
                "additionalProperties": False,
            },
        },
    },
]


def test_max_tokens_cuts_with_finish_length() -> None:
    answer = post(server("powertokens-qwen"), max_tokens=3).json()
    assert content(answer) == "alpha bravo charlie"
    assert answer["choices"][0]["finish_reason"] == "length"
    assert answer["usage"]["completion_tokens"] == 3


def test_uncut_answer_finishes_with_stop() -> None:
    answer = post(server("powertokens-qwen")).json()
    assert content(answer).startswith(WORDS)
    assert answer["choices"][0]["finish_reason"] == "stop"


def test_stop_sequence_cuts_before_itself() -> None:
    answer = post(server("powertokens-qwen"), stop=["echo", "golf"]).json()
    assert content(answer) == "alpha bravo charlie delta"
    assert answer["choices"][0]["finish_reason"] == "stop"


def test_byteplus_max_tokens_counts_the_answer_only() -> None:
    on = {"thinking": {"type": "enabled"}}
    answer = post(server("powertokens-byteplus"), max_tokens=2, **on).json()
    assert content(answer) == "alpha bravo"
    details = answer["usage"]["completion_tokens_details"]
    assert details["reasoning_tokens"] > 0
    assert answer["usage"]["completion_tokens"] == 2 + details["reasoning_tokens"]


def test_byteplus_max_completion_tokens_counts_reasoning_and_overrides() -> None:
    on = {"thinking": {"type": "enabled"}}
    srv = server("powertokens-byteplus")
    capped = post(srv, max_completion_tokens=5, **on).json()
    assert capped["usage"]["completion_tokens"] == 5
    assert capped["choices"][0]["finish_reason"] == "length"
    both = post(srv, max_tokens=1, max_completion_tokens=200, **on).json()
    assert content(both).startswith(WORDS)  # max_tokens ignored once the other is set


def test_json_object_content_is_an_object() -> None:
    answer = post(server("anyfast"), response_format={"type": "json_object"}).json()
    assert isinstance(json.loads(content(answer)), dict)


def test_json_schema_content_is_valid_against_the_schema() -> None:
    schema = TOOLS[1]["function"]["parameters"]
    fmt = {"type": "json_schema", "json_schema": {"name": "t", "schema": schema}}
    answer = post(server("trinitydesk"), response_format=fmt).json()
    Draft202012Validator(schema).validate(json.loads(content(answer)))


@pytest.mark.parametrize(
    ("choice", "extra", "names"),
    [
        ("none", {}, []),
        ("auto", {}, ["get_weather", "get_time"]),
        ("required", {}, ["get_weather", "get_time"]),
        ("required", {"parallel_tool_calls": False}, ["get_weather"]),
        ({"type": "function", "function": {"name": "get_time"}}, {}, ["get_time"]),
    ],
)
def test_tool_choice(choice: object, extra: dict[str, object], names: list[str]) -> None:
    answer = post(server("powertokens-byteplus"), tools=TOOLS, tool_choice=choice, **extra).json()
    message = answer["choices"][0]["message"]
    calls = message.get("tool_calls", [])
    assert [c["function"]["name"] for c in calls] == names
    if names:
        assert answer["choices"][0]["finish_reason"] == "tool_calls"
        for call in calls:
            params = next(
                t["function"]["parameters"]
                for t in TOOLS
                if t["function"]["name"] == call["function"]["name"]
            )
            Draft202012Validator(params).validate(json.loads(call["function"]["arguments"]))
    else:
        assert isinstance(message["content"], str)


def test_streamed_tool_call_deltas() -> None:
    chunks = events(post(server("trinitydesk"), tools=TOOLS, tool_choice="required", stream=True))[
        :-1
    ]
    deltas = [d for c in chunks for d in c["choices"][0]["delta"].get("tool_calls", [])]
    assert all("index" in d for d in deltas)
    arguments: dict[int, str] = {}
    for delta in deltas:
        if delta["index"] not in arguments:
            assert {"id", "type"} <= delta.keys() and delta["function"]["name"]
            arguments[delta["index"]] = ""
        else:
            assert set(delta) == {"index", "function"}
        arguments[delta["index"]] += delta["function"]["arguments"]
    assert [json.loads(a) for a in arguments.values()]
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_logprobs_shape_and_count() -> None:
    answer = post(server("trinitydesk"), logprobs=True, top_logprobs=3).json()
    entries = answer["choices"][0]["logprobs"]["content"]
    assert "".join(e["token"] for e in entries) == content(answer)
    for entry in entries:
        assert entry["logprob"] <= 0 and len(entry["top_logprobs"]) == 3
        assert bytes(entry["bytes"]).decode() == entry["token"]


@pytest.mark.parametrize(
    ("contract_id", "on", "off"),
    [
        (
            "powertokens-byteplus",
            {"thinking": {"type": "enabled"}},
            {"thinking": {"type": "disabled"}},
        ),
        ("anyfast", {}, {"thinking": {"type": "disabled"}}),
        ("trinitydesk", {"thinking_enabled": True}, {"thinking_enabled": False}),
    ],
)
def test_reasoning_follows_the_switch(
    contract_id: str, on: dict[str, object], off: dict[str, object]
) -> None:
    srv = server(contract_id)
    thinking = post(srv, **on).json()
    assert thinking["choices"][0]["message"]["reasoning_content"]
    assert thinking["usage"]["completion_tokens_details"]["reasoning_tokens"] > 0
    quiet = post(srv, **off).json()
    assert "reasoning_content" not in quiet["choices"][0]["message"]
    streamed = events(post(srv, stream=True, **on))[:-1]
    assert "".join(c["choices"][0]["delta"].get("reasoning_content") or "" for c in streamed)


def test_no_reasoning_where_the_contract_has_none() -> None:
    answer = post(server("powertokens-qwen"), thinking={"type": "enabled"}).json()
    assert "reasoning_content" not in answer["choices"][0]["message"]


def test_seed_repeats_and_varies() -> None:
    srv = server("powertokens-qwen")
    first, again = (content(post(srv, seed=7).json()) for _ in range(2))
    assert first == again
    assert content(post(srv, seed=8).json()) != first


def test_include_usage_adds_one_final_usage_chunk() -> None:
    payloads = events(
        post(server("openai-compatible"), stream=True, stream_options={"include_usage": True})
    )
    usage_chunks = [p for p in payloads[:-1] if "usage" in p]
    assert usage_chunks == [payloads[-2]]
    assert payloads[-2]["choices"] == []
    usage = payloads[-2]["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_chunk_include_usage_puts_running_usage_on_every_chunk() -> None:
    chunks = events(
        post(
            server("powertokens-byteplus"),
            stream=True,
            stream_options={"chunk_include_usage": True},
        )
    )[:-1]
    counts = [c["usage"]["completion_tokens"] for c in chunks]
    assert counts == sorted(counts) and counts[-1] > 0
