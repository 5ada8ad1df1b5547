"""Checks of the reasoning area: the thinking switch has the effect the page states.

Vendors switch thinking with different fields (``thinking: {"type": ...}`` on
BytePlus/AnyFast, ``thinking_enabled`` on TrinityDesk), some with thinking on by
default. A switch that is accepted and ignored costs money (reasoning billed when it was
turned off) or quality (no reasoning when it was asked for), and shows only in
``reasoning_content``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chatconform.checks._effects import cited, content_of, reasoning_text
from chatconform.engine.exchange import Exchange
from chatconform.engine.failures import CheckFailed, CheckSkipped
from chatconform.engine.message import assembled_choices, request_body
from chatconform.engine.prompts import default_on, semantic
from chatconform.engine.registry import CheckContext, check

BASELINE_REASONING = "baseline: Generation semantics (reasoning, where documented)"
# Efforts that ask for no reasoning at all (TrinityDesk lists "none"; BytePlus documents
# "minimal" as the fastest, which turns thinking off on its models).
NO_EFFORT = frozenset({"none", "minimal"})


def switch_value(params: Mapping[str, Any], body: Mapping[str, Any]) -> bool | None:
    """What the request says about thinking through the contract's switch, or None."""
    if params.get("switch") == "thinking_enabled":
        value = body.get("thinking_enabled")
        return value if isinstance(value, bool) else None
    thinking = body.get("thinking")
    kind = thinking.get("type") if isinstance(thinking, Mapping) else None
    return {"enabled": True, "disabled": False}.get(kind) if isinstance(kind, str) else None


def thinking_state(ctx: CheckContext, exchange: Exchange) -> tuple[bool, bool] | None:
    """(on, explicit) for a 2xx exchange under a contract with reasoning, else None."""
    params = semantic(ctx.contract, "reasoning")
    if params is None or exchange.transport_error or not exchange.response.is_success:
        return None
    body = request_body(exchange)
    value = switch_value(params, body)
    if value is not None:
        return value, True
    return default_on(params, body.get("model")), False


def _on(ctx: CheckContext, exchange: Exchange) -> bool:
    state = thinking_state(ctx, exchange)
    return state is not None and state[0]


def _off(ctx: CheckContext, exchange: Exchange) -> bool:
    state = thinking_state(ctx, exchange)
    return state == (False, True)


def _elsewhere(choice: Mapping[str, Any]) -> str:
    """Where reasoning went instead of ``reasoning_content``, for a useful message."""
    message = choice.get("message")
    other = message.get("reasoning") if isinstance(message, Mapping) else None
    if isinstance(other, str) and other:
        return " (the answer carries it in message.reasoning)"
    text = content_of(choice)
    if isinstance(text, str) and text.lstrip().startswith("<think>"):
        return " (the answer inlines it in content as <think>...</think>)"
    return ""


@check(
    area="reasoning",
    enforces=("semantic/reasoning", "semantic/reasoning/on"),
    citation=f"{BASELINE_REASONING}: thinking on gives non-empty reasoning_content",
    applies=_on,
)
def reasoning_present_when_on(ctx: CheckContext, exchange: Exchange) -> None:
    """With thinking on (explicitly, or by the contract's default), every choice carries a
    non-empty ``reasoning_content``."""
    state = thinking_state(ctx, exchange)
    how = "explicitly" if state and state[1] else "by default"
    effort = request_body(exchange).get("reasoning_effort")
    if effort in NO_EFFORT:
        raise CheckSkipped(f"reasoning_effort {effort!r} asks for no reasoning")
    choices = assembled_choices(exchange)
    if not choices:
        raise CheckSkipped("the answer has no choices")
    for position, choice in enumerate(choices):
        if reasoning_text(choice):
            continue
        text = content_of(choice)
        if choice.get("finish_reason") == "length" and not text:
            raise CheckSkipped("the token bound cut the answer before anything was produced")
        raise CheckFailed(
            f"thinking on ({how}) but no reasoning_content{_elsewhere(choice)}",
            received=f"choices[{position}] reasoning_content "
            f"{(choice.get('message') or {}).get('reasoning_content')!r}, content {text!r}",
            expected=f"a non-empty reasoning_content ({cited(ctx, 'reasoning')})",
            rule="semantic/reasoning/on",
        )


@check(
    area="reasoning",
    enforces=("semantic/reasoning", "semantic/reasoning/off"),
    citation=f"{BASELINE_REASONING}: thinking off gives reasoning_content absent or empty",
    applies=_off,
)
def reasoning_absent_when_off(ctx: CheckContext, exchange: Exchange) -> None:
    """With thinking switched off, ``reasoning_content`` is absent, null or empty."""
    choices = assembled_choices(exchange)
    if not choices:
        raise CheckSkipped("the answer has no choices")
    for position, choice in enumerate(choices):
        reasoning = reasoning_text(choice)
        if reasoning:
            raise CheckFailed(
                "thinking switched off but the answer reasons",
                received=f"choices[{position}] reasoning_content {reasoning!r}",
                expected=f"reasoning_content absent, null or empty ({cited(ctx, 'reasoning')})",
                rule="semantic/reasoning/off",
            )
        if _elsewhere(choice):
            ctx.observe(
                f"thinking off, yet choices[{position}] reasons{_elsewhere(choice)}",
                probe=exchange.probe.id,
                check="reasoning_absent_when_off",
            )
