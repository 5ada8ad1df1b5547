"""Rules from schemas: one rule per constraint keyword of a request field's schema.

A vendor page states constraints field by field ("0 <= x <= 2", "最多 4 个"); the
contract writes them as JSON Schema, and this module turns every constraint keyword back
into a named, cited rule so a report can say which statement a request broke. The same
walk strips the contract's own annotations (``x-cite``, ``x-advice``, ``x-known``) to
give the compiled, hard-only schema.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from chatconform.contracts.errors import pointer as make_pointer
from chatconform.contracts.model import Strength

# The constraint keywords that state a rule (docs/contracts.md, "Derived request rules").
RULE_KEYWORDS = (
    "type",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "enum",
    "const",
    "minItems",
    "maxItems",
    "minLength",
    "maxLength",
)
_UNIONS = ("anyOf", "oneOf")


@dataclass(frozen=True)
class Found:
    """One constraint found in a field schema, before it becomes a ``Rule``."""

    path: str  # dotted request path, "messages[].role"
    keyword: str  # "maximum", "enum", "required"...
    value: Any
    pointer: str  # JSON pointer of the keyword in the merged contract
    strength: Strength

    @property
    def rule_id(self) -> str:
        return f"request/{self.path}/{self.keyword}"


def join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def walk(schema: Any, path: str, ptr: str, in_union: bool = False) -> Iterator[Found]:
    """Every constraint of ``schema`` (at request ``path``, JSON pointer ``ptr``)."""
    if not isinstance(schema, Mapping):
        return
    implied = "enum" in schema or "const" in schema
    for keyword in RULE_KEYWORDS:
        if keyword not in schema:
            continue
        # enum/const fix the type; a union branch's type only says which branch applies.
        if keyword == "type" and (implied or in_union):
            continue
        yield Found(path, keyword, schema[keyword], f"{ptr}/{keyword}", "hard")
    for index, name in enumerate(schema.get("required", [])):
        yield Found(join(path, name), "required", name, f"{ptr}/required/{index}", "hard")
    for keyword, value in schema.get("x-advice", {}).items():
        yield Found(path, keyword, value, f"{ptr}/x-advice/{keyword}", "advice")
    if "x-known" in schema:
        yield Found(path, "enum", schema["x-known"], f"{ptr}/x-known", "open")
    for name, sub in schema.get("properties", {}).items():
        yield from walk(sub, join(path, name), f"{ptr}/properties{make_pointer(name)}")
    if "items" in schema:
        yield from walk(schema["items"], f"{path}[]", f"{ptr}/items")
    for key in _UNIONS:
        for index, branch in enumerate(schema.get(key, [])):
            yield from walk(branch, path, f"{ptr}/{key}/{index}", in_union=True)


def compile_schema(schema: Any) -> Any:
    """The hard-only JSON Schema: annotations removed, ``type`` dropped beside enum/const."""
    if isinstance(schema, list):
        return [compile_schema(s) for s in schema]
    if not isinstance(schema, Mapping):
        return schema
    out: dict[str, Any] = {}
    implied = "enum" in schema or "const" in schema
    for key, value in schema.items():
        if key.startswith("x-") or (key == "type" and implied):
            continue
        if key in ("properties", "$defs"):
            out[key] = {k: compile_schema(v) for k, v in value.items()}
        elif key in ("items", "not", "if", "then", "else", "contains", "additionalProperties"):
            out[key] = compile_schema(value)
        elif key in ("anyOf", "oneOf", "allOf"):
            out[key] = [compile_schema(v) for v in value]
        else:
            out[key] = value
    return out


def inline_refs(schema: Any, document: Mapping[str, Any], depth: int = 0) -> Any:
    """``schema`` with every local ``$ref`` (a pointer into ``document``) replaced by its
    target, so the compiled schemas stand alone (jsonschema, OpenAPI and schemathesis
    all read them without a registry)."""
    if depth > 32:
        raise ValueError("$ref nesting deeper than 32: a cycle?")
    if isinstance(schema, list):
        return [inline_refs(s, document, depth) for s in schema]
    if not isinstance(schema, Mapping):
        return schema
    if "$ref" in schema:
        target = resolve(document, str(schema["$ref"]))
        rest = {k: v for k, v in schema.items() if k != "$ref"}
        merged = {**inline_refs(target, document, depth + 1), **rest}
        return merged
    return {k: inline_refs(v, document, depth) for k, v in schema.items()}


def resolve(document: Any, ref: str) -> Any:
    """The value at ``ref`` (``#/a/b`` or ``/a/b``) in ``document``."""
    node = document
    for raw in ref.lstrip("#").split("/")[1:]:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            node = node[int(part)]
        elif isinstance(node, Mapping) and part in node:
            node = node[part]
        else:
            raise KeyError(ref)
    return node


def exists(document: Any, ptr: str) -> bool:
    try:
        resolve(document, ptr)
    except (KeyError, IndexError, ValueError):
        return False
    return True


def nearest(document: Any, ptr: str, key: str) -> Any:
    """The ``key`` entry of the deepest object on the way to ``ptr`` that has one."""
    parts = ptr.split("/")[1:]
    found = None
    node = document
    for part in ["", *parts]:
        if part:
            name = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, list) and name.isdigit() and int(name) < len(node):
                node = node[int(name)]
            elif isinstance(node, Mapping) and name in node:
                node = node[name]
            else:
                break
        if isinstance(node, Mapping) and isinstance(node.get(key), Mapping):
            found = node[key]
    return found
