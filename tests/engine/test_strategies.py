"""Generated requests: valid draws keep every rule, invalid draws break exactly one."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st
from jsonschema import ValidationError

from chatconform.contracts import contract_ids, load_contract, validators_for
from chatconform.contracts.model import Contract, Rule
from chatconform.engine.strategies import (
    breakable_rules,
    invalid_requests,
    seeded_invalid,
    seeded_valid,
    valid_requests,
)

CONTRACTS = contract_ids()
PROPERTY = settings(
    max_examples=25,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
CROSS_FIELD = {"exclusive", "requires", "required_if", "only_if", "forbidden", "not_value"}


def errors(contract: Contract, body: Any) -> list[ValidationError]:
    return list(validators_for(contract).request.iter_errors(body))


def _path(error: ValidationError) -> str:
    out = ""
    for part in error.absolute_path:
        out += "[]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


def points_at(rule: Rule, error: ValidationError) -> bool:
    """Whether the validator's objection is the one ``rule`` states (looking into the
    anyOf/oneOf branches, where the objection to a nested field sits)."""
    if rule.kind in CROSS_FIELD or rule.area == "model":
        # Cross-field and per-model rules are compiled into allOf if/then.
        return "allOf" in error.absolute_schema_path
    if any(points_at(rule, sub) for sub in error.context or ()):
        return True
    path = _path(error)
    if rule.kind == "required":
        parent, _, name = rule.field.rpartition(".")
        return error.validator == "required" and path == parent and repr(name) in error.message
    return path == rule.field and error.validator == rule.kind


def only_breaks(contract: Contract, rule: Rule, body: Any) -> bool:
    found = errors(contract, body)
    return bool(found) and all(points_at(rule, e) for e in found)


def test_the_rule_matcher_can_say_no() -> None:
    contract = load_contract("trinitydesk")
    rule = contract.rule("request/stop/maxItems")
    base = {"model": contract.models.default, "messages": [{"role": "user", "content": "Hi"}]}
    assert only_breaks(contract, rule, {**base, "stop": ["a", "b", "c", "d", "e"]})
    # A second rule broken beside it, or only another rule broken, is not "only its rule".
    assert not only_breaks(contract, rule, {**base, "stop": list("abcde"), "max_tokens": 0})
    assert not only_breaks(contract, rule, {**base, "max_tokens": 0})
    assert not only_breaks(contract, rule, base)


@pytest.mark.parametrize("contract_id", CONTRACTS)
def test_every_valid_draw_keeps_every_rule(contract_id: str) -> None:
    contract = load_contract(contract_id)

    @PROPERTY
    @given(body=valid_requests(contract, contract.models.default))
    def check(body: dict[str, Any]) -> None:
        assert errors(contract, body) == []
        documented = {n for n, f in contract.fields.items() if f.documented}
        assert set(body) <= documented | {"model", "messages"}
        assert any(
            isinstance(body.get(f), int) and body[f] <= 16
            for f in ("max_tokens", "max_completion_tokens")
        )

    check()


@pytest.mark.parametrize("contract_id", CONTRACTS)
def test_every_invalid_draw_breaks_exactly_its_rule(contract_id: str) -> None:
    contract = load_contract(contract_id)

    @PROPERTY
    @given(drawn=invalid_requests(contract, contract.models.default))
    def check(drawn: tuple[Rule, dict[str, Any]]) -> None:
        rule, body = drawn
        assert rule.is_hard
        assert only_breaks(contract, rule, body), (rule.id, errors(contract, body))

    check()


def test_invalid_draws_reach_many_rules() -> None:
    contract = load_contract("trinitydesk")
    seen: set[str] = set()

    @settings(max_examples=80, derandomize=True, database=None, deadline=None)
    @given(drawn=invalid_requests(contract, contract.models.default))
    def collect(drawn: tuple[Rule, dict[str, Any]]) -> None:
        seen.add(drawn[0].id)

    collect()
    assert len(seen) >= 10
    assert {r.id for r in breakable_rules(contract, contract.models.default)} >= seen


def test_an_invalid_draw_shrinks_to_the_contracts_own_violation() -> None:
    contract = load_contract("anyfast")
    rule_id = "request/temperature/maximum"
    rule, body = find(
        invalid_requests(contract, contract.models.default),
        lambda drawn: drawn[0].id == rule_id,
        settings=settings(database=None, max_examples=500),
    )
    assert rule.id == rule_id
    # Minimal: no extra field, and the value as close above the bound as the contract puts it.
    assert set(body) <= {"model", "messages", "temperature", "max_tokens"}
    assert body["temperature"] > 2


@pytest.mark.parametrize("contract_id", CONTRACTS)
def test_seeded_draws_are_reproducible_and_exact(contract_id: str) -> None:
    contract = load_contract(contract_id)
    model = contract.models.default
    valid = seeded_valid(contract, model, 6, seed=7)
    assert valid == seeded_valid(contract, model, 6, seed=7)
    assert valid != seeded_valid(contract, model, 6, seed=8)
    assert len(valid) == 6 and all(errors(contract, b) == [] for b in valid)
    invalid = seeded_invalid(contract, model, 6, seed=7)
    assert invalid == seeded_invalid(contract, model, 6, seed=7)
    assert len({rule.id for rule, _ in invalid}) == 6  # spread over rules, not repeated
    for rule, body in invalid:
        assert only_breaks(contract, rule, body), (rule.id, body)


def test_a_draw_inside_a_given_is_still_a_draw() -> None:
    # The strategies compose with others like any hypothesis strategy.
    contract = load_contract("powertokens-qwen")
    pairs = st.tuples(valid_requests(contract, "qwen3-max"), st.integers(0, 3))

    @settings(max_examples=5, derandomize=True, database=None, deadline=None)
    @given(pair=pairs)
    def check(pair: tuple[dict[str, Any], int]) -> None:
        assert pair[0]["model"] == "qwen3-max"

    check()
