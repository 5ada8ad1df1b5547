"""Requests built from a contract: the smallest valid one, valid ones at every hard bound,
and for every rule one that breaks that rule and nothing else.

The planner turns these into negative and boundary probes, so exactness matters: a
negative probe that breaks two rules cannot say which one the server enforced. Every
body here is checked against the compiled request schema before it is returned.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from chatconform.contracts import _bodies as _b
from chatconform.contracts import _instances as inst
from chatconform.contracts._bodies import COST_FIELDS, Body, minimal_request
from chatconform.contracts.loader import validators_for
from chatconform.contracts.model import Contract, Rule

UNLISTED_MODEL = "chatconform-unlisted-model"
PER_MODEL_KINDS = ("forbidden", "not_value", "enum")
__all__ = [
    "COST_FIELDS",
    "UNLISTED_MODEL",
    "Violation",
    "boundary_requests",
    "header_boundaries",
    "minimal_request",
    "valid_request",
    "violations",
]
_BOUNDS = ("minimum", "maximum", "minItems", "maxItems", "minLength", "maxLength")


@dataclass(frozen=True)
class Violation:
    """A request that breaks ``rule`` and only it. ``documented`` is False when the rule is
    a baseline rule on a field this vendor does not document (an observation at most);
    ``rule.strength`` says whether breaking it can fail a run at all."""

    rule: Rule
    body: Body | None
    headers: dict[str, str]
    model: str
    label: str
    documented: bool = True
    extra: Mapping[str, Any] = field(default_factory=dict)


def _keyword_breaks(contract: Contract, rule: Rule) -> Iterator[tuple[str, inst.Edit]]:
    """(label, edit) breaking one derived keyword rule."""
    kind, value = rule.kind, rule.params[rule.kind]
    here = _b.schema_at(contract, rule.field)
    if kind == "type":
        allowed = [value] if isinstance(value, str) else list(value)
        bad = inst.wrong_type(allowed)
        yield f"{rule.field} of the wrong type ({type(bad).__name__})", inst.set_value(bad)
    elif kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        number = _b.number_kind(contract, rule.field)
        direction = -1 if kind == "minimum" else 1 if kind == "maximum" else 0
        bad = _b.beyond(value, number, direction)
        word = {"minimum": "below minimum", "maximum": "above maximum"}.get(kind, f"at {kind}")
        yield f"{rule.field} = {bad} ({word} {value})", inst.set_value(bad)
    elif kind == "enum":
        bad = inst.outside(list(value))
        yield f"{rule.field} = {bad!r} (outside the list)", inst.set_value(bad)
    elif kind == "const":
        bad = inst.outside([value])
        yield f"{rule.field} = {bad!r} (not {value!r})", inst.set_value(bad)
    elif kind in ("minItems", "maxItems"):
        count = int(value) - 1 if kind == "minItems" else int(value) + 1
        if count >= 0:
            items = _b.items(here, count)
            yield f"{rule.field} with {count} items ({kind} {value})", inst.set_value(items)
    elif kind in ("minLength", "maxLength"):
        count = int(value) - 1 if kind == "minLength" else int(value) + 1
        if count >= 0:
            yield f"{rule.field} of {count} characters", inst.set_value("x" * count)
    elif kind == "required":
        yield f"{rule.field} missing", lambda _old: inst.DELETE


def _check(contract: Contract, rule: Rule, body: Body) -> Body:
    """Hard rules must make the body invalid; advice/open ones must leave it valid."""
    valid = validators_for(contract).request.is_valid(body)
    if valid == rule.is_hard:
        state = "valid" if valid else "invalid"
        raise AssertionError(f"{contract.id}: the probe for {rule.id} is {state}: {body}")
    return body


def violations(contract: Contract, model: str | None = None) -> list[Violation]:
    """One request per rule and direction that breaks that rule and nothing else."""
    out: list[Violation] = []
    for rule in contract.rules:
        for label, body, headers in _breaks(contract, rule, model):
            if body is not None and rule.area != "header":
                _check(contract, rule, body)
            out.append(
                Violation(
                    rule,
                    body,
                    headers,
                    str((body or {}).get("model", model)),
                    label,
                    rule.documented,
                )
            )
    return out


def _breaks(
    contract: Contract, rule: Rule, model: str | None
) -> Iterator[tuple[str, Body | None, dict[str, str]]]:
    if rule.area == "header":
        body = _b.cap(contract, _b.minimal_request(contract, model), set())
        if rule.kind == "maxLength":
            yield (
                f"{rule.field} of {int(rule.params['maxLength']) + 1} characters",
                body,
                {rule.field: "r" * (int(rule.params["maxLength"]) + 1)},
            )
        return
    if rule.area == "model":
        if rule.kind in PER_MODEL_KINDS:
            yield from _model_breaks(contract, rule)
        return
    if rule.area != "request":
        return
    if rule.id == "request/model/enum":
        body = _b.cap(contract, _b.minimal_request(contract, UNLISTED_MODEL), set())
        yield f"model {UNLISTED_MODEL!r} (not listed)", body, {}
        return
    if rule.kind in ("exclusive", "requires", "required_if", "only_if"):
        yield from _cross_breaks(contract, rule, model)
        return
    if rule.kind not in rule.params:  # a behaviour rule (request/invalid-400): no body of its own
        return
    for label, edit in _keyword_breaks(contract, rule):
        base = _b.base(
            contract,
            rule,
            model,
            with_field=rule.kind != "required" or "." in rule.field or "[" in rule.field,
        )
        carried = _b.carrier_edit(contract, base, rule, edit)
        edited = carried if carried is not None else _b.edit(contract, base, rule.field, edit)
        body = _b.keep_only_if(contract, edited, rule)
        _b.fit_model(contract, body, keep=rule.field == "model")
        yield label, _b.cap(contract, body, {_b.top_of(rule.field)}), {}


def _cross_breaks(
    contract: Contract, rule: Rule, model: str | None
) -> Iterator[tuple[str, Body | None, dict[str, str]]]:
    params = rule.params
    body = _b.minimal_request(contract, model)
    if rule.kind == "exclusive":
        for name in params["fields"]:
            body[name] = _b.field_example(contract, name)
        yield f"both {' and '.join(params['fields'])}", body, {}
    elif rule.kind == "requires":
        body[params["field"]] = _b.field_example(contract, params["field"])
        for name in params["needs"]:
            body.pop(name, None)
        names = ", ".join(params["needs"])
        yield f"{params['field']} without {names}", _b.cap(contract, body, {params["field"]}), {}
    else:
        body.update(copy.deepcopy(dict(params["example"])))
        where = inst.tokens(params["where"])[0]
        items = body[where]
        for item in items:
            if rule.kind == "required_if" and all(
                item.get(k) == v for k, v in params["if"].items()
            ):
                for name in params["then_required"]:
                    item.pop(name, None)
            if rule.kind == "only_if" and params["field"] in item:
                for key, value in params["if"].items():
                    choices = _b.schema_at(contract, f"{params['where']}.{key}").get("enum", [])
                    item[key] = inst.outside([value], [c for c in choices if c != value])
        yield rule.title or rule.id, _b.cap(contract, body, set()), {}


def _model_breaks(
    contract: Contract, rule: Rule
) -> Iterator[tuple[str, Body | None, dict[str, str]]]:
    model = str(rule.params["model"])
    body = _b.minimal_request(contract, model)
    name = rule.field
    if rule.kind == "forbidden":
        body[name] = _b.field_example(contract, name)
        label = f"{name} sent to {model}"
    elif rule.kind == "not_value":
        body[name] = rule.params["value"]
        label = f"{name}={rule.params['value']!r} sent to {model}"
    else:
        known = (
            contract.rule(f"request/{name}/enum").params["enum"]
            if any(r.id == f"request/{name}/enum" for r in contract.rules)
            else []
        )
        body[name] = inst.outside(list(rule.params["enum"]), list(known))
        label = f"{name}={body[name]!r} sent to {model}"
    yield label, _b.cap(contract, body, {name}), {}


def valid_request(
    contract: Contract, rule: Rule, model: str | None = None
) -> tuple[Body, dict[str, str]]:
    """A valid request that exercises ``rule`` (its field present with a valid value)."""
    if rule.area == "header":
        return _b.cap(contract, _b.minimal_request(contract, model), set()), _b.header_ok(rule)
    if rule.area == "model":
        body = _b.minimal_request(contract, str(rule.params["model"]))
        if rule.kind == "not_value":
            body[rule.field] = inst.outside([rule.params["value"]])
        elif rule.kind == "enum":
            body[rule.field] = rule.params["enum"][0]
        return _b.cap(contract, body, {rule.field}), {}
    body = _b.minimal_request(contract, model)
    if rule.kind == "exclusive":
        body[rule.params["fields"][0]] = _b.field_example(contract, rule.params["fields"][0])
    elif rule.kind == "requires":
        body[rule.field] = _b.field_example(contract, rule.field)
        body.update(copy.deepcopy(dict(rule.params["needs"])))
    elif rule.kind in ("required_if", "only_if"):
        body.update(copy.deepcopy(dict(rule.params["example"])))
    elif rule.field and rule.field != "model":  # the minimal body's model keeps every model rule
        body = _b.base(contract, rule, model)
        sub = _b.schema_at(contract, rule.field)
        if rule.kind in _BOUNDS and rule.is_hard:
            body = _b.edit(contract, body, rule.field, inst.set_value(_b.at_bound(contract, rule)))
        elif inst.tokens(rule.field)[-1] != "[]" and rule.field not in body:
            body = _b.edit(
                contract,
                body,
                rule.field,
                lambda old: old if old is not inst.MISSING else inst.example(sub),
            )
        _b.keep_only_if(contract, body, rule)
        _b.fit_model(contract, body, keep=False)
    return _b.cap(contract, body, {_b.top_of(rule.field)}), {}


def boundary_requests(contract: Contract, model: str | None = None) -> list[tuple[Rule, Body]]:
    """Valid bodies at each hard bound (temperature 0 and 2, stop with 4 items, top_logprobs
    0 and 20 with logprobs true...) and at each value a per-model enum allows."""
    out: list[tuple[Rule, Body]] = []
    for rule in contract.rules:
        # A model id is valid because the vendor lists it, not because of its length: an id
        # at the length bound ("x") names no model, and a live endpoint rightly rejects it.
        at_bound = rule.kind in _BOUNDS and rule.is_hard and rule.field != "model"
        if rule.area == "request" and at_bound:
            body, _ = valid_request(contract, rule, model)
            out.append((rule, body))
        elif (
            rule.area == "model" and rule.kind == "enum" and rule.is_hard and "model" in rule.params
        ):
            for value in rule.params["enum"]:
                body = _b.minimal_request(contract, str(rule.params["model"]))
                body[rule.field] = value
                out.append((rule, _b.cap(contract, body, {rule.field})))
    for _, body in out:
        if not validators_for(contract).request.is_valid(body):
            raise AssertionError(f"{contract.id}: boundary body is invalid: {body}")
    return out


def header_boundaries(contract: Contract) -> list[tuple[Rule, dict[str, str]]]:
    """Header values at each stated bound (``X-Request-Id`` of exactly 128 characters)."""
    return [(r, _b.header_ok(r)) for r in contract.rules_in("header") if _b.header_ok(r)]
