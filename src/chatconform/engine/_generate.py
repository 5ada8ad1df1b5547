"""The generation logic behind :mod:`chatconform.engine.strategies` (private).

Valid bodies start from the contract's minimal request and add documented fields with
values drawn inside their bounds; invalid ones start from the contract's own violation of
one rule (``chatconform.contracts.violations``), move the broken value, and add unrelated
valid fields. Both are checked against the compiled request validator, and anything a
draw adds that the validator does not explain is dropped again, so the result is exact.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from jsonschema import ValidationError

from chatconform.contracts.model import Contract

if TYPE_CHECKING:
    from chatconform.engine.strategies import Chooser

BUDGET_FIELDS = ("max_tokens", "max_completion_tokens")
TINY_BOUND = 8
CHEAP_MAX = 16  # the largest output bound a generated valid request sets
# Fields a valid draw never adds: identity, the conversation, the output bound (set
# apart), and ``n`` (more choices, more cost).
FIXED = frozenset({"model", "messages", "n", *BUDGET_FIELDS})
# Fields that only make sense together; real providers reject the lone member even where
# the page is silent (OpenAI: "tool_choice is only allowed when tools are specified").
GROUPS: tuple[frozenset[str], ...] = (
    frozenset({"tools", "tool_choice", "parallel_tool_calls"}),
    frozenset({"stream", "stream_options"}),
    frozenset({"logprobs", "top_logprobs"}),
)
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
# Known-good values for fields whose schema is too loose to draw from safely.
CURATED: Mapping[str, Sequence[Any]] = {
    "tools": ([WEATHER_TOOL],),
    "tool_choice": (
        "auto",
        "none",
        "required",
        {"type": "function", "function": {"name": "get_weather"}},
    ),
    "response_format": ({"type": "text"}, {"type": "json_object"}, "text", "json_object"),
    "modalities": (["text"],),
    "stream_options": ({"include_usage": True}, {"include_usage": False}),
    "thinking": ({"type": "enabled"}, {"type": "disabled"}),
}
JSON_PROMPT = 'Reply with the JSON object {"ok": true} and nothing else.'
WORDS = ("END", "stop", "##", "\n\n", "Observation:", "</s>")
MISSING = object()


# -- contract access (cached per contract object) ------------------------------------------

_CACHE: dict[tuple[int, str, str], tuple[Contract, Any]] = {}


def cached(contract: Contract, model: str, kind: str, make: Any) -> Any:
    key = (id(contract), model, kind)
    hit = _CACHE.get(key)
    if hit is None or hit[0] is not contract:
        hit = _CACHE[key] = (contract, make())
    return hit[1]


def minimal(contract: Contract, model: str) -> dict[str, Any]:
    from chatconform.contracts.violations import minimal_request

    base: dict[str, Any] = cached(
        contract, model, "minimal", lambda: minimal_request(contract, model)
    )
    return copy.deepcopy(base)


def request_errors(contract: Contract, body: Any) -> list[ValidationError]:
    from chatconform.contracts import validators_for

    return list(validators_for(contract).request.iter_errors(body))


def budget_field(contract: Contract) -> str:
    """The output bound a cheap request sets.

    Where the page says ``max_tokens`` bounds the answer only (BytePlus), reasoning is not
    bounded by it and ``max_completion_tokens`` is the only bound that keeps a thinking
    model cheap. Elsewhere the documented ``max_tokens`` is the plainer and more widely
    honoured choice: servers that ignore ``max_completion_tokens`` (llama.cpp, older
    vLLM) would otherwise generate to the context limit on every probe.
    """
    answer_only = contract.semantics.get("max_tokens", {}).get("counts") == "answer"
    if answer_only and documented(contract, "max_completion_tokens"):
        return "max_completion_tokens"
    for name in BUDGET_FIELDS:
        if documented(contract, name):
            return name
    return "max_tokens"


def documented(contract: Contract, name: str) -> bool:
    spec = contract.fields.get(name)
    return spec is not None and spec.documented


def cheap(contract: Contract, body: Mapping[str, Any], bound: int = TINY_BOUND) -> dict[str, Any]:
    """``body`` with a tiny output bound, unless it already sets one."""
    out = copy.deepcopy(dict(body))
    if not any(name in out for name in BUDGET_FIELDS):
        out[budget_field(contract)] = bound
    return out


# -- valid ---------------------------------------------------------------------------------


def valid_body(contract: Contract, model: str, c: Chooser) -> dict[str, Any]:
    base = minimal(contract, model)
    budget = budget_field(contract)
    lo, hi = _int_bounds(contract.fields[budget].schema if budget in contract.fields else {})
    body = cheap(contract, base, c.integer(max(lo, 1), max(min(hi, CHEAP_MAX), lo, 1)))
    for name in sorted(contract.fields):
        spec = contract.fields[name]
        if name in FIXED or name in body or not spec.documented or not c.boolean():
            continue
        value = field_value(contract, name, c)
        if value is not MISSING:
            body[name] = value
    couple(contract, body)
    _apply_cross_field(contract, model, body, c)
    return _repair(contract, body, keep=set(base) | {budget})


def field_value(contract: Contract, name: str, c: Chooser) -> Any:
    spec = contract.fields[name]
    known = [*CURATED.get(name, ()), *([spec.example] if spec.example is not None else [])]
    fitting = unique(v for v in known if _fits(spec.schema, v))
    if fitting and (name in CURATED or not _drawable(spec.schema)):
        return copy.deepcopy(c.pick(fitting))
    return from_schema(_advised(contract, name, spec.schema), c)


def _drawable(schema: Mapping[str, Any]) -> bool:
    """Scalars with bounds or enums are drawn; structured values come from known-good ones."""
    kind = schema.get("type")
    kinds = set(kind) if isinstance(kind, list) else {kind}
    if "array" in kinds:
        items = schema.get("items")
        return isinstance(items, Mapping) and _drawable(items) and "items" not in items
    return kinds <= {"integer", "number", "boolean", "string", None, "null"}


def unique(values: Any) -> list[Any]:
    out: list[Any] = []
    for value in values:
        if value not in out:
            out.append(value)
    return out


def _fits(schema: Mapping[str, Any], value: Any) -> bool:
    from jsonschema import Draft202012Validator

    return bool(Draft202012Validator(dict(schema)).is_valid(value))


def _advised(contract: Contract, name: str, schema: Mapping[str, Any]) -> dict[str, Any]:
    """``schema`` narrowed to the page's advised range, so valid draws stay ordinary."""
    out = dict(schema)
    for rule in contract.rules:
        if rule.field == name and rule.strength == "advice" and rule.kind in _BOUND_KEYS:
            value = rule.params.get(rule.kind, rule.params.get("value"))
            if isinstance(value, int | float) and not isinstance(value, bool):
                out[rule.kind] = value
    return out


_BOUND_KEYS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")


def couple(contract: Contract, body: dict[str, Any]) -> None:
    """Keep the groups real providers insist on (see ``GROUPS``) whole or absent."""
    if ("tool_choice" in body or "parallel_tool_calls" in body) and "tools" not in body:
        if documented(contract, "tools") and _fits(contract.fields["tools"].schema, [WEATHER_TOOL]):
            body["tools"] = [copy.deepcopy(WEATHER_TOOL)]
        else:
            body.pop("tool_choice", None)
            body.pop("parallel_tool_calls", None)
    if "tools" in body and body.get("tool_choice") != "none":
        # An acceptance probe, not a tool probe (the tools area has those): a tool call
        # would collide with JSON mode and with the tiny output bound.
        if documented(contract, "tool_choice") and _fits(
            contract.fields["tool_choice"].schema, "none"
        ):
            body["tool_choice"] = "none"
        else:
            for name in ("tools", "tool_choice", "parallel_tool_calls"):
                body.pop(name, None)
    if "stream_options" in body and body.get("stream") is not True:
        body["stream"] = True
    if "top_logprobs" in body:
        if documented(contract, "logprobs"):
            body["logprobs"] = True
        else:
            body.pop("top_logprobs")
    if wants_json(body.get("response_format")):
        messages = body.get("messages")
        if isinstance(messages, list) and messages and isinstance(messages[-1], dict):
            messages[-1] = {**messages[-1], "content": JSON_PROMPT}


def wants_json(value: Any) -> bool:
    kind = value.get("type") if isinstance(value, Mapping) else value
    return kind in ("json_object", "json_schema")


def _apply_cross_field(contract: Contract, model: str, body: dict[str, Any], c: Chooser) -> None:
    for rule in contract.rules:
        if not rule.is_hard:
            continue
        p = rule.params
        if rule.kind == "exclusive":
            present = [f for f in p.get("fields", ()) if f in body]
            for extra in present[1:]:
                body.pop(extra)
        elif rule.kind == "requires" and p.get("field") in body:
            body.update(copy.deepcopy(dict(p.get("needs", {}))))
        elif rule.area == "model" and model in _models(p):
            name = rule.field
            if name not in body:
                continue
            if rule.kind == "forbidden" or (
                rule.kind == "not_value" and body[name] == p.get("value")
            ):
                body.pop(name)
            elif rule.kind == "enum" and body[name] not in p.get("enum", ()):
                body[name] = c.pick(list(p["enum"]))


def _models(params: Mapping[str, Any]) -> tuple[str, ...]:
    single = params.get("model")
    return (single,) if isinstance(single, str) else tuple(params.get("models", ()))


def _repair(contract: Contract, body: dict[str, Any], keep: set[str]) -> dict[str, Any]:
    """Drop added fields the validator objects to until the body is valid."""
    for _ in range(len(body) + 1):
        errors = request_errors(contract, body)
        if not errors:
            return body
        tops = {_top(e) for e in errors}
        blamed = {t for t in tops if t and t not in keep and t in body}
        if not blamed or "" in tops:
            blamed = set(body) - keep  # a cross-field error: fall back to the base
        if not blamed:
            break
        for name in blamed:
            body.pop(name)
    if request_errors(contract, body):
        raise ValueError(f"contract {contract.id!r}: minimal request is not valid: {body!r}")
    return body


def _top(error: ValidationError) -> str:
    path = list(error.absolute_path)
    return str(path[0]) if path else ""


# -- schema walk ---------------------------------------------------------------------------


def from_schema(schema: Mapping[str, Any], c: Chooser, depth: int = 0) -> Any:
    """A value valid against ``schema`` (the keywords contracts use), or ``MISSING``."""
    if depth > 4:
        return MISSING
    if "const" in schema:
        return copy.deepcopy(schema["const"])
    if "enum" in schema:
        return copy.deepcopy(c.pick(list(schema["enum"])))
    examples = [e for e in schema.get("examples", ()) if _fits(schema, e)]
    if examples:
        # The page's own examples: for an open list ("... 等") the only values known to work.
        return copy.deepcopy(c.pick(examples))
    for key in ("anyOf", "oneOf"):
        if key in schema:
            rest = {k: v for k, v in schema.items() if k != key}
            return from_schema({**rest, **c.pick(list(schema[key]))}, c, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = c.pick([k for k in kind if k != "null"] or kind)
    if kind is None:
        kind = _infer(schema)
    if kind == "integer":
        lo, hi = _int_bounds(schema)
        return c.integer(lo, hi)
    if kind == "number":
        return _number(schema, c)
    if kind == "boolean":
        return c.boolean()
    if kind == "string":
        return _string(schema, c)
    if kind == "array":
        return _array(schema, c, depth)
    if kind == "object":
        return _object(schema, c, depth)
    if kind == "null":
        return None
    return MISSING


def _infer(schema: Mapping[str, Any]) -> str | None:
    if "properties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    if any(k in schema for k in _BOUND_KEYS):
        return "number"
    return None


def _int_bounds(schema: Mapping[str, Any]) -> tuple[int, int]:
    lo = schema.get("minimum")
    if "exclusiveMinimum" in schema:
        lo = int(schema["exclusiveMinimum"]) + 1
    hi = schema.get("maximum")
    if "exclusiveMaximum" in schema:
        hi = int(schema["exclusiveMaximum"]) - 1
    lo = int(lo) if lo is not None else (0 if hi is None or hi >= 0 else int(hi) - 1000)
    hi = int(hi) if hi is not None else lo + 1000
    return lo, min(hi, lo + 1_000_000)


def _number(schema: Mapping[str, Any], c: Chooser) -> float:
    lo = float(schema.get("minimum", schema.get("exclusiveMinimum", 0.0)))
    hi = float(schema.get("maximum", schema.get("exclusiveMaximum", lo + 1.0)))
    # Bounds are where implementations slip, so they are drawn as often as the middle.
    where = c.pick(("low", "high", "middle"))
    if where == "low" and "exclusiveMinimum" not in schema:
        return _tidy(lo)
    if where == "high" and "exclusiveMaximum" not in schema:
        return _tidy(hi)
    value = round(c.number(lo, hi), 3)
    low_out = value <= lo and "exclusiveMinimum" in schema
    if low_out or (value >= hi and "exclusiveMaximum" in schema):
        value = (lo + hi) / 2
    return _tidy(min(max(value, lo), hi))


def _tidy(value: float) -> float:
    # 1.0 is sent as 1.0; JSON integers are valid numbers, but a float keeps the type plain.
    return float(value)


def _string(schema: Mapping[str, Any], c: Chooser) -> str:
    lo = max(int(schema.get("minLength", 1)), 1)
    hi = int(schema.get("maxLength", lo + 11))
    word = c.pick(WORDS)
    while len(word) < lo:
        word += "x"
    return word[: max(hi, lo)]


def _array(schema: Mapping[str, Any], c: Chooser, depth: int) -> Any:
    # An empty list is valid where no minimum is stated, but says nothing: draw at least one.
    lo = int(schema.get("minItems", 1))
    hi = min(int(schema.get("maxItems", lo + 3)), lo + 3)
    items = schema.get("items", {})
    out = []
    for _ in range(c.integer(lo, max(lo, hi))):
        value = from_schema(items, c, depth + 1) if items else "x"
        if value is MISSING:
            return MISSING
        out.append(value)
    return out


def _object(schema: Mapping[str, Any], c: Chooser, depth: int) -> Any:
    required = set(schema.get("required", ()))
    out: dict[str, Any] = {}
    for name, sub in sorted(schema.get("properties", {}).items()):
        if name in required or c.boolean():
            value = from_schema(sub, c, depth + 1)
            if value is MISSING:
                if name in required:
                    return MISSING
                continue
            out[name] = value
    return out
