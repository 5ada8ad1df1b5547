"""The shape of a JSON response: which paths carry which types.

Two providers that both pass every check can still answer differently (an extra
field, a null where the other sends a string). The shape makes that comparable across
runs and providers without storing response bodies: ``choices[].message.content ->
string|null``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chatconform.engine.exchange import Exchange
from chatconform.engine.message import is_event_stream, stream_chunks


def type_name(value: Any) -> str:
    """The JSON type of ``value``: string, integer, number, boolean, null, object, array."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list | tuple):
        return "array"
    return type(value).__name__


def json_shape(value: Any, prefix: str = "") -> dict[str, str]:
    """JSON path -> type name for every path under ``value`` (the root itself excluded).

    Array items share one path (``choices[]``); a path seen with several types gets
    them all, sorted and joined with ``|``.
    """
    found: dict[str, set[str]] = {}
    _walk(value, prefix, found)
    return {path: "|".join(sorted(types)) for path, types in sorted(found.items())}


def union_shape(values: Iterable[Any], prefix: str = "") -> dict[str, str]:
    """The shape of several documents at once (e.g. the chunks of one stream)."""
    found: dict[str, set[str]] = {}
    for value in values:
        _walk(value, prefix, found)
    return {path: "|".join(sorted(types)) for path, types in sorted(found.items())}


def exchange_shape(exchange: Exchange) -> dict[str, str]:
    """The response's shape: the body for JSON, the union over chunks (``chunk.``) for SSE."""
    if is_event_stream(exchange):
        return union_shape(stream_chunks(exchange), prefix="chunk")
    body = exchange.response.json
    return json_shape(body) if body is not None else {}


def _walk(value: Any, path: str, found: dict[str, set[str]]) -> None:
    if path:
        found.setdefault(path, set()).add(type_name(value))
    if isinstance(value, dict):
        for key, child in value.items():
            _walk(child, f"{path}.{key}" if path else str(key), found)
    elif isinstance(value, list):
        for child in value:
            _walk(child, f"{path}[]", found)
