"""Reasoning checks: the thinking switch (either field) has its stated effect."""

from __future__ import annotations

from typing import Any

import pytest
from tests.checks.effects_support import contract_with, exchange, message, verdict

from chatconform.engine.registry import CheckContext

THINKING = contract_with({"reasoning": {"switch": "thinking", "default_on": None}})
BOOL_SWITCH = contract_with({"reasoning": {"switch": "thinking_enabled"}})
DEFAULT_ON = contract_with({"reasoning": {"switch": "thinking", "default_on": True}})
PER_MODEL = contract_with({"reasoning": {"switch": "thinking", "default_on": ["tiny-1"]}})
BASELINE_ONLY = contract_with(
    {"reasoning": {"where_documented": True, "cite": {"source": "baseline", "field": "x"}}}
)
ON = {"thinking": {"type": "enabled"}}
OFF = {"thinking": {"type": "disabled"}}
REASONED = message("42", reasoning="17 + 25 = 42")
PLAIN = message("42")

both = pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])


def run(name: str, contract: Any, body: dict[str, Any], msg: Any, **kw: Any) -> Any:
    ctx = kw.pop("ctx", None)
    return verdict(name, contract, exchange(contract, body, msg, **kw), ctx)


@both
def test_reasoning_present_when_switched_on(stream: bool) -> None:
    name = "reasoning_present_when_on"
    assert run(name, THINKING, ON, REASONED, stream=stream) == ("passed", "")
    status, detail = run(name, THINKING, ON, PLAIN, stream=stream)
    assert status == "failed"
    assert detail.startswith("semantic/reasoning/on | thinking on (explicitly) but no reasoning")
    assert "Received: choices[0] reasoning_content None, content '42'" in detail


@both
def test_reasoning_present_with_a_bool_switch(stream: bool) -> None:
    name = "reasoning_present_when_on"
    body = {"thinking_enabled": True}
    assert run(name, BOOL_SWITCH, body, REASONED, stream=stream)[0] == "passed"
    assert run(name, BOOL_SWITCH, body, message("42", reasoning=""), stream=stream)[0] == "failed"


def test_reasoning_present_by_default() -> None:
    name = "reasoning_present_when_on"
    status, detail = run(name, DEFAULT_ON, {}, PLAIN)
    assert status == "failed"
    assert "thinking on (by default)" in detail
    assert run(name, PER_MODEL, {"model": "tiny-1"}, PLAIN)[0] == "failed"
    assert run(name, PER_MODEL, {"model": "other"}, PLAIN)[0] == "n/a"
    assert run(name, THINKING, {}, PLAIN)[0] == "n/a"


def test_reasoning_present_names_where_reasoning_went() -> None:
    inline = message("<think>17 + 25</think>42")
    detail = run("reasoning_present_when_on", THINKING, ON, inline)[1]
    assert "inlines it in content as <think>" in detail


def test_reasoning_present_skips_no_effort_and_empty_cuts() -> None:
    name = "reasoning_present_when_on"
    assert run(name, THINKING, {**ON, "reasoning_effort": "minimal"}, PLAIN)[0] == "skipped"
    assert run(name, THINKING, ON, message(""), finish="length")[0] == "skipped"


def test_reasoning_needs_a_vendor_statement() -> None:
    assert run("reasoning_present_when_on", BASELINE_ONLY, ON, PLAIN)[0] == "n/a"


@both
def test_reasoning_absent_when_switched_off(stream: bool) -> None:
    name = "reasoning_absent_when_off"
    assert run(name, THINKING, OFF, PLAIN, stream=stream) == ("passed", "")
    assert run(name, THINKING, OFF, message("42", reasoning=""), stream=stream)[0] == "passed"
    status, detail = run(name, THINKING, OFF, REASONED, stream=stream)
    assert status == "failed"
    assert detail.startswith("semantic/reasoning/off | thinking switched off but the answer")
    assert "Received: choices[0] reasoning_content '17 + 25 = 42'" in detail


def test_reasoning_absent_applies_only_to_an_explicit_off() -> None:
    name = "reasoning_absent_when_off"
    assert run(name, THINKING, {}, REASONED)[0] == "n/a"
    assert run(name, BOOL_SWITCH, {"thinking_enabled": False}, REASONED)[0] == "failed"


def test_reasoning_absent_notes_reasoning_elsewhere() -> None:
    ctx = CheckContext(contract=THINKING)
    result = run("reasoning_absent_when_off", THINKING, OFF, message("<think>x</think>42"), ctx=ctx)
    assert result == ("passed", "")
    assert "inlines it in content" in ctx.observations[0]["message"]
