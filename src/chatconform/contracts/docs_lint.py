"""Lint the vendor pages' own examples against the pages' own contracts.

A page whose example contradicts its table misleads every integrator who copies it; the
table wins (it is what the contract encodes) and each contradiction is a documentation
finding: reported, never a conformance failure. Examples live in
``contracts/examples/<contract-id>/*.json`` as ``{"kind", "title", "cite", "body"}``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from jsonschema.exceptions import ValidationError

from chatconform.contracts import _instances as inst
from chatconform.contracts._derive import join
from chatconform.contracts.errors import ContractError, pointer
from chatconform.contracts.loader import contracts_dir, load_contract, validators_for
from chatconform.contracts.model import Contract, Rule

Severity = Literal["finding", "note"]


@dataclass(frozen=True)
class Finding:
    contract: str
    example: str  # "anyfast/response.json"
    pointer: str  # JSON pointer into the example body
    rule: str
    severity: Severity  # "note": breaks only an open/advice rule (a list of examples)
    message: str


def examples_dir() -> Path:
    return contracts_dir() / "examples"


def load_examples() -> list[tuple[str, str, dict[str, Any]]]:
    """(contract id, example name, example) for every vector; ContractError if unloadable."""
    out = []
    for path in sorted(examples_dir().glob("*/*.json")):
        name = f"{path.parent.name}/{path.name}"
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError) as error:
            raise ContractError(
                f"contracts/examples/{name}", "/", f"cannot load: {error}"
            ) from None
        if not isinstance(data, dict) or data.get("kind") not in ("request", "response"):
            raise ContractError(
                f"contracts/examples/{name}",
                "/kind",
                "must be an object with kind 'request' or 'response'",
            )
        out.append((path.parent.name, name, data))
    return out


def _dotted(error: ValidationError) -> str:
    return "".join("[]" if isinstance(p, int) else f".{p}" for p in error.absolute_path).lstrip(".")


def _schema_findings(contract: Contract, name: str, kind: str, body: Any) -> Iterator[Finding]:
    validators = validators_for(contract)
    validator = validators.request if kind == "request" else validators.response
    rules = {r.id for r in contract.rules}
    seen: set[tuple[str, str]] = set()
    for error in sorted(validator.iter_errors(body), key=lambda e: list(map(str, e.path))):
        path, where = _dotted(error), pointer(*error.absolute_path)
        faults = [(path, str(error.validator), where or "/", error.message)]
        if error.validator == "required" and isinstance(error.instance, Mapping):
            # One finding per missing property, located at that property.
            faults = [
                (join(path, n), "required", f"{where}{pointer(n)}", f"{n!r} is missing")
                for n in error.validator_value
                if n not in error.instance
            ]
        for field, keyword, at, message in faults:
            area = "request" if kind == "request" else "response"
            rule = f"{area}/{field}/{keyword}" if field else f"{area}/{keyword}"
            if rule not in rules:
                rule = "request/valid-2xx" if kind == "request" else "response/schema"
            if (at, message) in seen:  # jsonschema reports each missing property apart
                continue
            seen.add((at, message))
            yield Finding(contract.id, name, at, rule, "finding", f"{error.json_path}: {message}")


def _values(node: Any, parts: list[str], at: str = "") -> Iterator[tuple[str, Any]]:
    if not parts:
        yield at or "/", node
        return
    head, rest = parts[0], parts[1:]
    if head == "[]" and isinstance(node, list):
        for index, item in enumerate(node):
            yield from _values(item, rest, f"{at}/{index}")
    elif isinstance(node, Mapping) and head in node:
        yield from _values(node[head], rest, at + pointer(head))


def _soft_findings(contract: Contract, name: str, body: Any) -> Iterator[Finding]:
    """Values outside an open list or an advised range: notes, not findings."""
    for rule in contract.rules_in("request"):
        if rule.is_hard or rule.kind not in ("enum", "minimum", "maximum"):
            continue
        for where, value in _values(body, inst.tokens(rule.field)):
            if _breaks(rule, value):
                what = (
                    "not among the page's examples"
                    if rule.strength == "open"
                    else "outside the advised range"
                )
                yield Finding(
                    contract.id,
                    name,
                    where,
                    rule.id,
                    "note",
                    f"{rule.field} = {value!r} is {what} ({rule.params[rule.kind]})",
                )


def _breaks(rule: Rule, value: Any) -> bool:
    bound = rule.params[rule.kind]
    if rule.kind == "enum":
        return value not in bound
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    return bool(value < bound if rule.kind == "minimum" else value > bound)


def _response_findings(contract: Contract, name: str, body: Any) -> Iterator[Finding]:
    """The baseline response rules JSON Schema cannot state."""
    if not isinstance(body, Mapping):
        return
    for i, choice in enumerate(body.get("choices") or []):
        if isinstance(choice, Mapping) and "index" in choice and choice["index"] != i:
            yield Finding(
                contract.id,
                name,
                f"/choices/{i}/index",
                "response/choices-index",
                "finding",
                f"choices[{i}].index is {choice['index']!r}, expected {i}",
            )
    usage = body.get("usage")
    if isinstance(usage, Mapping):
        parts = [usage.get(k) for k in ("prompt_tokens", "completion_tokens", "total_tokens")]
        prompt, completion, total = parts
        if (
            isinstance(prompt, int)
            and isinstance(completion, int)
            and isinstance(total, int)
            and prompt + completion != total
        ):
            yield Finding(
                contract.id,
                name,
                "/usage/total_tokens",
                "response/usage-sum",
                "finding",
                f"total_tokens {parts[2]} != prompt_tokens {parts[0]} + "
                f"completion_tokens {parts[1]}",
            )


def lint_docs(contract_ids: list[str] | None = None) -> list[Finding]:
    """Every documentation finding of the bundled example vectors."""
    findings: list[Finding] = []
    for cid, name, example in load_examples():
        if contract_ids is not None and cid not in contract_ids:
            continue
        contract = load_contract(cid)
        body, kind = example.get("body"), example["kind"]
        findings.extend(_schema_findings(contract, name, kind, body))
        if kind == "request":
            findings.extend(_soft_findings(contract, name, body))
        else:
            findings.extend(_response_findings(contract, name, body))
    return findings


def as_json(findings: list[Finding]) -> dict[str, Any]:
    return {
        "findings": [asdict(f) for f in findings],
        "counts": {s: sum(f.severity == s for f in findings) for s in ("finding", "note")},
    }
