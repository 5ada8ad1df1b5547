"""Checks of the tools area: ``tools``, ``tool_choice`` and ``parallel_tool_calls``.

An endpoint that accepts ``tools`` can still ignore them: answer in prose when a call
was required, call a tool when ``tool_choice`` is ``none``, call another function than
the one named, return arguments that are not JSON, or stream call pieces a client
cannot reassemble. Each of those is a separate check so a report names the exact fault.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chatconform.checks._effects import cited, content_of, semantic_applies
from chatconform.checks._tool_calls import (
    arguments_problem,
    call_problems,
    calls_of,
    choice_mode,
    declared,
    named_function,
    read_pieces,
    repeated_heads,
)
from chatconform.engine.exchange import Exchange
from chatconform.engine.failures import CheckFailed, CheckSkipped
from chatconform.engine.message import assembled_choices, is_event_stream, request_body
from chatconform.engine.prompts import tool_modes
from chatconform.engine.registry import Applies, CheckContext, check

BASELINE_TOOLS = "baseline: Generation semantics (tools)"


def _with_tools(mode: str | None = None) -> Applies:
    def when(body: dict[str, Any], params: Mapping[str, Any]) -> bool:
        if not declared(body):
            return False
        return mode is None or (choice_mode(body) == mode and mode in tool_modes(params))

    return semantic_applies("tools", "tools", when=when)


def _answer(choice: Mapping[str, Any]) -> str:
    message = choice.get("message")
    content = message.get("content") if isinstance(message, Mapping) else None
    return f"finish_reason {choice.get('finish_reason')!r}, content {content!r}"


def _names(calls: list[Any]) -> list[Any]:
    return [c.get("function", {}).get("name") if isinstance(c, Mapping) else c for c in calls]


def _skip_if_cut_before_anything(choice: Mapping[str, Any]) -> str:
    """Skip when the bound cut an answer that has no tool call and no text yet: the call
    may have been about to start. Prose already written under a forced tool_choice is the
    deviation itself, cut or not (a conformant server forces the call from the first
    token); the note returned says so in the failure."""
    if choice.get("finish_reason") != "length":
        return ""
    content = content_of(choice)
    if not (isinstance(content, str) and content.strip()):
        raise CheckSkipped("the token bound cut the answer before any text or tool call")
    return "; the bound cut it, but a forced call starts at the first token: prose is no call"


def _all_calls(exchange: Exchange) -> list[tuple[Mapping[str, Any], Any]]:
    """(choice, call) for every call of every choice; skips when there is none."""
    pairs: list[tuple[Mapping[str, Any], Any]] = [
        (c, call) for c in assembled_choices(exchange) for call in calls_of(c)
    ]
    if not pairs:
        raise CheckSkipped("the answer makes no tool call to inspect")
    return pairs


@check(
    area="tools",
    enforces=("semantic/tools", "semantic/tools/choice-none"),
    citation=f'{BASELINE_TOOLS}: tool_choice "none" gives no tool call',
    applies=_with_tools("none"),
)
def tool_choice_none_no_calls(ctx: CheckContext, exchange: Exchange) -> None:
    """``tool_choice: "none"`` gives no tool call."""
    for choice in assembled_choices(exchange):
        if calls_of(choice):
            raise CheckFailed(
                'tool_choice "none" accepted but the model called a tool',
                received=f"tool_calls {_names(calls_of(choice))}",
                expected=f"no tool call ({cited(ctx, 'tools')})",
                rule="semantic/tools/choice-none",
            )


@check(
    area="tools",
    enforces=("semantic/tools", "semantic/tools/choice-required"),
    citation=f'{BASELINE_TOOLS}: tool_choice "required" gives at least one call',
    applies=_with_tools("required"),
)
def tool_choice_required_calls(ctx: CheckContext, exchange: Exchange) -> None:
    """``tool_choice: "required"`` gives at least one tool call."""
    choices = assembled_choices(exchange)
    for choice in choices:
        if calls_of(choice):
            continue
        forced = _skip_if_cut_before_anything(choice)
        raise CheckFailed(
            'tool_choice "required" accepted but no tool was called',
            received=_answer(choice),
            expected=f"at least one tool call ({cited(ctx, 'tools')}){forced}",
            rule="semantic/tools/choice-required",
        )
    if not choices:
        raise CheckSkipped("the answer has no choices")


@check(
    area="tools",
    enforces=("semantic/tools", "semantic/tools/choice-function"),
    citation=f"{BASELINE_TOOLS}: a named function gives a call of that function",
    applies=_with_tools("function"),
)
def tool_choice_named_function(ctx: CheckContext, exchange: Exchange) -> None:
    """A ``tool_choice`` naming a function gives calls of that function only."""
    wanted = named_function(request_body(exchange))
    choices = assembled_choices(exchange)
    if wanted is None or not choices:
        raise CheckSkipped("no function name in tool_choice, or no choices")
    for choice in choices:
        calls = calls_of(choice)
        forced = "" if calls else _skip_if_cut_before_anything(choice)
        names = _names(calls)
        if not calls or any(name != wanted for name in names):
            raise CheckFailed(
                f"tool_choice named {wanted!r} accepted but not followed",
                received=f"tool_calls {names}" if calls else _answer(choice),
                expected=f"calls of {wanted!r} only ({cited(ctx, 'tools')}){forced}",
                rule="semantic/tools/choice-function",
            )


@check(
    area="tools",
    enforces=("semantic/tools", "semantic/tools/shape"),
    citation=f"{BASELINE_TOOLS}: string id, type function, a declared function.name",
    applies=_with_tools(),
)
def tool_call_shape(ctx: CheckContext, exchange: Exchange) -> None:
    """Each tool call has a string ``id``, ``type: "function"`` and a declared name."""
    names = declared(request_body(exchange))
    for _, call in _all_calls(exchange):
        problems = call_problems(call, names)
        if problems:
            raise CheckFailed(
                "malformed tool call: " + ", ".join(problems),
                received=call,
                expected=f'{{"id": str, "type": "function", "function": {{"name": one of '
                f"{sorted(names)}, ...}}}} ({cited(ctx, 'tools')})",
                rule="semantic/tools/shape",
            )


@check(
    area="tools",
    enforces=("semantic/tools", "semantic/tools/arguments"),
    citation=f"{BASELINE_TOOLS}: arguments a JSON string of an object valid against parameters",
    applies=_with_tools(),
)
def tool_arguments_valid(ctx: CheckContext, exchange: Exchange) -> None:
    """``function.arguments`` is a JSON string of an object valid against ``parameters``."""
    names = declared(request_body(exchange))
    checked = 0
    for choice, call in _all_calls(exchange):
        function = call.get("function") if isinstance(call, Mapping) else None
        if not isinstance(function, Mapping) or function.get("name") not in names:
            continue  # tool_call_shape reports it
        if choice.get("finish_reason") == "length":
            continue  # arguments cut by the bound prove nothing
        checked += 1
        problem = arguments_problem(function.get("arguments"), names[function["name"]])
        if problem:
            raise CheckFailed(
                f"tool call arguments for {function['name']!r} {problem}",
                received=function.get("arguments"),
                expected="a JSON string of an object valid against the function's "
                f"parameters ({cited(ctx, 'tools')})",
                rule="semantic/tools/arguments",
            )
    if not checked:
        raise CheckSkipped("no complete call of a declared function to inspect")


@check(
    area="tools",
    enforces=("semantic/tools", "semantic/tools/finish-reason"),
    citation=f"{BASELINE_TOOLS}: a turn that ends in tool calls has finish_reason tool_calls",
    applies=_with_tools(),
)
def finish_reason_tool_calls(ctx: CheckContext, exchange: Exchange) -> None:
    """A choice that ends in tool calls has ``finish_reason: "tool_calls"``."""
    checked = 0
    for choice in assembled_choices(exchange):
        finish = choice.get("finish_reason")
        if not calls_of(choice):
            if finish == "tool_calls":
                ctx.observe(
                    'finish_reason "tool_calls" on a choice without tool calls',
                    probe=exchange.probe.id,
                    check="finish_reason_tool_calls",
                )
            continue
        if finish == "length":
            continue
        checked += 1
        if finish != "tool_calls":
            raise CheckFailed(
                "a turn ending in tool calls does not say so",
                received=f"finish_reason {finish!r} with tool_calls {_names(calls_of(choice))}",
                expected=f'"tool_calls" ({cited(ctx, "tools")})',
                rule="semantic/tools/finish-reason",
            )
    if not checked:
        raise CheckSkipped("no choice ends in tool calls")


@check(
    area="tools",
    enforces=("semantic/parallel_tool_calls",),
    citation=f"{BASELINE_TOOLS}: parallel_tool_calls false gives at most one call",
    applies=semantic_applies(
        "parallel_tool_calls",
        "tools",
        "parallel_tool_calls",
        when=lambda b, _: b["parallel_tool_calls"] is False and bool(declared(b)),
    ),
)
def parallel_tool_calls_false(ctx: CheckContext, exchange: Exchange) -> None:
    """``parallel_tool_calls: false`` gives at most one tool call per choice."""
    counts = [len(calls_of(c)) for c in assembled_choices(exchange)]
    if not any(counts):
        raise CheckSkipped("the answer makes no tool call")
    for count, choice in zip(counts, assembled_choices(exchange), strict=True):
        if count > 1:
            raise CheckFailed(
                "parallel_tool_calls false accepted but several calls were made",
                received=f"{count} tool calls: {_names(calls_of(choice))}",
                expected=f"at most one tool call ({cited(ctx, 'parallel_tool_calls')})",
                rule="semantic/parallel_tool_calls",
            )


def _streamed_with_tools(ctx: CheckContext, exchange: Exchange) -> bool:
    return _with_tools()(ctx, exchange) and is_event_stream(exchange)


@check(
    area="tools",
    enforces=("semantic/tools", "semantic/tools/stream-deltas"),
    citation=f"{BASELINE_TOOLS} as streamed chunks: indexed pieces that assemble into "
    "calls with a string id, type function, a declared function.name",
    applies=_streamed_with_tools,
)
def stream_tool_call_deltas(ctx: CheckContext, exchange: Exchange) -> None:
    """Streamed tool-call pieces reassemble into well-formed calls: every piece has an
    integer ``index``, and each call assembled from them has a string ``id``, ``type:
    "function"`` and a declared ``function.name``.

    No stated rule says a later piece must omit ``id`` or ``name``; one that repeats them
    is an observation, since clients that concatenate deltas corrupt the call.
    """
    heads, problems = read_pieces(exchange)
    if not heads and not problems:
        raise CheckSkipped("the stream carries no tool-call pieces")
    for note in repeated_heads(heads):
        ctx.observe(note, probe=exchange.probe.id, check="stream_tool_call_deltas")
    names = declared(request_body(exchange))
    for choice in assembled_choices(exchange):
        for call in calls_of(choice):
            bad = call_problems(call, names)
            if bad:
                where = f"choice {choice.get('index')} call {call.get('index')}"
                problems.append(f"{where} assembles with {', '.join(bad)}")
    if problems:
        raise CheckFailed(
            "streamed tool-call pieces do not reassemble into well-formed calls",
            received="; ".join(problems[:3]) + (" ..." if len(problems) > 3 else ""),
            expected="every piece has an integer index; each assembled call has a string id, "
            f'type "function" and a function.name among {sorted(names)} ({cited(ctx, "tools")})',
            rule="semantic/tools/stream-deltas",
        )
