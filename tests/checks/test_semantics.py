"""Semantics checks: bounds, stop, JSON modes and seed, read from effects.

Each check passes an answer that keeps its rule, fails one breaking only that rule
(naming the rule id, with Received/Expected), and skips where the answer cannot show
the effect; streamed and non-streamed.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from tests.checks.effects_support import contract_with, exchange, message, usage, verdict

from chatconform.engine.registry import CheckContext

CITE = {"source": "vendor", "field": "max_tokens", "quote": "模型回答最大长度(不含思维链长度)"}
ANSWER_ONLY = contract_with(
    {
        "max_tokens": {"counts": "answer", "cite": CITE},
        "max_completion_tokens": {"counts": "answer+reasoning", "overrides_max_tokens": True},
        "stop": {},
        "json_object": {},
        "json_schema": {},
        "seed": {},
    }
)
OUTPUT = contract_with({"max_tokens": {"counts": "output"}, "max_completion_tokens": {}})
NONE = contract_with({})
WORDS = "alpha bravo charlie delta echo foxtrot golf hotel"
SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "country": {"type": "string"}},
    "required": ["city", "country"],
}

both = pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])


def run(name: str, contract: Any, body: dict[str, Any], msg: Any, **kw: Any) -> tuple[str, str]:
    stream = kw.pop("stream", False)
    return verdict(name, contract, exchange(contract, body, msg, stream=stream, **kw))


# -- max_tokens --------------------------------------------------------------------------


@both
def test_max_tokens_passes_within_bound(stream: bool) -> None:
    body = {"max_tokens": 5}
    result = run("max_tokens_honoured", OUTPUT, body, message("1 2 3"), use=usage(5), stream=stream)
    assert result == ("passed", "")


@both
def test_max_tokens_fails_beyond_bound(stream: bool) -> None:
    body = {"max_tokens": 5}
    status, detail = run(
        "max_tokens_honoured",
        OUTPUT,
        body,
        message("1 2 3 4 5 6 7 8 9"),
        use=usage(9),
        stream=stream,
    )
    assert status == "failed"
    assert detail.startswith("semantic/max_tokens | max_tokens accepted but not honoured")
    assert "Received: completion_tokens 9" in detail
    assert "Expected: <= 5" in detail


def test_max_tokens_answer_only_subtracts_reasoning() -> None:
    body = {"max_tokens": 5}
    msg = message("42", reasoning="let me think " * 10)
    assert run("max_tokens_honoured", ANSWER_ONLY, body, msg, use=usage(30, 26))[0] == "passed"
    status, detail = run("max_tokens_honoured", ANSWER_ONLY, body, msg, use=usage(30, 20))
    assert status == "failed"
    assert "10 answer tokens (completion 30 - reasoning 20)" in detail
    assert "vendor#max_tokens: max_tokens counts answer" in detail


def test_max_tokens_counting_output_includes_reasoning() -> None:
    msg = message("42", reasoning="thinking")
    status, _ = run("max_tokens_honoured", OUTPUT, {"max_tokens": 5}, msg, use=usage(30, 26))
    assert status == "failed"


def test_max_tokens_skips_when_answer_tokens_unknown() -> None:
    msg = message("42", reasoning="thinking")
    status, reason = run("max_tokens_honoured", ANSWER_ONLY, {"max_tokens": 5}, msg, use=usage(9))
    assert status == "skipped"
    assert "reasoning_tokens" in reason


def test_max_tokens_skips_without_usage() -> None:
    status, reason = run("max_tokens_honoured", OUTPUT, {"max_tokens": 5}, message(), stream=True)
    assert (status, "usage" in reason) == ("skipped", True)


def test_max_tokens_does_not_apply_when_overridden_or_undocumented() -> None:
    body = {"max_tokens": 5, "max_completion_tokens": 48}
    assert run("max_tokens_honoured", ANSWER_ONLY, body, message(), use=usage(20))[0] == "n/a"
    assert run("max_tokens_honoured", NONE, {"max_tokens": 5}, message(), use=usage(9))[0] == "n/a"
    assert (
        run("max_tokens_honoured", OUTPUT, {"max_tokens": 0}, message(), use=usage(9))[0] == "n/a"
    )


def test_max_tokens_scales_with_n() -> None:
    body = {"max_tokens": 5, "n": 2}
    assert run("max_tokens_honoured", OUTPUT, body, message(), use=usage(10))[0] == "passed"


# -- length when cut ---------------------------------------------------------------------

CUT = {"expects_cut": True}  # the probe's prompt asks for far more than the bound allows


@both
def test_length_when_cut_passes_on_length(stream: bool) -> None:
    body = {"max_tokens": 5}
    for params in (CUT, None):
        result = run(
            "length_when_cut",
            OUTPUT,
            body,
            message("1 2 3"),
            finish="length",
            use=usage(5),
            stream=stream,
            params=params,
        )
        assert result == ("passed", ""), params


@both
def test_length_when_cut_fails_on_stop_when_the_cut_is_certain(stream: bool) -> None:
    body = {"max_tokens": 5}
    status, detail = run(
        "length_when_cut",
        OUTPUT,
        body,
        message("1 2 3"),
        finish="stop",
        use=usage(5),
        stream=stream,
        params=CUT,
    )
    assert status == "failed"
    assert detail.startswith("semantic/max_tokens/length | output cut at max_tokens")
    assert "Received: finish_reason 'stop' after completion_tokens 5" in detail
    assert 'Expected: "length": the prompt asks for far more than max_tokens = 5' in detail


@both
def test_length_when_cut_skips_stop_exactly_at_the_bound_of_any_prompt(stream: bool) -> None:
    # A natural answer can be exactly as long as the bound: no evidence of a cut.
    body = {"max_completion_tokens": 11}
    status, reason = run(
        "length_when_cut", OUTPUT, body, message(), finish="stop", use=usage(11), stream=stream
    )
    assert status == "skipped"
    assert "ended exactly at the bound" in reason
    assert "a cut cannot be told from a natural end" in reason


CUT_CALL = {
    "id": "c1",
    "type": "function",
    "function": {"name": "get_time", "arguments": '{ "city": "Paris, France.'},
}


@both
def test_length_when_cut_fails_a_call_cut_mid_json_at_the_bound(stream: bool) -> None:
    # No expects_cut: the arguments stopping mid-JSON at the bound are the evidence.
    status, detail = run(
        "length_when_cut",
        OUTPUT,
        {"max_tokens": 64},
        message(None, calls=[CUT_CALL]),
        finish="tool_calls",
        use=usage(64),
        stream=stream,
    )
    assert status == "failed"
    assert detail.startswith("semantic/max_tokens/length | output cut at max_tokens")
    assert "Received: finish_reason 'tool_calls' after completion_tokens 64" in detail
    assert 'Expected: "length": a tool call\'s arguments stop mid-JSON' in detail
    assert '\'{ "city": "Paris, France.\'' in detail


def test_length_when_cut_does_not_read_every_bad_call_as_a_cut() -> None:
    whole = message(None, calls=[{**CUT_CALL, "function": {"name": "t", "arguments": "{}"}}])
    cut = message(None, calls=[CUT_CALL])
    name, body = "length_when_cut", {"max_tokens": 64}
    # A complete call at the bound: still no telling a cut from a natural end.
    status, reason = run(name, OUTPUT, body, whole, finish="tool_calls", use=usage(64))
    assert (status, "ended exactly at the bound" in reason) == ("skipped", True)
    # Bad arguments below the bound are tool_arguments_valid's to judge, not a cut.
    assert run(name, OUTPUT, body, cut, finish="tool_calls", use=usage(40))[0] == "skipped"
    assert run(name, OUTPUT, body, cut, finish="length", use=usage(64)) == ("passed", "")


def test_length_when_cut_names_max_completion_tokens() -> None:
    body = {"max_completion_tokens": 8}
    status, detail = run(
        "length_when_cut", OUTPUT, body, message(), finish="stop", use=usage(8), params=CUT
    )
    assert status == "failed"
    assert detail.startswith("semantic/max_completion_tokens/length")


def test_length_when_cut_skips_below_the_bound() -> None:
    for params in (CUT, None):
        status, reason = run(
            "length_when_cut", OUTPUT, {"max_tokens": 5}, message(), use=usage(3), params=params
        )
        assert status == "skipped"
        assert "before reaching its bound" in reason


def test_length_when_cut_accepts_a_certain_cut_counted_below_the_bound() -> None:
    body = {"max_tokens": 5}
    result = run(
        "length_when_cut", OUTPUT, body, message(), finish="length", use=usage(4), params=CUT
    )
    assert result == ("passed", "")


def test_length_when_cut_leaves_an_ignored_bound_to_its_own_check() -> None:
    body = {"max_tokens": 5}
    status, reason = run(
        "length_when_cut", OUTPUT, body, message(), finish="stop", use=usage(9), params=CUT
    )
    assert status == "skipped"
    assert "exceeded max_tokens (completion_tokens 9): see max_tokens_honoured" in reason


# -- max_completion_tokens ---------------------------------------------------------------


@both
def test_max_completion_tokens_counts_reasoning(stream: bool) -> None:
    body = {"max_completion_tokens": 8}
    msg = message("42", reasoning="hmm")
    name = "max_completion_tokens_honoured"
    assert run(name, ANSWER_ONLY, body, msg, use=usage(8, 6), stream=stream)[0] == "passed"
    status, detail = run(name, ANSWER_ONLY, body, msg, use=usage(12, 10), stream=stream)
    assert status == "failed"
    assert detail.startswith("semantic/max_completion_tokens | ")
    assert "Received: completion_tokens 12" in detail


@both
def test_overrides_passes_when_output_exceeds_max_tokens(stream: bool) -> None:
    body = {"max_tokens": 5, "max_completion_tokens": 48}
    name = "max_completion_tokens_overrides"
    result = run(name, ANSWER_ONLY, body, message("1 2 3 4 5 6 7 8"), use=usage(20), stream=stream)
    assert result == ("passed", "")


@both
def test_overrides_fails_when_cut_at_max_tokens(stream: bool) -> None:
    body = {"max_tokens": 5, "max_completion_tokens": 48}
    status, detail = run(
        "max_completion_tokens_overrides",
        ANSWER_ONLY,
        body,
        message("1 2 3"),
        finish="length",
        use=usage(5),
        stream=stream,
    )
    assert status == "failed"
    assert "semantic/max_completion_tokens | output cut at max_tokens" in detail


def test_overrides_skips_when_model_stops_early_and_needs_the_semantic() -> None:
    body = {"max_tokens": 5, "max_completion_tokens": 48}
    name = "max_completion_tokens_overrides"
    assert run(name, ANSWER_ONLY, body, message("hi"), use=usage(2))[0] == "skipped"
    assert run(name, OUTPUT, body, message("hi"), finish="length", use=usage(5))[0] == "n/a"


# -- stop --------------------------------------------------------------------------------

STOP_BODY = {"stop": ["echo"]}
STOP_PARAMS = {"full_text": WORDS}


@both
def test_stop_passes_when_stopped_before_the_sequence(stream: bool) -> None:
    result = run(
        "stop_sequence_honoured",
        ANSWER_ONLY,
        STOP_BODY,
        message("alpha bravo charlie delta "),
        params=STOP_PARAMS,
        stream=stream,
    )
    assert result == ("passed", "")


@both
def test_stop_fails_when_the_sequence_is_returned(stream: bool) -> None:
    status, detail = run(
        "stop_sequence_honoured",
        ANSWER_ONLY,
        {"stop": "echo"},
        message(WORDS),
        params=STOP_PARAMS,
        stream=stream,
    )
    assert status == "failed"
    assert detail.startswith("semantic/stop | stop sequence accepted but returned")
    assert "Expected: content without 'echo'" in detail


@both
def test_stop_fails_when_early_end_is_not_reported_as_stop(stream: bool) -> None:
    status, detail = run(
        "stop_sequence_honoured",
        ANSWER_ONLY,
        STOP_BODY,
        message("alpha bravo charlie delta "),
        finish="end_turn",
        params=STOP_PARAMS,
        stream=stream,
    )
    assert status == "failed"
    assert detail.startswith("semantic/stop/finish | ")
    assert "Received: finish_reason 'end_turn'" in detail


def test_stop_skips_when_the_model_never_reached_the_sequence() -> None:
    name = "stop_sequence_honoured"
    status, reason = run(name, ANSWER_ONLY, STOP_BODY, message("Hello!"), params=STOP_PARAMS)
    assert status == "skipped"
    assert "did not reach" in reason


def test_stop_notes_a_partial_sequence_at_the_end() -> None:
    ctx = CheckContext(contract=ANSWER_ONLY)
    ex = exchange(
        ANSWER_ONLY, STOP_BODY, message("alpha bravo charlie delta ec"), params=STOP_PARAMS
    )
    assert verdict("stop_sequence_honoured", ANSWER_ONLY, ex, ctx)[0] == "passed"
    assert "start of stop sequence 'echo'" in ctx.observations[0]["message"]


# -- JSON modes --------------------------------------------------------------------------

JSON_BODY = {"response_format": {"type": "json_object"}}
SCHEMA_BODY = {"response_format": {"type": "json_schema", "json_schema": {"schema": SCHEMA}}}
GOOD_JSON = '{"city": "Paris", "country": "France"}'


@both
def test_json_object_passes_an_object(stream: bool) -> None:
    name = "json_object_content"
    assert run(name, ANSWER_ONLY, JSON_BODY, message(GOOD_JSON), stream=stream) == ("passed", "")


@both
@pytest.mark.parametrize(
    ("content", "title"),
    [
        ("Sure! " + GOOD_JSON, "the content is not JSON"),
        ("```json\n" + GOOD_JSON + "\n```", "not JSON (wrapped in a Markdown fence)"),
        ("[1, 2]", "JSON of another type"),
    ],
)
def test_json_object_fails_on_other_content(stream: bool, content: str, title: str) -> None:
    status, detail = run(
        "json_object_content", ANSWER_ONLY, JSON_BODY, message(content), stream=stream
    )
    assert status == "failed"
    assert detail.startswith("semantic/json_object | ")
    assert title in detail


def test_json_object_skips_a_cut_answer_and_needs_the_mode() -> None:
    name = "json_object_content"
    msg = message('{"city": "Par')
    assert run(name, ANSWER_ONLY, JSON_BODY, msg, finish="length")[0] == "skipped"
    text_body = {"response_format": {"type": "text"}}
    assert run(name, ANSWER_ONLY, text_body, message("x"))[0] == "n/a"


@both
def test_json_schema_passes_valid_content(stream: bool) -> None:
    name = "json_schema_content"
    assert run(name, ANSWER_ONLY, SCHEMA_BODY, message(GOOD_JSON), stream=stream)[0] == "passed"


@both
def test_json_schema_fails_invalid_content(stream: bool) -> None:
    msg = message('{"city": "Paris"}')
    status, detail = run("json_schema_content", ANSWER_ONLY, SCHEMA_BODY, msg, stream=stream)
    assert status == "failed"
    assert detail.startswith("semantic/json_schema | json_schema accepted but")
    assert "'country' is a required property" in detail


def test_json_schema_skips_an_invalid_request_schema() -> None:
    body = {"response_format": {"type": "json_schema", "json_schema": {"schema": {"type": 5}}}}
    status, reason = run("json_schema_content", ANSWER_ONLY, body, message(GOOD_JSON))
    assert (status, "invalid" in reason) == ("skipped", True)


# -- seed --------------------------------------------------------------------------------

SEED_BODY = {"seed": 42, "temperature": 1}


def seeded(first: str, again: str, **kw: Any) -> tuple[str, str]:
    one = exchange(ANSWER_ONLY, SEED_BODY, message(first))
    two = exchange(ANSWER_ONLY, SEED_BODY, message(again), **kw)
    return verdict("seed_repeatable", ANSWER_ONLY, dataclasses.replace(one, related=(two,)))


def test_seed_passes_identical_repeats() -> None:
    assert seeded("The sea is calm.", "The sea is calm.") == ("passed", "")


def test_seed_fails_different_repeats() -> None:
    status, detail = seeded("The sea is calm.", "Waves crash loudly.")
    assert status == "failed"
    assert detail.startswith("semantic/seed | seed accepted but the output is not repeatable")
    assert "repeat 1 ['Waves crash loudly.']" in detail


def test_seed_skips_without_a_usable_repeat() -> None:
    single = exchange(ANSWER_ONLY, SEED_BODY, message("x"))
    assert verdict("seed_repeatable", ANSWER_ONLY, single)[0] == "skipped"
    assert seeded("x", "y", status=500)[0] == "skipped"
    assert verdict("seed_repeatable", NONE, single)[0] == "n/a"
