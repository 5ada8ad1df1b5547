"""Request builders the fault triggers share.

A trigger must be valid for the contract in every respect but the one it exercises, so
it starts from the contract's own default model and a plain user message whose words the
reference server echoes (``alpha ... hotel``: stop sequences and token bounds cut it
visibly).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from chatconform.contracts.model import Contract, Rule

WORDS = "alpha bravo charlie delta echo foxtrot golf hotel"
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather for a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "get_time",
            "description": "Current time in a time zone.",
            "parameters": {
                "type": "object",
                "properties": {"zone": {"type": "string"}, "hours24": {"type": "boolean"}},
                "required": ["zone"],
            },
        },
    },
]
SCHEMA = {
    "type": "object",
    "properties": {
        "city": {"type": "string"},
        "days": {"type": "integer", "minimum": 1, "maximum": 7},
    },
    "required": ["city", "days"],
    "additionalProperties": False,
}


def body(contract: Contract, **extra: Any) -> dict[str, Any]:
    """A minimal valid request for ``contract``'s default model, plus ``extra``."""
    out: dict[str, Any] = {
        "model": contract.models.default,
        "messages": [{"role": "user", "content": WORDS}],
    }
    out.update(extra)
    return out


def stream(contract: Contract, **extra: Any) -> dict[str, Any]:
    return body(contract, stream=True, **extra)


def thinking(contract: Contract, on: bool) -> dict[str, Any]:
    """The request fields that turn thinking on or off under the contract's switch."""
    switch = contract.semantics.get("reasoning", {}).get("switch", "thinking")
    if switch == "thinking_enabled":
        return {"thinking_enabled": on}
    return {"thinking": {"type": "enabled" if on else "disabled"}}


def keyword(schema: Any, name: str) -> Any:
    """The first value of keyword ``name`` anywhere in ``schema`` (None if absent)."""
    if isinstance(schema, Mapping):
        if name in schema:
            return schema[name]
        children: Any = schema.values()
    elif isinstance(schema, list):
        children = schema
    else:
        return None
    for child in children:
        found = keyword(child, name)
        if found is not None:
            return found
    return None


def bound(contract: Contract, field: str, name: str, default: Any = None) -> Any:
    spec = contract.fields.get(field)
    found = keyword(spec.schema, name) if spec is not None else None
    return default if found is None else found


def model_rules(contract: Contract, kind: str) -> Iterator[Rule]:
    """Hard per-model rules of ``kind`` (forbidden, not_value, enum)."""
    for rule in contract.rules_in("model"):
        if rule.is_hard and rule.kind == kind and rule.params.get("model"):
            yield rule


def first_model_rule(contract: Contract, kind: str) -> Rule:
    return next(model_rules(contract, kind))
