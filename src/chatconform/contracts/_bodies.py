"""Valid request bodies to edit: minimal, with a field's companions, cost-capped.

Shared by the violation and boundary builders so both start from the same valid body
and differ from it only in the place under test.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from chatconform.contracts import _instances as inst
from chatconform.contracts.model import Contract, Rule

# Fields whose value bounds the cost of a probe: never added when the rule is about them.
COST_FIELDS = ("max_tokens", "max_completion_tokens")
Body = dict[str, Any]


def minimal_request(contract: Contract, model: str | None = None) -> Body:
    """The smallest valid body: the model and one user message (plus any other field the
    contract makes required)."""
    prompt = str(contract.document.get("prompt", "Reply with OK"))
    body: Body = {
        "model": model or contract.models.default,
        "messages": [{"role": "user", "content": prompt}],
    }
    for name in contract.request_schema.get("required", []):
        if name not in body:
            body[name] = field_example(contract, name)
    return body


def field_example(contract: Contract, name: str) -> Any:
    spec = contract.fields.get(name)
    if spec is not None and spec.example is not None:
        return copy.deepcopy(spec.example)
    return inst.example(contract.request_schema.get("properties", {}).get(name, {}))


def top_of(path: str) -> str:
    return inst.tokens(path)[0] if path else ""


def base(contract: Contract, rule: Rule, model: str | None, with_field: bool = True) -> Body:
    """A valid body to edit for ``rule``: minimal, the rule's field and its companions
    present, and a cost cap unless the rule is about the cap."""
    body = minimal_request(contract, model)
    top = top_of(rule.field)
    if with_field and top and top not in body:
        body[top] = field_example(contract, top)
    spec = contract.document.get("request", {}).get("fields", {}).get(top, {})
    for name, value in (spec.get("companions") or {}).items():
        body.setdefault(name, copy.deepcopy(value))
    for other in contract.rules_in("request"):
        if other.kind == "requires" and other.field == top and other.is_hard:
            body.update(copy.deepcopy(dict(other.params["needs"])))
    return body


def keep_only_if(contract: Contract, body: Body, rule: Rule) -> Body:
    """Put a field an ``only_if`` rule restricts (``tool_calls``) where it is allowed (an
    assistant message), unless that rule is the one under test."""
    for other in contract.rules_in("request"):
        if other.kind != "only_if" or other.id == rule.id or not other.is_hard:
            continue
        where = inst.tokens(str(other.params["where"]))[0]
        for item in body.get(where) or []:
            if isinstance(item, dict) and other.params["field"] in item:
                item.update(copy.deepcopy(dict(other.params["if"])))
    return body


def carrier_edit(contract: Contract, body: Body, rule: Rule, edit: inst.Edit) -> Body | None:
    """``body`` with one more item where an ``only_if`` rule allows ``rule``'s field
    (``tool_calls`` on an assistant message after the user's), ``edit`` applied there;
    None when no hard ``only_if`` restricts the field. The user message stays first, so
    the conversation is one a server reads as ordinary but for the edit."""
    parts = inst.tokens(rule.field)
    for other in contract.rules_in("request"):
        if other.kind != "only_if" or not other.is_hard or other.id == rule.id:
            continue
        where = inst.tokens(str(other.params["where"]))
        head = [*where, str(other.params["field"])]
        if parts[: len(head)] != head or len(where) != 2 or where[1] != "[]":
            continue
        items = schema_at(contract, str(other.params["where"]))
        carrier = {**inst.example(items), **copy.deepcopy(dict(other.params["if"]))}
        edited = inst.put(carrier, items, parts[len(where) :], edit)
        out = copy.deepcopy(body)
        out[where[0]] = [*(out.get(where[0]) or []), edited]
        return out
    return None


def cap(contract: Contract, body: Body, about: set[str]) -> Body:
    if about & set(COST_FIELDS) or any(f in body for f in COST_FIELDS):
        return body
    for name, value in contract.document.get("probe_defaults", {}).items():
        body.setdefault(name, value)
    return body


def fit_model(contract: Contract, body: Body, keep: bool) -> str:
    """Switch to a listed model no hard per-model rule restricts for ``body``'s fields."""

    def restricted(model: str) -> bool:
        for rule in contract.rules_in("model"):
            if rule.is_hard and rule.params.get("model") == model and rule.field in body:
                value = body[rule.field]
                if (
                    rule.kind == "forbidden"
                    or (rule.kind == "not_value" and value == rule.params["value"])
                    or (rule.kind == "enum" and value not in rule.params["enum"])
                ):
                    return True
        return False

    if "model" not in body or not isinstance(body["model"], str):
        return ""
    if keep or not restricted(body["model"]):
        return str(body["model"])
    for model in contract.models.ids:
        if not restricted(model):
            body["model"] = model
            return model
    return str(body["model"])


def edit(contract: Contract, body: Body, path: str, edit: inst.Edit) -> Body:
    parts = inst.tokens(path)
    return dict(inst.put(body, contract.request_schema, parts, edit))


def schema_at(contract: Contract, path: str) -> Mapping[str, Any]:
    return inst.at(contract.request_schema, path)


def number_kind(contract: Contract, path: str) -> str:
    return "integer" if "integer" in inst.types_of(schema_at(contract, path)) else "number"


def beyond(bound: float, kind: str, direction: int) -> float:
    if kind == "integer":
        return int(bound) + direction
    return round(bound + direction * 0.0001, 6)


def items(schema: Mapping[str, Any], count: int) -> list[Any]:
    item = schema.get("items", {})
    if "string" in inst.types_of(item) and "enum" not in item:
        return [f"<stop-{i + 1}>" for i in range(count)]
    return [inst.example(item) for _ in range(count)]


def header_ok(rule: Rule) -> dict[str, str]:
    if rule.kind == "maxLength":
        return {rule.field: "r" * int(rule.params["maxLength"])}
    if rule.kind == "minLength":
        return {rule.field: "r" * int(rule.params["minLength"])}
    return {}


def at_bound(contract: Contract, rule: Rule) -> Any:
    value = rule.params[rule.kind]
    if rule.kind in ("minItems", "maxItems"):
        return items(schema_at(contract, rule.field), int(value))
    if rule.kind in ("minLength", "maxLength"):
        return "x" * int(value)
    return value
