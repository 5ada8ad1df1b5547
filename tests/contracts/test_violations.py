"""Every hard request rule: a valid instance keeps it and one instance breaks only it.

"Only it" is checked twice: every validation error of the violation is attributed to
the rule (by where in the compiled schema it arises), and removing the rule from the
compiled schema makes the violation valid. A probe that broke two rules could not say
which one a server enforced.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from jsonschema import Draft202012Validator, ValidationError

from chatconform.contracts import Contract, Rule, contract_ids, load_contract, validators_for
from chatconform.contracts import _instances as inst
from chatconform.contracts._derive import join
from chatconform.contracts._schemas import cross_schema
from chatconform.contracts.violations import (
    UNLISTED_MODEL,
    boundary_requests,
    header_boundaries,
    minimal_request,
    valid_request,
    violations,
)

EMPTY_MODEL = "request/model/minLength"
CASES = [(cid, v) for cid in contract_ids() for v in violations(load_contract(cid))]


def _without(contract: Contract, rule: Rule) -> dict[str, Any]:
    """The compiled request schema with ``rule`` (and only it) taken out."""
    schema = copy.deepcopy(dict(contract.request_schema))
    if rule.area == "model" or rule.kind in ("exclusive", "requires", "required_if", "only_if"):
        if rule.area == "model":
            keep = [
                s
                for s in schema.get("allOf", [])
                if not (
                    "model" in s.get("if", {}).get("properties", {})
                    and rule.params["model"] in s["if"]["properties"]["model"]["enum"]
                    and rule.field in repr(s["then"])
                )
            ]
        else:
            _, compiled = cross_schema(rule.kind, rule.params)
            keep = [s for s in schema.get("allOf", []) if s != compiled]
        assert len(keep) < len(schema.get("allOf", [])), rule.id
        schema["allOf"] = keep
        return schema
    parts = rule.pointer.split("/")
    assert parts[1] in ("request", "models"), rule.pointer
    if parts[2] == "required":
        schema["required"].remove(rule.params["required"])
        return schema
    if rule.id == "request/model/enum":
        del schema["properties"]["model"]["enum"]
        return schema
    node: Any = schema["properties"][parts[3]]
    rest = parts[5:]
    for part in rest[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    last = rest[-1]
    if isinstance(node, list):  # a name in a `required` list
        node.remove(rule.params["required"])
    else:
        del node[last]
        if last == "enum":
            node.pop("type", None)
        if last == "type":  # a union's type rule is also what its branches discriminate on
            for branch in node.get("anyOf", []):
                branch.pop("type", None)
    return schema


CROSS_KINDS = ("exclusive", "requires", "required_if", "only_if")


def _dotted(error: ValidationError) -> str:
    return "".join("[]" if isinstance(p, int) else f".{p}" for p in error.absolute_path).lstrip(".")


def _types(branch: dict[str, Any]) -> set[str]:
    """The JSON types a union branch is for: its ``type``, else those of its values."""
    declared = branch.get("type")
    if declared is not None:
        return {declared} if isinstance(declared, str) else set(declared)
    values = branch.get("enum", [branch["const"]] if "const" in branch else [])
    names = {"str": "string", "int": "integer", "float": "number", "bool": "boolean"}
    return {names.get(type(v).__name__, type(v).__name__) for v in values}


def _owners(contract: Contract, error: ValidationError, body: Any) -> set[str]:
    """The rule ids one validation error of ``body`` is attributable to."""
    where = list(error.absolute_schema_path)
    if where[:1] == ["allOf"]:
        piece = contract.request_schema["allOf"][where[1]]
        cross = {
            r.id
            for r in contract.rules
            if r.kind in CROSS_KINDS and cross_schema(r.kind, r.params)[1] == piece
        }
        if cross:
            return cross
        then = piece["then"]
        name = then["not"]["required"][0] if "not" in then else next(iter(then["properties"]))
        kind = "forbidden" if "not" in then else "enum"
        if kind == "enum" and "not" in then["properties"][name]:
            kind = "not_value"
        return {f"model/{body['model']}/{name}/{kind}"}
    path = _dotted(error)
    if error.validator in ("anyOf", "oneOf"):
        # The branch for the value's JSON type says what is wrong; with none, the union's
        # type rule is what the value breaks.
        branches = error.validator_value
        fitting = {
            i
            for i, b in enumerate(branches)
            if any(Draft202012Validator.TYPE_CHECKER.is_type(error.instance, t) for t in _types(b))
        }
        inner = [e for e in error.context or () if e.relative_schema_path[0] in fitting]
        if not inner:
            return {f"request/{path}/type"}
        return set().union(*(_owners(contract, e, body) for e in inner))
    if error.validator == "required":
        missing = [n for n in error.validator_value if n not in error.instance]
        return {f"request/{join(path, n)}/required" for n in missing}
    return {f"request/{path}/{error.validator}"}


def _broken_rules(contract: Contract, body: Any) -> set[str]:
    errors = validators_for(contract).request.iter_errors(body)
    return set().union(*(_owners(contract, e, body) for e in errors))


def test_errors_are_attributed_to_the_rule_they_break() -> None:
    contract = load_contract("trinitydesk")
    body = minimal_request(contract)
    assert _broken_rules(contract, body) == set()
    both = {**body, "temperature": "hot", "stop": ["a", "b", "c", "d", "e"]}
    assert _broken_rules(contract, both) == {"request/temperature/type", "request/stop/maxItems"}
    assert _broken_rules(contract, {**body, "tool_choice": 7}) == {"request/tool_choice/type"}
    assert _broken_rules(contract, {**body, "tool_choice": "all"}) == {"request/tool_choice/enum"}
    user_calls = {**body, "messages": [{"role": "user", "content": "x", "tool_calls": "no"}]}
    assert _broken_rules(contract, user_calls) == {
        "request/messages[].tool_calls/type",
        "request/messages[].tool_calls/only_if",
    }
    gpt = {**minimal_request(contract, "gpt-4o"), "thinking_enabled": True}
    assert _broken_rules(contract, gpt) == {"model/gpt-4o/thinking_enabled/forbidden"}


@pytest.mark.parametrize(
    ("cid", "violation"), CASES, ids=[f"{c}:{v.rule.id}:{v.label}" for c, v in CASES]
)
def test_violation_breaks_exactly_its_rule(cid: str, violation: Any) -> None:
    contract = load_contract(cid)
    rule = violation.rule
    if rule.area == "header":
        limit = int(rule.params["maxLength"])
        assert len(violation.headers[rule.field]) == limit + 1
        assert validators_for(contract).request.is_valid(violation.body)
        return
    valid = validators_for(contract).request.is_valid(violation.body)
    assert valid is not rule.is_hard, f"{rule.id}: {violation.body}"
    assert violation.documented is rule.documented
    if rule.is_hard:
        expected, schema = {rule.id}, _without(contract, rule)
        if rule.id == EMPTY_MODEL and contract.models.closed:
            # An empty id is outside every list: on a closed one it breaks the list too.
            # Both rules state "a model the vendor does not list" and take the same verdict
            # (400 or 404), so the pair leaves no doubt about what a server enforced.
            expected.add("request/model/enum")
            del schema["properties"]["model"]["enum"]
        assert _broken_rules(contract, violation.body) == expected, violation.body
        errors = [e.message for e in Draft202012Validator(schema).iter_errors(violation.body)]
        assert not errors, f"{rule.id} breaks more than itself: {errors}"


@pytest.mark.parametrize("cid", contract_ids())
def test_every_hard_request_rule_has_a_valid_and_a_breaking_instance(cid: str) -> None:
    contract = load_contract(cid)
    broken = {v.rule.id for v in violations(contract)}
    for rule in contract.rules:
        if rule.pointer.startswith("/behaviour"):
            continue
        if rule.area not in ("request", "header") and not (
            rule.area == "model" and rule.kind in ("forbidden", "not_value", "enum")
        ):
            continue
        assert rule.id in broken, f"no violation for {rule.id}"
        body, headers = valid_request(contract, rule)
        assert validators_for(contract).request.is_valid(body), f"{rule.id}: {body}"
        assert all(len(v) <= int(rule.params.get("maxLength", 10**6)) for v in headers.values())


@pytest.mark.parametrize("cid", contract_ids())
def test_boundaries_are_valid_and_cheap(cid: str) -> None:
    contract = load_contract(cid)
    for rule, body in boundary_requests(contract):
        assert validators_for(contract).request.is_valid(body), rule.id
        assert body["messages"] == minimal_request(contract)["messages"]
        if rule.field not in ("max_tokens", "max_completion_tokens"):
            assert body.get("max_tokens", 0) <= 64 and body.get("max_completion_tokens", 0) <= 64


def _valid(cid: str, **fields: Any) -> bool:
    contract = load_contract(cid)
    body = {**minimal_request(contract), **fields}
    return bool(validators_for(contract).request.is_valid(body))


@pytest.mark.parametrize("cid", ["anyfast", "powertokens-byteplus", "powertokens-qwen"])
def test_named_temperature_bounds(cid: str) -> None:
    assert _valid(cid, temperature=0) and _valid(cid, temperature=2)
    assert not _valid(cid, temperature=2.0001) and not _valid(cid, temperature=-0.0001)


def test_trinitydesk_named_cases() -> None:
    assert _valid("trinitydesk", temperature=2.5)  # 常用 0~2 is advice only
    assert _valid("trinitydesk", stop=["a", "b", "c", "d"])
    assert not _valid("trinitydesk", stop=["a", "b", "c", "d", "e"])
    assert _valid("trinitydesk", logprobs=True, top_logprobs=20)
    assert not _valid("trinitydesk", logprobs=True, top_logprobs=21)
    assert not _valid("trinitydesk", top_logprobs=2)  # needs logprobs=true
    assert _valid("trinitydesk", max_completion_tokens=65536)
    assert not _valid("trinitydesk", max_completion_tokens=65537)
    assert not _valid("trinitydesk", max_tokens=16, max_completion_tokens=16)
    assert _valid("trinitydesk", reasoning_effort="ultra")  # the list ends in 等
    assert not _valid("trinitydesk", model="gpt-4o", reasoning_effort="low")
    assert not _valid("trinitydesk", model="gemini-3-pro-preview", thinking_enabled=False)
    assert not _valid("trinitydesk", model="gemini-3-pro-preview", reasoning_effort="minimal")
    assert _valid("trinitydesk", model="gemini-3-pro-preview", reasoning_effort="high")
    assert _valid("trinitydesk", messages=[{"content": "role is optional here"}])
    assert not _valid("trinitydesk", messages=[{"role": "tool", "content": "{}"}])


def test_quirks_of_the_other_pages() -> None:
    assert _valid("anyfast", max_tokens=262144) and not _valid("anyfast", max_tokens=262145)
    assert not _valid("anyfast", reasoning_effort="none")
    assert _valid("powertokens-byteplus", max_tokens=1) and not _valid(
        "powertokens-byteplus", max_tokens=0
    )
    assert not _valid("powertokens-qwen", tool_choice={"type": "function"})
    assert _valid("powertokens-qwen", tool_choice="required")
    assert not _valid("powertokens-byteplus", model="qwen3-max")
    assert _valid("trinitydesk", model=UNLISTED_MODEL)  # open list: an observation only


def test_specific_violations_are_present() -> None:
    td = {v.rule.id: v for v in violations(load_contract("trinitydesk"))}
    assert td["request/top_logprobs/requires"].body is not None
    assert "logprobs" not in td["request/top_logprobs/requires"].body
    assert td["header/X-Request-Id/maxLength"].headers == {"X-Request-Id": "r" * 129}
    msgs = td["request/messages[].tool_call_id/required_if"].body["messages"]
    assert msgs[-1]["role"] == "tool" and "tool_call_id" not in msgs[-1]
    assert td["model/gpt-4o/thinking_enabled/forbidden"].model == "gpt-4o"
    assert td["request/temperature/maximum"].rule.strength == "advice"
    qwen = {v.rule.id: v for v in violations(load_contract("powertokens-qwen"))}
    assert qwen["request/top_logprobs/maximum"].documented is False
    assert qwen["request/model/enum"].body["model"] == UNLISTED_MODEL
    [(_, headers)] = header_boundaries(load_contract("trinitydesk"))
    assert len(headers["X-Request-Id"]) == 128


def test_wrong_type_values_are_of_no_allowed_type() -> None:
    for allowed in (
        ["string"],
        ["integer"],
        ["number"],
        ["boolean"],
        ["array"],
        ["object"],
        ["string", "array"],
        ["string", "array", "null"],
    ):
        value = inst.wrong_type(allowed)
        assert not any(inst.is_type(value, t) for t in allowed), allowed


def test_an_assistant_only_field_is_broken_on_an_assistant_message() -> None:
    contract = load_contract("trinitydesk")
    td = {v.rule.id: v for v in violations(contract)}
    body = td["request/messages[].tool_calls/type"].body
    assert body is not None
    first, *rest = body["messages"]
    assert first == minimal_request(contract)["messages"][0]  # the user's turn stays first
    assert [m["role"] for m in rest] == ["assistant"]
    assert rest[0]["tool_calls"] == "chatconform"
    assert _broken_rules(contract, body) == {"request/messages[].tool_calls/type"}


@pytest.mark.parametrize("cid", contract_ids())
def test_every_contract_has_the_empty_model_probe(cid: str) -> None:
    contract = load_contract(cid)
    rule = contract.rule(EMPTY_MODEL)
    assert rule.is_hard and rule.documented and rule.origin == "baseline"
    assert "A model the vendor does not list: 400 or 404." in rule.citation.quote
    [empty] = [v for v in violations(contract) if v.rule.id == EMPTY_MODEL]
    assert empty.body is not None and empty.body["model"] == ""
    assert not validators_for(contract).request.is_valid(empty.body)


@pytest.mark.parametrize("cid", contract_ids())
def test_model_rules_are_exercised_with_a_listed_model(cid: str) -> None:
    """An id at the length bound ("x") names no model: a live endpoint rightly rejects it,
    so no boundary probe sends one and a model rule's valid request keeps a listed model."""
    contract = load_contract(cid)
    assert all(rule.field != "model" for rule, _ in boundary_requests(contract))
    for rule in contract.rules_in("request"):
        if rule.field == "model":
            body, _ = valid_request(contract, rule)
            assert body["model"] == contract.models.default, rule.id
