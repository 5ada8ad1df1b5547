"""Reading a non-streamed answer for the response checks: the body, its choices, the
contract's response schema at a path (which fields it documents), and the rule id that
names each fault.

Kept apart from ``responses.py`` so that module reads as the list of checks it is.
Paths use the contract's rule naming: dotted, ``[]`` for array items
(``choices[].message.role``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from jsonschema import ValidationError

from chatconform.engine.exchange import Exchange
from chatconform.engine.failures import CheckFailed, CheckSkipped
from chatconform.engine.registry import CheckContext

CITATION = "baseline: Non-streamed response"
MISSING: Any = object()  # a key the answer lacks (distinct from a JSON null)


def is_answer(ctx: CheckContext, exchange: Exchange) -> bool:
    """A 2xx answer to a non-streamed accept probe."""
    probe = exchange.probe
    return (
        probe.expect == "accept"
        and exchange.transport_error is None
        and exchange.response.is_success
        and not probe.request.stream
    )


def is_error_object(body: Any) -> bool:
    return isinstance(body, Mapping) and body.get("error") is not None and "choices" not in body


def completion(exchange: Exchange) -> dict[str, Any]:
    """The answer's JSON object; a skip when there is none to judge field by field."""
    body = exchange.response.json
    if not isinstance(body, dict):
        raise CheckSkipped("the body is not a JSON object: response_content_type reports it")
    if is_error_object(body):
        raise CheckSkipped("the 2xx body is an error object: no_error_with_200 reports it")
    return body


def choices(body: Mapping[str, Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    items = body.get("choices")
    for i, choice in enumerate(items if isinstance(items, list) else ()):
        if isinstance(choice, dict):
            yield i, choice


def messages(body: Mapping[str, Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    for i, choice in choices(body):
        if isinstance(choice.get("message"), dict):
            yield i, choice["message"]


def show(value: Any) -> str:
    return "(absent)" if value is MISSING else json.dumps(value, ensure_ascii=False)


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def rule_id(ctx: CheckContext, path: str, *kinds: str) -> str:
    """The id of the contract's rule on ``path`` for the first of ``kinds`` it states, else
    the id the naming scheme gives ``path`` and the first kind (``response/created/type``)."""
    for kind in kinds:
        for rule in ctx.contract.rules_in("response"):
            if rule.kind == kind and (rule.field == path or rule.id == f"response/{path}/{kind}"):
                return rule.id
    return f"response/{path}/{kinds[0]}"


@dataclass(frozen=True)
class Field:
    """A field the baseline names, with what it states about it (for the message)."""

    path: str
    states: str

    def fail(self, ctx: CheckContext, title: str, value: Any, *kinds: str) -> NoReturn:
        raise CheckFailed(
            title,
            received=show(value),
            expected=f"{self.states} ({CITATION})",
            rule=rule_id(ctx, self.path, *kinds),
        )


def _branches(root: Mapping[str, Any], node: Any, depth: int = 0) -> Iterator[Mapping[str, Any]]:
    """``node`` and every subschema that applies beside it (local ``$ref``, ``allOf``...)."""
    if not isinstance(node, Mapping) or depth > 16:
        return
    yield node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#"):
        target: Any = root
        for part in ref[1:].split("/")[1:]:
            key = part.replace("~1", "/").replace("~0", "~")
            target = target.get(key) if isinstance(target, Mapping) else None
        yield from _branches(root, target, depth + 1)
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in node.get(key, ()):
            yield from _branches(root, sub, depth + 1)


def schema_at(ctx: CheckContext, path: str) -> list[Mapping[str, Any]]:
    """Every subschema the contract's response schema gives for ``path`` ("" is the root)."""
    root = ctx.contract.response_schema
    nodes: list[Mapping[str, Any]] = [root] if root else []
    for part in re.findall(r"\[\]|[^.\[\]]+", path):
        found = []
        for branch in (b for n in nodes for b in _branches(root, n)):
            child = branch.get("items") if part == "[]" else branch.get("properties", {}).get(part)
            if isinstance(child, Mapping):
                found.append(child)
        nodes = found
    return [b for n in nodes for b in _branches(root, n)]


def documented(ctx: CheckContext, path: str) -> set[str] | None:
    """The property names the schema gives the object at ``path``; None if it says nothing."""
    nodes = schema_at(ctx, path)
    return {k for n in nodes for k in n.get("properties", {})} if nodes else None


def faults(error: ValidationError) -> Iterator[tuple[str, str, str]]:
    """(rule path, keyword, JSON path) of the fault ``error`` reports; a ``required`` error
    (jsonschema raises one per missing property) is located at the missing property."""
    path = "".join("[]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    path = path.removeprefix(".")
    if error.validator == "required" and isinstance(error.instance, Mapping):
        for name in error.validator_value:
            if name not in error.instance and error.message == f"{name!r} is a required property":
                yield f"{path}.{name}".removeprefix("."), "required", f"{error.json_path}.{name}"
                return
    yield path, str(error.validator), error.json_path


def reasoning_documented(ctx: CheckContext) -> bool:
    """The response schema names ``reasoning_content``, or the contract states the reasoning
    semantic, which the baseline defines through that field."""
    in_schema = "reasoning_content" in (documented(ctx, "choices[].message") or ())
    return in_schema or ctx.contract.has_semantic("reasoning")


def undocumented(ctx: CheckContext, body: Mapping[str, Any]) -> list[str]:
    """Fields of the answer the contract does not document (allowed, worth reporting)."""
    places: list[tuple[str, str, Any]] = [("", "", body), ("usage.", "usage", body.get("usage"))]
    for i, choice in choices(body):
        places.append((f"choices[{i}].", "choices[]", choice))
        places.append((f"choices[{i}].message.", "choices[].message", choice.get("message")))
    extra: list[str] = []
    for prefix, path, value in places:
        names = documented(ctx, path) if isinstance(value, dict) else None
        if isinstance(value, dict) and names is not None:
            if path == "choices[].message" and reasoning_documented(ctx):
                names = names | {"reasoning_content"}
            extra += [prefix + name for name in sorted(set(value) - names)]
    return extra
