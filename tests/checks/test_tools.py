"""Tools checks: tool_choice modes, call shape, arguments, finish reason, parallel calls
and streamed call pieces; each passes, fails on its own rule, and skips without calls."""

from __future__ import annotations

from typing import Any

import pytest
from tests.checks.effects_support import MODEL, call, contract_with, exchange, message, verdict

from chatconform.engine.registry import CheckContext

TOOLS = contract_with({"tools": {"tool_choice": ["none", "auto", "required", "function"]}})
AUTO_ONLY = contract_with({"tools": {"tool_choice": ["auto"]}, "parallel_tool_calls": {}})
PARALLEL = contract_with({"tools": {}, "parallel_tool_calls": {}})


def tool(name: str) -> dict[str, Any]:
    parameters = {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    }
    return {"type": "function", "function": {"name": name, "parameters": parameters}}


BODY: dict[str, Any] = {"tools": [tool("get_weather"), tool("get_time")]}
PROSE = message("It is sunny in Paris.")
CALLED = message(None, calls=[call()])

both = pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])


def run(name: str, body: dict[str, Any], msg: Any, contract: Any = TOOLS, **kw: Any) -> Any:
    return verdict(name, contract, exchange(contract, body, msg, **kw))


# -- tool_choice -------------------------------------------------------------------------


@both
def test_tool_choice_none(stream: bool) -> None:
    body = {**BODY, "tool_choice": "none"}
    name = "tool_choice_none_no_calls"
    assert run(name, body, PROSE, stream=stream) == ("passed", "")
    status, detail = run(name, body, CALLED, finish="tool_calls", stream=stream)
    assert status == "failed"
    assert detail.startswith('semantic/tools/choice-none | tool_choice "none" accepted but')
    assert "Received: tool_calls ['get_weather']" in detail


def test_tool_choice_rules_apply_only_to_documented_modes() -> None:
    body = {**BODY, "tool_choice": "none"}
    assert run("tool_choice_none_no_calls", body, CALLED, AUTO_ONLY)[0] == "n/a"
    assert run("tool_choice_none_no_calls", {"tool_choice": "none"}, CALLED)[0] == "n/a"


@both
def test_tool_choice_required(stream: bool) -> None:
    body = {**BODY, "tool_choice": "required"}
    name = "tool_choice_required_calls"
    assert run(name, body, CALLED, finish="tool_calls", stream=stream) == ("passed", "")
    status, detail = run(name, body, PROSE, stream=stream)
    assert status == "failed"
    assert detail.startswith("semantic/tools/choice-required | ")
    assert "Received: finish_reason 'stop', content 'It is sunny in Paris.'" in detail
    assert "forced call" not in detail  # not cut: no note about the bound


@both
@pytest.mark.parametrize("named", [False, True], ids=["required", "named"])
def test_forced_tool_choice_fails_prose_cut_by_the_bound(stream: bool, named: bool) -> None:
    # A forced call starts at the first token: prose before the cut is already no call.
    forced: Any = {"type": "function", "function": {"name": "get_weather"}} if named else "required"
    body = {**BODY, "tool_choice": forced}
    name = "tool_choice_named_function" if named else "tool_choice_required_calls"
    status, detail = run(name, body, message("It is sunny in"), finish="length", stream=stream)
    assert status == "failed"
    assert "Received: finish_reason 'length', content 'It is sunny in'" in detail
    assert "the bound cut it, but a forced call starts at the first token: prose is no" in detail
    for empty in (None, " "):
        status, reason = run(name, body, message(empty), finish="length", stream=stream)
        assert status == "skipped"
        assert reason == "the token bound cut the answer before any text or tool call"


@both
def test_tool_choice_named_function(stream: bool) -> None:
    named = {"type": "function", "function": {"name": "get_time"}}
    body = {**BODY, "tool_choice": named}
    name = "tool_choice_named_function"
    right = message(None, calls=[call("get_time")])
    assert run(name, body, right, finish="tool_calls", stream=stream) == ("passed", "")
    status, detail = run(name, body, CALLED, finish="tool_calls", stream=stream)
    assert status == "failed"
    assert detail.startswith("semantic/tools/choice-function | tool_choice named 'get_time'")
    assert "Received: tool_calls ['get_weather']" in detail
    assert run(name, body, PROSE, stream=stream)[0] == "failed"


# -- call shape and arguments ------------------------------------------------------------


@both
def test_tool_call_shape_passes_a_declared_call(stream: bool) -> None:
    assert run("tool_call_shape", BODY, CALLED, stream=stream) == ("passed", "")


@both
def test_tool_call_shape_fails_an_undeclared_name(stream: bool) -> None:
    msg = message(None, calls=[call("get_forecast")])
    status, detail = run("tool_call_shape", BODY, msg, stream=stream)
    assert status == "failed"
    assert "semantic/tools/shape | malformed tool call: function.name 'get_forecast'" in detail
    assert "one of ['get_time', 'get_weather']" in detail


@pytest.mark.parametrize(
    ("broken", "problem"),
    [({"id": 7}, "id 7"), ({"id": ""}, "id ''"), ({"type": "tool"}, "type 'tool'")],
)
def test_tool_call_shape_fails_id_and_type(broken: dict[str, Any], problem: str) -> None:
    msg = message(None, calls=[{**call(), **broken}])
    status, detail = run("tool_call_shape", BODY, msg)
    assert status == "failed"
    assert problem in detail


def test_tool_call_shape_skips_without_calls() -> None:
    assert run("tool_call_shape", BODY, PROSE)[0] == "skipped"


@both
def test_tool_arguments_valid_passes(stream: bool) -> None:
    assert run("tool_arguments_valid", BODY, CALLED, stream=stream) == ("passed", "")


@both
@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ('{"city": "Par', "are not valid JSON"),
        ("[1]", "are JSON but not an object"),
        ("{}", "'city' is a required property"),
        ('{"city": "Paris", "unit": "C"}', "Additional properties"),
    ],
)
def test_tool_arguments_valid_fails(stream: bool, arguments: str, problem: str) -> None:
    msg = message(None, calls=[call(arguments=arguments)])
    status, detail = run("tool_arguments_valid", BODY, msg, stream=stream)
    assert status == "failed"
    assert detail.startswith("semantic/tools/arguments | tool call arguments for 'get_weather'")
    assert problem in detail


def test_tool_arguments_valid_fails_non_string_arguments() -> None:
    msg = message(None, calls=[{**call(), "function": {"name": "get_weather", "arguments": {}}}])
    status, detail = run("tool_arguments_valid", BODY, msg)
    assert (status, "are a dict, not a JSON string" in detail) == ("failed", True)


def test_tool_arguments_valid_skips_cut_or_absent_calls() -> None:
    cut = message(None, calls=[call(arguments='{"ci')])
    assert run("tool_arguments_valid", BODY, cut, finish="length")[0] == "skipped"
    assert run("tool_arguments_valid", BODY, PROSE)[0] == "skipped"


# -- finish reason and parallel calls ----------------------------------------------------


@both
def test_finish_reason_tool_calls(stream: bool) -> None:
    name = "finish_reason_tool_calls"
    assert run(name, BODY, CALLED, finish="tool_calls", stream=stream) == ("passed", "")
    status, detail = run(name, BODY, CALLED, finish="stop", stream=stream)
    assert status == "failed"
    assert detail.startswith("semantic/tools/finish-reason | a turn ending in tool calls")
    assert "Received: finish_reason 'stop' with tool_calls ['get_weather']" in detail


def test_finish_reason_tool_calls_skips_prose_and_notes_a_false_claim() -> None:
    ctx = CheckContext(contract=TOOLS)
    ex = exchange(TOOLS, BODY, PROSE, finish="tool_calls")
    assert verdict("finish_reason_tool_calls", TOOLS, ex, ctx)[0] == "skipped"
    assert "without tool calls" in ctx.observations[0]["message"]


@both
def test_parallel_tool_calls_false(stream: bool) -> None:
    body = {**BODY, "parallel_tool_calls": False}
    name = "parallel_tool_calls_false"
    assert run(name, body, CALLED, PARALLEL, stream=stream) == ("passed", "")
    two = message(None, calls=[call(), call(arguments='{"city": "London"}', id="c2")])
    status, detail = run(name, body, two, PARALLEL, stream=stream)
    assert status == "failed"
    assert detail.startswith("semantic/parallel_tool_calls | parallel_tool_calls false accepted")
    assert "Received: 2 tool calls" in detail
    assert run(name, body, PROSE, PARALLEL, stream=stream)[0] == "skipped"


def test_parallel_tool_calls_needs_the_semantic_and_false() -> None:
    two = message(None, calls=[call(), call(id="c2")])
    assert run("parallel_tool_calls_false", {**BODY, "parallel_tool_calls": False}, two)[0] == "n/a"
    body = {**BODY, "parallel_tool_calls": True}
    assert run("parallel_tool_calls_false", body, two, PARALLEL)[0] == "n/a"


# -- streamed call pieces ----------------------------------------------------------------

FRAME = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": MODEL}


def stream_of(*pieces: dict[str, Any]) -> list[dict[str, Any]]:
    out = [
        {**FRAME, "choices": [{"index": 0, "delta": {"role": "assistant", "tool_calls": [p]}}]}
        for p in pieces
    ]
    out.append({**FRAME, "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})
    return out


HEAD = {"index": 0, "id": "c1", "type": "function", "function": {"name": "get_weather"}}
TAIL = {"index": 0, "function": {"arguments": '{"city": "Paris"}'}}


def test_stream_tool_call_deltas_passes_the_usual_shape() -> None:
    assert run("stream_tool_call_deltas", BODY, CALLED, stream=True) == ("passed", "")
    pieces = stream_of(HEAD, {**TAIL, "type": "function"})
    result = run("stream_tool_call_deltas", BODY, CALLED, stream=True, raw_chunks=pieces)
    assert result == ("passed", "")


def test_stream_tool_call_deltas_passes_a_head_spread_over_pieces() -> None:
    # No stated rule puts id, type and name in the first piece: only the assembly counts.
    first = {"index": 0, "id": "c1"}
    second = {"index": 0, "type": "function", "function": {"name": "get_weather"}}
    pieces = stream_of(first, second, TAIL)
    result = run("stream_tool_call_deltas", BODY, CALLED, stream=True, raw_chunks=pieces)
    assert result == ("passed", "")


def test_stream_tool_call_deltas_notes_repeated_heads_without_failing() -> None:
    # llama.cpp's shape: every piece repeats id and name with the next bit of arguments.
    again = {**HEAD, "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
    ctx = CheckContext(contract=TOOLS)
    ex = exchange(TOOLS, BODY, CALLED, stream=True, raw_chunks=stream_of(HEAD, again))
    assert verdict("stream_tool_call_deltas", TOOLS, ex, ctx) == ("passed", "")
    (note,) = ctx.observations
    assert note["check"] == "stream_tool_call_deltas"
    assert note["message"] == (
        "choice 0 tool call 0: 2 pieces carry id and function.name; a client that "
        "concatenates deltas, as the official OpenAI SDK does, reads id 'c1c1', "
        "function.name 'get_weatherget_weather'"
    )
    quiet = CheckContext(contract=TOOLS)
    ex = exchange(TOOLS, BODY, CALLED, stream=True, raw_chunks=stream_of(HEAD, TAIL))
    assert verdict("stream_tool_call_deltas", TOOLS, ex, quiet) == ("passed", "")
    assert quiet.observations == []


def test_stream_tool_call_deltas_keeps_the_note_on_repeats_short() -> None:
    ctx = CheckContext(contract=TOOLS)
    pieces = stream_of(*[{"index": 0, "function": {"name": "get_weather"}}] * 9, HEAD)
    ex = exchange(TOOLS, BODY, CALLED, stream=True, raw_chunks=pieces)
    assert verdict("stream_tool_call_deltas", TOOLS, ex, ctx) == ("passed", "")
    (note,) = ctx.observations
    assert note["message"].startswith("choice 0 tool call 0: 10 pieces carry function.name;")
    assert note["message"].endswith(f"reads function.name {('get_weather' * 6)[:57] + '...'!r}")


@pytest.mark.parametrize(
    ("pieces", "problem"),
    [
        ((HEAD, {"function": {"arguments": "{}"}}), "chunk 2: piece without an integer index"),
        ((HEAD, "junk"), "chunk 2: piece without an integer index: 'junk'"),
        (({**HEAD, "id": None}, TAIL), "choice 0 call 0 assembles with id None"),
        (({**HEAD, "id": 7}, TAIL), "assembles with id 7"),
        (({**HEAD, "type": None}, TAIL), "assembles with type None"),
        (({**HEAD, "function": {}}, TAIL), "assembles with function.name None not declared"),
        (({**HEAD, "function": {"name": "get_forecast"}}, TAIL), "'get_forecast' not declared"),
    ],
)
def test_stream_tool_call_deltas_fails(pieces: tuple[Any, ...], problem: str) -> None:
    status, detail = run(
        "stream_tool_call_deltas", BODY, CALLED, stream=True, raw_chunks=stream_of(*pieces)
    )
    assert status == "failed"
    assert detail.startswith(
        "semantic/tools/stream-deltas | streamed tool-call pieces do not reassemble"
    )
    assert problem in detail
    assert "Expected: every piece has an integer index; each assembled call has a string id" in (
        detail
    )
    assert "among ['get_time', 'get_weather']" in detail


def test_stream_tool_call_deltas_skips_prose_and_ignores_json() -> None:
    assert run("stream_tool_call_deltas", BODY, PROSE, stream=True)[0] == "skipped"
    assert run("stream_tool_call_deltas", BODY, CALLED)[0] == "n/a"
