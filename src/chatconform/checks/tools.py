"""Checks of the tools area: ``tools``, ``tool_choice`` and ``parallel_tool_calls``.

An endpoint that accepts ``tools`` can still ignore them: answer in prose when a call
was required, call a tool when ``tool_choice`` is ``none``, call another function than
the one named, return arguments that are not JSON, or stream call pieces a client
cannot reassemble. Each of those is a separate check so a report names the exact fault.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chatconform.checks._effects import (
    arguments_problem,
    calls_of,
    choice_mode,
    cited,
    declared,
    named_function,
    piece_problem,
    semantic_applies,
)
from chatconform.engine.exchange import Exchange
from chatconform.engine.failures import CheckFailed, CheckSkipped
from chatconform.engine.message import (
    assembled_choices,
    is_event_stream,
    request_body,
    stream_chunks,
)
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
        if choice.get("finish_reason") == "length":
            raise CheckSkipped("the token bound cut the answer before any tool call")
        raise CheckFailed(
            'tool_choice "required" accepted but no tool was called',
            received=_answer(choice),
            expected=f"at least one tool call ({cited(ctx, 'tools')})",
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
        if not calls and choice.get("finish_reason") == "length":
            raise CheckSkipped("the token bound cut the answer before any tool call")
        names = _names(calls)
        if not calls or any(name != wanted for name in names):
            raise CheckFailed(
                f"tool_choice named {wanted!r} accepted but not followed",
                received=f"tool_calls {names}" if calls else _answer(choice),
                expected=f"calls of {wanted!r} only ({cited(ctx, 'tools')})",
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
        function = call.get("function") if isinstance(call, Mapping) else None
        problems = []
        if not isinstance(call, Mapping):
            problems.append("not an object")
        else:
            if not isinstance(call.get("id"), str) or not call["id"]:
                problems.append(f"id {call.get('id')!r}")
            if call.get("type") != "function":
                problems.append(f"type {call.get('type')!r}")
            name = function.get("name") if isinstance(function, Mapping) else None
            if name not in names:
                problems.append(f"function.name {name!r} not declared")
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
    citation=f"{BASELINE_TOOLS} as streamed chunks: indexed pieces, head first, then arguments",
    applies=_streamed_with_tools,
)
def stream_tool_call_deltas(ctx: CheckContext, exchange: Exchange) -> None:
    """Streamed tool-call pieces can be reassembled: every piece has an ``index``, the
    first piece of a call carries ``id``, ``type`` and ``function.name``, later pieces
    only argument fragments (a repeated id or name is concatenated by clients that
    accumulate deltas, corrupting the call; a repeated ``type`` is harmless)."""
    seen: set[tuple[int, int]] = set()
    problems: list[str] = []
    for number, chunk in enumerate(stream_chunks(exchange), start=1):
        for position, choice in enumerate(chunk.get("choices") or ()):
            if not isinstance(choice, Mapping):
                continue
            delta = choice.get("delta")
            pieces = delta.get("tool_calls") if isinstance(delta, Mapping) else None
            for piece in pieces if isinstance(pieces, list) else ():
                where = f"chunk {number}"
                problem = piece_problem(piece, choice.get("index", position), seen)
                if problem:
                    problems.append(f"{where}: {problem}")
    if not seen and not problems:
        raise CheckSkipped("the stream carries no tool-call pieces")
    if problems:
        raise CheckFailed(
            "streamed tool-call pieces cannot be reassembled",
            received="; ".join(problems[:3]) + (" ..." if len(problems) > 3 else ""),
            expected="each piece has index; the first of an index carries id, type "
            "function and function.name; later ones only function.arguments",
            rule="semantic/tools/stream-deltas",
        )
