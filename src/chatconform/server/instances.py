"""A small deterministic JSON Schema instance generator.

The reference server answers ``response_format: json_schema`` and tool calls with JSON
that must validate against a schema the client sent. A real model is not needed for that,
only a value built from the schema's keywords; the same schema always yields the same
value, so answers stay reproducible. It covers the keywords request and tool schemas use
in practice (types, ``enum``/``const``, bounds, ``required``, ``items``/``prefixItems``,
local ``$ref``, ``anyOf``/``oneOf``/``allOf``, common string ``format`` values).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

_FORMATS = {
    "date-time": "2026-01-01T00:00:00Z",
    "date": "2026-01-01",
    "time": "00:00:00Z",
    "email": "user@example.com",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "ipv4": "127.0.0.1",
    "hostname": "example.com",
}
_OPTIONAL_DEPTH = 3  # below this depth only required properties are filled in
_MAX_DEPTH = 12  # recursive schemas ($ref to self) stop here with the simplest value


def instance_for(schema: Any, *, root: Any = None) -> Any:
    """A value valid against ``schema`` (best effort for keywords outside the list above)."""
    return _instance(schema, root if root is not None else schema, 0)


def _instance(schema: Any, root: Any, depth: int) -> Any:
    if schema is True or not isinstance(schema, Mapping):
        return "value"
    if "$ref" in schema:
        return _instance(_resolve(schema["$ref"], root), root, depth + 1)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    if "allOf" in schema:
        merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        for part in schema["allOf"]:
            merged = _merge(merged, _deref(part, root))
        return _instance(merged, root, depth + 1)
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            return _instance(_pick_branch(schema[key], root), root, depth + 1)
    kind = _kind(schema)
    if depth > _MAX_DEPTH:
        return {"object": {}, "array": []}.get(kind, _scalar(kind, schema))
    if kind == "object":
        return _object(schema, root, depth)
    if kind == "array":
        return _array(schema, root, depth)
    return _scalar(kind, schema)


def _kind(schema: Mapping[str, Any]) -> str:
    declared = schema.get("type")
    if isinstance(declared, list):
        choices = [t for t in declared if t != "null"] or ["null"]
        return str(choices[0])
    if isinstance(declared, str):
        return declared
    if "properties" in schema or "required" in schema:
        return "object"
    if "items" in schema or "prefixItems" in schema:
        return "array"
    if any(k in schema for k in ("minimum", "maximum", "exclusiveMinimum", "multipleOf")):
        return "number"
    return "string"


def _object(schema: Mapping[str, Any], root: Any, depth: int) -> dict[str, Any]:
    properties: Mapping[str, Any] = schema.get("properties", {})
    required = list(schema.get("required", []))
    # Optional properties make the value look like a real one, but not forever: a
    # recursive schema would never end.
    names = list(properties) if depth < _OPTIONAL_DEPTH else []
    names += [n for n in required if n not in names]
    out = {name: _instance(properties.get(name, True), root, depth + 1) for name in names}
    extra = schema.get("additionalProperties")
    filler = 0
    while len(out) < int(schema.get("minProperties", 0)) and extra is not False:
        filler += 1
        out[f"extra_{filler}"] = _instance(extra if extra is not None else True, root, depth + 1)
    return out


def _array(schema: Mapping[str, Any], root: Any, depth: int) -> list[Any]:
    prefix = [_instance(s, root, depth + 1) for s in schema.get("prefixItems", [])]
    count = max(int(schema.get("minItems", 1 if "items" in schema else 0)), len(prefix))
    count = min(count, int(schema.get("maxItems", count)))
    item_schema = schema.get("items", True)
    items = prefix[:count]
    while len(items) < count:
        item = _instance(item_schema, root, depth + 1)
        if schema.get("uniqueItems") and item in items:
            item = _vary(item, len(items))
        items.append(item)
    return items


def _scalar(kind: str, schema: Mapping[str, Any]) -> Any:
    if kind == "null":
        return None
    if kind == "boolean":
        return True
    if kind in ("integer", "number"):
        return _number(schema, integer=kind == "integer")
    fmt = schema.get("format")
    text = _FORMATS.get(fmt, "value") if isinstance(fmt, str) else "value"
    low = int(schema.get("minLength", 0))
    high = int(schema.get("maxLength", max(low, len(text))))
    if len(text) < low:
        text = text + "x" * (low - len(text))
    return text[:high]


def _number(schema: Mapping[str, Any], *, integer: bool) -> int | float:
    low = schema.get("minimum")
    high = schema.get("maximum")
    if "exclusiveMinimum" in schema:
        bound = schema["exclusiveMinimum"]
        low = math.floor(bound) + 1 if integer else bound + 0.5
    if "exclusiveMaximum" in schema:
        bound = schema["exclusiveMaximum"]
        high = math.ceil(bound) - 1 if integer else bound - 0.5
    value: float = 1
    if low is not None and value < low:
        value = low
    if high is not None and value > high:
        value = high if low is None else (low + high) / 2 if not integer else low
    step = schema.get("multipleOf")
    if step:
        value = math.ceil(value / step) * step
    if integer:
        return math.ceil(value)
    return value


def _vary(item: Any, n: int) -> Any:
    if isinstance(item, str):
        return f"{item}{n}"
    if isinstance(item, bool):
        return not item
    if isinstance(item, int | float):
        return item + n
    return item


def _pick_branch(branches: list[Any], root: Any) -> Any:
    # A non-null branch gives a more useful value than null.
    for branch in branches:
        resolved = _deref(branch, root)
        if not (isinstance(resolved, Mapping) and resolved.get("type") == "null"):
            return resolved
    return branches[0]


def _deref(schema: Any, root: Any) -> Any:
    if isinstance(schema, Mapping) and "$ref" in schema:
        return _resolve(schema["$ref"], root)
    return schema


def _merge(left: dict[str, Any], right: Any) -> dict[str, Any]:
    if not isinstance(right, Mapping):
        return left
    merged = dict(left)
    for key, value in right.items():
        if key == "properties":
            merged["properties"] = {**merged.get("properties", {}), **value}
        elif key == "required":
            merged["required"] = [*merged.get("required", []), *value]
        else:
            merged.setdefault(key, value)
    return merged


def _resolve(ref: str, root: Any) -> Any:
    if not ref.startswith("#"):
        return True  # remote references are not followed: any value
    node = root
    for part in ref.lstrip("#").strip("/").split("/"):
        if not part:
            continue
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit():
            node = node[int(part)]
        else:
            return True
    return node
