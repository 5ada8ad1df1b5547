"""Valid JSON values from a schema, and edits at a dotted request path.

The violation builder needs a valid body it can change in exactly one place; these
helpers make the containers on the way valid (an array of parts where the minimal body
had a plain string, a tool message where there was none) so the one edit is the only
thing wrong.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from typing import Any

from jsonschema import Draft202012Validator

MISSING: Any = object()
DELETE: Any = object()
INVALID = "chatconform-invalid"
_TYPE_OF = Draft202012Validator.TYPE_CHECKER
# Probe values of each JSON type, in the order a wrong-type value is picked.
_WRONG = ("chatconform", 12345, 0.5, True, ["chatconform"], {"chatconform": 1})

Edit = Callable[[Any], Any]


def tokens(path: str) -> list[str]:
    """``messages[].content[].type`` -> ``["messages", "[]", "content", "[]", "type"]``."""
    return re.findall(r"\[\]|[^.\[\]]+", path)


def types_of(schema: Mapping[str, Any]) -> list[str]:
    value = schema.get("type")
    return [value] if isinstance(value, str) else list(value or [])


def is_type(value: Any, name: str) -> bool:
    return bool(_TYPE_OF.is_type(value, name))


def wrong_type(allowed: list[str]) -> Any:
    """A value of none of the ``allowed`` JSON types."""
    for value in _WRONG:
        if not any(is_type(value, t) for t in allowed):
            return copy.deepcopy(value)
    return None


def branch(schema: Mapping[str, Any], want: str) -> Mapping[str, Any]:
    """The union branch of ``schema`` for values of JSON type ``want`` (or ``schema``)."""
    for key in ("anyOf", "oneOf"):
        for sub in schema.get(key, []):
            if want in types_of(sub) or (want == "object" and "properties" in sub):
                return {**{k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")}, **sub}
    return schema


def example(schema: Any) -> Any:
    """A small value valid against ``schema`` (annotations ``examples`` preferred)."""
    if not isinstance(schema, Mapping):
        return None
    kinds = types_of(schema)
    if schema.get("examples"):
        first = schema["examples"][0]
        if not kinds or any(is_type(first, t) for t in kinds):
            return copy.deepcopy(first)
    if "const" in schema:
        return copy.deepcopy(schema["const"])
    if schema.get("enum"):
        return copy.deepcopy(schema["enum"][0])
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            first = schema[key][0]
            kinds = types_of(first)
            return example(branch(schema, kinds[0]) if kinds else first)
    kinds = kinds or ["object"]
    kind = next((k for k in kinds if k != "null"), kinds[0])
    if kind == "object":
        props = schema.get("properties", {})
        wanted = [*schema.get("required", []), *(k for k, v in props.items() if "examples" in v)]
        return {name: example(props.get(name, {})) for name in dict.fromkeys(wanted)}
    if kind == "array":
        count = max(int(schema.get("minItems", 1)), 1)
        return [example(schema.get("items", {})) for _ in range(count)]
    if kind == "string":
        return "x" * max(int(schema.get("minLength", 1)), 1)
    if kind == "integer":
        if "minimum" in schema:
            return int(schema["minimum"])
        return int(schema["exclusiveMinimum"]) + 1 if "exclusiveMinimum" in schema else 1
    if kind == "number":
        return schema.get("minimum", 1)
    if kind == "boolean":
        return True
    return None


def at(schema: Mapping[str, Any], path: str) -> Mapping[str, Any]:
    """The subschema of an object ``schema`` at request ``path`` (``{}`` when unknown)."""
    node: Mapping[str, Any] = schema
    for token in tokens(path):
        if token == "[]":
            node = branch(node, "array").get("items", {})
        else:
            node = branch(node, "object").get("properties", {}).get(token, {})
    return node


def put(node: Any, schema: Mapping[str, Any], parts: list[str], edit: Edit) -> Any:
    """``node`` with ``edit`` applied at ``parts``, making every container on the way a
    valid one when it is missing or of the other type of a union."""
    if not parts:
        return edit(node)
    head, rest = parts[0], parts[1:]
    if head == "[]":
        shape = branch(schema, "array")
        items = (
            list(node) if isinstance(node, list) and node else example({**shape, "type": "array"})
        )
        items[0] = put(items[0], shape.get("items", {}), rest, edit)
        return items
    shape = branch(schema, "object")
    obj = dict(node) if isinstance(node, dict) else example({**shape, "type": "object"})
    obj = dict(obj) if isinstance(obj, dict) else {}
    props = shape.get("properties", {})
    kinds = props.get("type", {}).get("enum", [])
    if head in kinds:
        # A part keyed by its type (``input_audio`` inside a part): make it that type.
        obj = {k: v for k, v in obj.items() if k not in kinds or k == head}
        obj["type"] = head
    value = put(obj.get(head, MISSING), props.get(head, {}), rest, edit)
    if value is DELETE:
        obj.pop(head, None)
    else:
        obj[head] = value
    return obj


def set_value(value: Any) -> Edit:
    return lambda _old: copy.deepcopy(value)


def outside(values: list[Any], prefer: list[Any] | None = None) -> Any:
    """A value of the same kind as ``values`` but not among them."""
    for candidate in prefer or []:
        if candidate not in values:
            return candidate
    if all(isinstance(v, str) for v in values):
        return INVALID
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if numbers and len(numbers) == len(values):
        return max(numbers) + 1
    if all(isinstance(v, bool) for v in values):
        return next((b for b in (True, False) if b not in values), INVALID)
    return INVALID
