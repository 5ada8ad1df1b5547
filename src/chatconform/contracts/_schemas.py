"""The JSON Schema pieces a contract compiles into: cross-field and per-model rules as
``allOf`` members, and standalone response/chunk/error schemas.

Kept apart from the compiler so the exact shape of each compiled rule is in one place:
tests take a rule back out of a compiled schema by rebuilding its piece from here.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping
from typing import Any

from chatconform.contracts import _derive
from chatconform.contracts.errors import pointer

DRAFT = "https://json-schema.org/draft/2020-12/schema"


def per_model_schema(entry: Mapping[str, Any]) -> dict[str, Any]:
    """``if model is one of entry.models then <restriction>`` for one per-model entry."""
    kind, name = entry["kind"], entry["field"]
    if kind == "forbidden":
        then: dict[str, Any] = {"not": {"required": [name]}}
    elif kind == "not_value":
        then = {"properties": {name: {"not": {"const": entry["value"]}}}}
    else:
        then = {"properties": {name: {"enum": list(entry["enum"])}}}
    return {
        "if": {"required": ["model"], "properties": {"model": {"enum": list(entry["models"])}}},
        "then": then,
    }


def response_view(
    section: Mapping[str, Any], semantics: Collection[str]
) -> tuple[dict[str, Any], dict[tuple[str, str], str]]:
    """The response section as the compiled schemas read it, and where extras came from.

    Vendor ``extras`` are merged into their ``$defs`` location; a property marked
    ``x-semantic: <name>`` stays only where the contract carries that semantic (the
    baseline states ``reasoning_content`` only "where documented"). The map gives, for
    each ``($defs location, property)`` an extra supplied, the pointer of that extra."""
    response = copy.deepcopy(dict(section))
    defs = response.setdefault("$defs", {})
    origins: dict[tuple[str, str], str] = {}
    for location, props in response.get("extras", {}).items():
        defs.setdefault(location, {"type": "object"}).setdefault("properties", {}).update(props)
        for name in props:
            origins[(location, name)] = f"/response/extras{pointer(location, name)}"
    _keep_semantic(response, set(semantics))
    return response, origins


def _keep_semantic(node: Any, semantics: set[str]) -> None:
    if isinstance(node, list):
        for item in node:
            _keep_semantic(item, semantics)
    if not isinstance(node, dict):
        return
    props = node.get("properties")
    if isinstance(props, dict):
        for name in [n for n, sub in props.items() if _unstated(sub, semantics)]:
            del props[name]
    for value in node.values():
        _keep_semantic(value, semantics)


def _unstated(schema: Any, semantics: set[str]) -> bool:
    return (
        isinstance(schema, Mapping)
        and "x-semantic" in schema
        and (schema["x-semantic"] not in semantics)
    )


def response_schemas(
    contract_id: str, section: Mapping[str, Any], semantics: Collection[str] = ()
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(completion, chunk, error) schemas: vendor extras merged into their ``$defs``
    location, every ``$ref`` inlined so each schema stands alone."""
    response, _ = response_view(section, semantics)
    view = {"response": response}

    def build(name: str) -> dict[str, Any]:
        body = _derive.inline_refs(response.get(name, {}), view)
        return {
            "$schema": DRAFT,
            "$id": f"https://chatconform.dev/contracts/{contract_id}/{name}.json",
            **_derive.compile_schema(body),
        }

    return build("completion"), build("chunk"), build("error")


def cross_schema(kind: str, entry: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """(the field the rule is about, its JSON Schema) for one cross-field entry."""
    if kind == "exclusive":
        return "", {"not": {"required": list(entry["fields"])}}
    if kind == "requires":
        needs = entry["needs"]
        return entry["field"], {
            "if": {"required": [entry["field"]]},
            "then": {
                "required": list(needs),
                "properties": {k: {"const": v} for k, v in needs.items()},
            },
        }
    where = str(entry["where"])
    if_part = {
        "required": list(entry["if"]),
        "properties": {k: {"const": v} for k, v in entry["if"].items()},
    }
    if kind == "required_if":
        item = {"if": if_part, "then": {"required": list(entry["then_required"])}}
        field = f"{where}.{'+'.join(entry['then_required'])}"
    else:  # only_if: the field may appear only where the condition holds
        item = {"if": {"required": [entry["field"]]}, "then": if_part}
        field = f"{where}.{entry['field']}"
    return field, nest(where, item)


def nest(where: str, item: dict[str, Any]) -> dict[str, Any]:
    """Wrap ``item`` so it applies at ``where`` ("messages[]") from the body's root."""
    schema = item
    for part in reversed(where.replace("[]", ".[]").split(".")):
        schema = {"items": schema} if part == "[]" else {"properties": {part: schema}}
    return schema


def title_of(field: str, kind: str, params: Mapping[str, Any]) -> str:
    value = params.get(kind)
    symbols = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}
    if kind in symbols:
        return f"{field} {symbols[kind]} {value}"
    if kind == "enum":
        return f"{field} is one of {', '.join(map(str, value or []))}"
    if kind == "required":
        return f"{field} is required"
    return f"{field}: {kind} {value}" if value is not None else f"{field}: {kind}"
