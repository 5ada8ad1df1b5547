"""Reading tool calls: what a request declares and what an answer calls.

The tools checks and the bound checks both look at calls (a call cut mid-arguments is
evidence of a cut), and a stream's calls arrive as pieces that must be read apart from
their assembly. Kept apart from ``_effects`` so each stays a readable size.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from jsonschema.exceptions import SchemaError

from chatconform.checks._effects import int_of, schema_errors
from chatconform.engine.exchange import Exchange
from chatconform.engine.message import stream_chunks


def declared(body: Mapping[str, Any]) -> dict[str, Any]:
    """Declared function name -> its ``parameters`` schema (None when absent)."""
    out: dict[str, Any] = {}
    for tool in body.get("tools") or ():
        function = tool.get("function") if isinstance(tool, Mapping) else None
        if isinstance(function, Mapping) and isinstance(function.get("name"), str):
            out[function["name"]] = function.get("parameters")
    return out


def calls_of(choice: Mapping[str, Any]) -> list[Any]:
    message = choice.get("message")
    calls = message.get("tool_calls") if isinstance(message, Mapping) else None
    return calls if isinstance(calls, list) else []


def choice_mode(body: Mapping[str, Any]) -> str | None:
    """``none`` / ``auto`` / ``required`` / ``function`` (a named function), else None."""
    choice = body.get("tool_choice")
    if isinstance(choice, str):
        return choice
    if isinstance(choice, Mapping) and choice.get("type") == "function":
        return "function"
    return None


def named_function(body: Mapping[str, Any]) -> str | None:
    choice = body.get("tool_choice")
    function = choice.get("function") if isinstance(choice, Mapping) else None
    name = function.get("name") if isinstance(function, Mapping) else None
    return name if isinstance(name, str) else None


def arguments_problem(arguments: Any, parameters: Any) -> str:
    """What is wrong with tool-call ``arguments`` given the declared ``parameters``, or ""."""
    if not isinstance(arguments, str):
        return f"are a {type(arguments).__name__}, not a JSON string"
    try:
        value = json.loads(arguments)
    except ValueError:
        return "are not valid JSON"
    if not isinstance(value, dict):
        return "are JSON but not an object"
    if isinstance(parameters, Mapping):
        try:
            errors = schema_errors(parameters, value)
        except SchemaError:
            return ""  # the request declared an invalid schema: nothing to hold it to
        if errors:
            return "do not match parameters: " + "; ".join(errors[:3])
    return ""


def call_problems(call: Any, names: Mapping[str, Any]) -> list[str]:
    """What keeps a tool call from the baseline's shape (a string ``id``, ``type:
    "function"``, a declared ``function.name``), or []."""
    if not isinstance(call, Mapping):
        return ["not an object"]
    problems = []
    if not _text(call.get("id")):
        problems.append(f"id {call.get('id')!r}")
    if call.get("type") != "function":
        problems.append(f"type {call.get('type')!r}")
    function = call.get("function")
    name = function.get("name") if isinstance(function, Mapping) else None
    if name not in names:
        problems.append(f"function.name {name!r} not declared")
    return problems


def cut_arguments(choice: Mapping[str, Any]) -> str | None:
    """The arguments of the first tool call that do not parse as JSON, if any: text cut
    in the middle of a call is what a bound leaves behind."""
    for call in calls_of(choice):
        function = call.get("function") if isinstance(call, Mapping) else None
        arguments = function.get("arguments") if isinstance(function, Mapping) else None
        if isinstance(arguments, str):
            try:
                json.loads(arguments)
            except ValueError:
                return arguments
    return None


Heads = dict[tuple[int, int], dict[str, list[str]]]


def read_pieces(exchange: Exchange) -> tuple[Heads, list[str]]:
    """The streamed tool-call pieces, read one by one: for each (choice, call index) the
    ``id`` and ``function.name`` values its pieces carry, in order, and the pieces that
    cannot be placed in a call (no integer ``index``)."""
    heads: Heads = {}
    unplaced: list[str] = []
    for number, chunk in enumerate(stream_chunks(exchange), start=1):
        for position, choice in enumerate(chunk.get("choices") or ()):
            if not isinstance(choice, Mapping):
                continue
            at = int_of(choice.get("index"))
            delta = choice.get("delta")
            pieces = delta.get("tool_calls") if isinstance(delta, Mapping) else None
            for piece in pieces if isinstance(pieces, list) else ():
                index = int_of(piece.get("index")) if isinstance(piece, Mapping) else None
                if not isinstance(piece, Mapping) or index is None:
                    unplaced.append(f"chunk {number}: piece without an integer index: {piece!r}")
                    continue
                seen = heads.setdefault((position if at is None else at, index), {})
                for key, value in _head(piece).items():
                    seen.setdefault(key, []).append(value)
    return heads, unplaced


def repeated_heads(heads: Heads) -> list[str]:
    """For each call whose pieces repeat its ``id`` or ``name``, what a client that
    concatenates deltas reads (the official OpenAI SDK concatenates every string but
    ``index`` and ``type``)."""
    notes = []
    for (choice, index), seen in sorted(heads.items()):
        repeated = {key: values for key, values in seen.items() if len(values) > 1}
        if repeated:
            reads = ", ".join(
                f"{key} {_cap(''.join(values))!r}" for key, values in repeated.items()
            )
            count = max(len(values) for values in repeated.values())
            notes.append(
                f"choice {choice} tool call {index}: {count} pieces carry "
                f"{' and '.join(repeated)}; a client that concatenates deltas, as the "
                f"official OpenAI SDK does, reads {reads}"
            )
    return notes


def _cap(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _head(piece: Mapping[str, Any]) -> dict[str, str]:
    raw = piece.get("function")
    function: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    found = {"id": piece.get("id"), "function.name": function.get("name")}
    return {key: value for key, value in found.items() if isinstance(value, str) and value}


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value)
