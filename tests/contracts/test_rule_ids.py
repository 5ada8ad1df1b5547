"""The rule ids the checks raise and the faults break are rules of the contracts.

A check failure or a fault naming an id the contract does not hold cannot be traced back
to a page statement; these tests keep the three vocabularies one. The response and
stream rules are derived from the response schemas (one per constraint keyword), so
they are checked here against what the checks and the catalogue actually name.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from chatconform.contracts import Contract, contract_ids, load_contract
from chatconform.engine.client import send
from chatconform.engine.evaluate import evaluate
from chatconform.engine.probe import Probe, RequestSpec
from chatconform.engine.registry import CheckContext, all_checks
from chatconform.server import ReferenceServer, all_faults, transport
from chatconform.server.faults import Fault

RUNNABLE = contract_ids()
CHECKS_DIR = Path(__file__).parents[2] / "src" / "chatconform" / "checks"
RULE_ID = re.compile(r"^(request|model|header|auth|error|response|stream|semantic)/[^*?\[\] ]+$")
KEY = "test-key"


def _literal_rule_ids() -> set[str]:
    """Every rule id the built-in checks pass as a literal ``rule=`` (or to ``fail``)."""
    found: set[str] = set()
    for path in sorted(CHECKS_DIR.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            values = [k.value for k in node.keywords if k.arg == "rule"]
            if getattr(node.func, "id", "") == "fail" and len(node.args) == 4:
                values.append(node.args[3])
            found |= {
                v.value
                for v in values
                if isinstance(v, ast.Constant) and isinstance(v.value, str) and v.value
            }
    return found


def test_literal_rule_ids_are_rules_of_some_contract() -> None:
    literal = _literal_rule_ids()
    assert {"stream/done-last", "semantic/tools/choice-none", "response/usage-sum"} <= literal
    known = {r.id for cid in RUNNABLE for r in load_contract(cid).rules}
    assert all(RULE_ID.match(i) for i in literal), sorted(literal)
    assert sorted(literal - known) == []


@pytest.mark.parametrize("cid", RUNNABLE)
def test_the_response_checks_name_derived_rules(cid: str) -> None:
    ids = {r.id for r in load_contract(cid).rules}
    for named in (
        "response/id/minLength",
        "response/created/minimum",
        "response/created/maximum",
        "response/choices/minItems",
        "response/choices[].index/required",
        "response/choices[].message.role/const",
        "response/choices[].message.content/type",
        "response/choices[].finish_reason/enum",
        "response/usage.total_tokens/minimum",
        "response/choices[].message.tool_calls[].function.arguments/type",
        "stream/chunk/object/const",
        "stream/chunk/choices[].delta.role/enum",
        "stream/chunk/usage.prompt_tokens/type",
    ):
        assert named in ids, named


def test_reasoning_content_is_a_rule_exactly_where_reasoning_is_documented() -> None:
    rule = "response/choices[].message.reasoning_content/type"
    for cid in RUNNABLE:
        contract = load_contract(cid)
        assert (rule in {r.id for r in contract.rules}) is contract.has_semantic("reasoning"), cid
    trinity = load_contract("trinitydesk").rule(rule)
    assert trinity.origin == "baseline" and trinity.citation.field == "Generation semantics"
    anyfast = load_contract("anyfast").rule(rule)
    assert anyfast.origin == "anyfast" and anyfast.pointer.startswith("/response/extras/")


def _documents_vendor_fields(contract: Contract) -> bool:
    usage = contract.response_schema.get("properties", {}).get("usage", {})
    return contract.has_semantic("reasoning") or "prompt_tokens_details" in usage.get(
        "properties", {}
    )


@pytest.mark.parametrize("cid", RUNNABLE)
def test_every_check_covers_a_rule_of_each_contract(cid: str) -> None:
    contract = load_contract(cid)
    for check in all_checks():
        if any(p.startswith("semantic/") for p in check.enforces):
            semantic = next(p for p in check.enforces if p.startswith("semantic/"))
            if not contract.has_semantic(semantic.split("/")[1]):
                continue  # the check never applies where its semantic is not stated
        header = all(p.startswith("header/") for p in check.enforces)
        if header and not contract.rules_in("header"):
            continue  # no header rule stated: the check has nothing to apply to
        if check.name == "vendor_extras_typed" and not _documents_vendor_fields(contract):
            continue  # it only observes undocumented fields there: it can fail nothing
        assert any(check.covers(r) for r in contract.rules), (check.name, check.enforces)


def _pairs() -> list[Any]:
    return [
        pytest.param(fault, cid, id=f"{fault.name}-{cid}")
        for fault in all_faults()
        for cid in RUNNABLE
        if fault.applies_to(load_contract(cid))
    ]


@pytest.mark.parametrize(("fault", "cid"), _pairs())
def test_fault_rule_ids_are_hard_rules_of_the_contract(fault: Fault, cid: str) -> None:
    contract = load_contract(cid)
    named = fault.rule_ids(contract)
    assert named
    assert all(contract.rule(i).is_hard for i in named)


def _served(contract: Contract, fault: Fault) -> list[tuple[str, str]]:
    """(check, rule) of every failure the checks report on the fault's trigger."""
    trigger = fault.trigger(contract)
    assert trigger.body is not None and trigger.auth == "default"
    probe = Probe(
        id=f"fault/{fault.name}",
        area=fault.area,
        title=fault.description,
        request=RequestSpec(body=trigger.body, headers=dict(trigger.headers)),
    )
    server = ReferenceServer(contract, api_key=KEY, fault=fault.name)
    with httpx.Client(transport=transport(server)) as client:
        exchange = send(client, contract, probe, api_key=KEY, base_url="http://reference.test/v1")
    outcomes = evaluate(CheckContext(contract), exchange)
    return [(o.check, o.rule) for o in outcomes if o.status == "failed"]


_WIRE = [
    pytest.param(fault, cid, id=f"{fault.name}-{cid}")
    for fault in all_faults()
    if fault.area in ("response", "stream")
    for cid in RUNNABLE
    if fault.applies_to(load_contract(cid))
]


@pytest.mark.parametrize(("fault", "cid"), _WIRE)
def test_a_response_fault_fails_with_a_rule_it_names(fault: Fault, cid: str) -> None:
    """The answer and stream faults are caught, and the failure names a rule of the
    contract that the fault itself says it breaks."""
    contract = load_contract(cid)
    failed = _served(contract, fault)
    assert failed, f"{fault.name}: no check failed"
    ids = {r.id for r in contract.rules}
    assert {rule for _, rule in failed} <= ids, failed
    assert {rule for _, rule in failed} & set(fault.rule_ids(contract)), (
        failed,
        fault.rule_ids(contract),
    )
