"""Schemathesis as one more generator and judge, over the contract's OpenAPI export.

Schemathesis brings its own positive and negative data generation and its own response
checks; chatconform brings the contract's rules. This module joins them both ways:

- :func:`cases` draws a fixed, seeded set of schemathesis cases (no shrinking: against a
  paid endpoint every shrink step is a request) and :func:`probe_for` turns each into a
  chatconform probe, so the cases run through the same runner, budget, cassettes and
  reports as every other probe. The expectation comes from the contract's own request
  validator, never from the generation mode alone.
- the chatconform check ``schemathesis_conformance`` runs schemathesis's response checks
  on those exchanges, and the schemathesis check ``chatconform_conformance`` runs the
  chatconform checks inside any schemathesis run (``SCHEMATHESIS_HOOKS`` or the CLI) once
  :func:`use_contract` has named the contract.

Credentials never enter schemathesis: the key is added by chatconform's client when a
probe is sent, and the request handed to schemathesis is the redacted one. That is why
output sanitisation can be off, which it must be for ``max_tokens`` to show in repros.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from schemathesis import Case as _Case
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup

from chatconform.contracts.model import Contract, Rule
from chatconform.engine import _generate as gen
from chatconform.engine.client import redact_headers
from chatconform.engine.exchange import Exchange, ReceivedResponse, SentRequest
from chatconform.engine.failures import CheckFailed
from chatconform.engine.probe import Expect, Probe, RequestSpec
from chatconform.engine.registry import CheckContext, check
from chatconform.engine.sse import parse_sse

AREA = "schemathesis"
MODES = ("positive", "negative")
SEED = 20260101
PLACEHOLDER_URL = "http://chatconform.invalid/v1"  # generation never sends
# Headers schemathesis adds for its own bookkeeping; the test-case id changes every run
# and would break cassette matching.
_DROP_HEADERS = frozenset({"authorization", "user-agent", "x-schemathesis-testcaseid"})
Case = _Case[Any]  # a schemathesis case, whatever its operation type
_CASES: dict[tuple[str, str], Case] = {}
_ACTIVE: list[Contract] = []


def openapi_schema(contract: Contract, *, model: str, base_url: str = PLACEHOLDER_URL) -> Any:
    """The contract's OpenAPI export loaded in schemathesis, with the cost hook on."""
    from chatconform.contracts.openapi import export_openapi

    schema = schemathesis.openapi.from_dict(export_openapi(contract))
    schema.config.update(base_url=base_url)
    schema.config.output.sanitization.update(enabled=False)
    schema.hooks.register_hook_with_name(_cost_hook(contract, model), "map_case")
    return schema


def _operation(schema: Any, contract: Contract) -> Any:
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.method.upper() == "POST" and operation.path.endswith(contract.path):
            return operation
    raise LookupError(f"contract {contract.id!r}: no POST {contract.path} in its OpenAPI")


def _cost_hook(contract: Contract, model: str) -> Any:
    def map_case(ctx: Any, case: Case) -> Case:
        """Positive cases: documented fields only, the run's model, a tiny output bound."""
        positive = case.meta is not None and case.meta.generation.mode == GenerationMode.POSITIVE
        if positive and isinstance(case.body, dict):
            case.body = cheap_positive(contract, model, case.body)
        return case

    return map_case


def cheap_positive(contract: Contract, model: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """``body`` cut down to a request a real endpoint can be held to, priced like a
    minimal one: documented fields only, pruned to what the schema declares, the
    contract's minimal conversation, the run's model and a tiny output bound.

    The contracts allow undeclared properties and leave message items loose, so raw
    positive cases are mostly noise a real provider refuses for reasons no page states;
    what is left still varies every documented parameter.
    """
    pruned = _prune(copy.deepcopy(dict(body)), contract.request_schema, contract.request_schema)
    out = {k: v for k, v in pruned.items() if gen.documented(contract, k) and k not in gen.FIXED}
    out.update(gen.minimal(contract, model))
    for name in gen.BUDGET_FIELDS:
        out.pop(name, None)
    out[gen.budget_field(contract)] = gen.TINY_BOUND
    gen.couple(contract, out)
    return out


def _prune(value: Any, schema: Any, root: Mapping[str, Any]) -> Any:
    if not isinstance(schema, Mapping):
        return value
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, Mapping) else {}
        return _prune(value, target, root)
    for key in ("anyOf", "oneOf"):
        for branch in schema.get(key, ()):
            if _matches(value, branch, root):
                return _prune(value, branch, root)
    if isinstance(value, dict) and "properties" in schema:
        props = schema["properties"]
        return {k: _prune(v, props[k], root) for k, v in value.items() if k in props}
    if isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        return [_prune(v, schema["items"], root) for v in value]
    return value


def _matches(value: Any, branch: Mapping[str, Any], root: Mapping[str, Any]) -> bool:
    from jsonschema import Draft202012Validator

    candidate = {**root, **branch} if "$defs" in root else branch
    return bool(Draft202012Validator(candidate).is_valid(value))


# -- cases ---------------------------------------------------------------------------------


def cases(contract: Contract, *, model: str, examples: int, mode: str) -> list[Case]:
    """``examples`` schemathesis cases of ``mode``, the same ones on every run."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; known: {', '.join(MODES)}")
    if examples <= 0:
        return []
    operation = _operation(openapi_schema(contract, model=model), contract)
    strategy = operation.as_strategy(generation_mode=GenerationMode(mode))
    drawn: list[Case] = []

    # A fixed seed (not the function digest) keeps cases stable when this code changes.
    @seed(SEED)
    @settings(
        database=None,
        derandomize=False,
        max_examples=examples,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def collect(case: Case) -> None:
        drawn.append(case)

    collect()
    return drawn[:examples]


def probe_for(contract: Contract, case: Case, *, index: int, mode: str) -> Probe:
    """The chatconform probe that sends ``case``, with the contract's expectation of it."""
    headers = {k: str(v) for k, v in (case.headers or {}).items() if k.lower() not in _DROP_HEADERS}
    body = case.body
    if isinstance(body, bytes | bytearray):
        spec = RequestSpec(raw_body=bytes(body), headers=headers)
    else:
        if mode == "negative" and isinstance(body, dict) and gen.request_errors(contract, body):
            cheaper = gen.cheap(contract, body)  # if it is wrongly accepted, keep it cheap
            body = cheaper if gen.request_errors(contract, cheaper) else body
        spec = RequestSpec(body=body, headers=headers, raw_body=_ascii_if_needed(body))
    expect, rule, documented = expectation(contract, spec, mode)
    probe = Probe(
        id=f"{AREA}/{mode}/{index:03d}",
        area=AREA,
        title=f"schemathesis {mode} case {index}",
        request=spec,
        expect=expect,
        rule=rule,
        documented=documented,
        params={"generation_mode": mode},
    )
    _CASES[(contract.id, probe.id)] = case
    return probe


def _ascii_if_needed(body: Any) -> bytes | None:
    """Generated strings may hold lone surrogates, which UTF-8 cannot carry: send those
    bodies as ASCII-escaped JSON (still the same JSON value)."""
    try:
        json.dumps(body, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return None


def expectation(
    contract: Contract, spec: RequestSpec, mode: str
) -> tuple[Expect, Rule | None, bool]:
    """What the contract says of this request: accept, reject (and the rule), or anything."""
    if spec.raw_body is not None:
        try:
            body = json.loads(spec.raw_body)
        except (ValueError, UnicodeDecodeError):
            return "reject", _rule(contract, "error/malformed-json-400"), True
    else:
        body = spec.body
    errors = gen.request_errors(contract, body)
    if not errors:
        # A negative case the contract finds valid was negated outside the body (a header,
        # the media type): no stated rule decides it.
        return ("accept" if mode == "positive" else "any"), None, True
    from chatconform.engine.strategies import rules_broken

    tops = {str(e.absolute_path[0]) if e.absolute_path else "" for e in errors}
    documented = any(t == "" or gen.documented(contract, t) for t in tops)
    rule = next(iter(rules_broken(contract, body)), None)
    return "reject", rule, documented


def _rule(contract: Contract, rule_id: str) -> Rule | None:
    try:
        return contract.rule(rule_id)
    except KeyError:
        return None


# -- verdicts ------------------------------------------------------------------------------


def to_schemathesis_response(exchange: Exchange) -> schemathesis.Response:
    """The exchange as schemathesis reads responses (its request already redacted)."""
    import requests

    sent = exchange.request
    prepared = requests.Request(
        method=sent.method, url=sent.url, headers=dict(sent.headers), data=sent.body
    ).prepare()
    received = exchange.response
    return schemathesis.Response(
        status_code=received.status,
        headers={k: [v] for k, v in received.headers.items()},
        content=received.body,
        request=prepared,
        elapsed=received.elapsed_s,
        verify=True,
    )


def _is_schemathesis_probe(ctx: CheckContext, exchange: Exchange) -> bool:
    key = (ctx.contract.id, exchange.probe.id)
    return exchange.probe.area == AREA and key in _CASES and exchange.transport_error is None


@check(
    area=AREA,
    enforces=("response/*", "stream/*", "error/*"),
    citation="baseline: responses, as the contract's OpenAPI export describes them",
    applies=_is_schemathesis_probe,
)
def schemathesis_conformance(ctx: CheckContext, exchange: Exchange) -> None:
    """The response passes schemathesis's server-error, media-type and schema checks."""
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
    )

    case = _CASES[(ctx.contract.id, exchange.probe.id)]
    try:
        case.validate_response(
            to_schemathesis_response(exchange),
            checks=[not_a_server_error, content_type_conformance, response_schema_conformance],
        )
    except FailureGroup as group:
        titles = "; ".join(f.title for f in group.exceptions)
        raise CheckFailed(
            f"schemathesis: {titles}",
            received="\n".join(f.message for f in group.exceptions),
            expected="a response the contract's OpenAPI export describes (no 5xx, "
            "documented media type, body valid against the documented schema)",
        ) from None


def use_contract(contract: Contract | None) -> None:
    """Name the contract ``chatconform_conformance`` judges by (None: judge nothing)."""
    _ACTIVE[:] = [contract] if contract is not None else []


@schemathesis.check
def chatconform_conformance(ctx: Any, response: schemathesis.Response, case: Case) -> bool | None:
    """Every registered chatconform check on a schemathesis exchange."""
    if not _ACTIVE:
        return None
    from chatconform.engine.evaluate import evaluate

    contract = _ACTIVE[0]
    mode = case.meta.generation.mode.value if case.meta is not None else "positive"
    probe = probe_for(contract, case, index=0, mode=mode)
    _CASES.pop((contract.id, probe.id), None)  # schemathesis judges itself here
    exchange = exchange_from(probe, response)
    failed = [o for o in evaluate(CheckContext(contract), exchange) if o.status == "failed"]
    if failed:
        raise AssertionError("\n".join(f"{o.check} [{o.rule}]: {o.message}" for o in failed))
    return None


def exchange_from(probe: Probe, response: schemathesis.Response) -> Exchange:
    """A chatconform exchange from a response schemathesis received itself."""
    request = response.request
    body = request.body if isinstance(request.body, bytes) else str(request.body or "").encode()
    sent = SentRequest(
        method=str(request.method),
        url=str(request.url),
        headers=redact_headers({k: _text(v) for k, v in request.headers.items()}),
        body=body,
    )
    received = ReceivedResponse(
        status=response.status_code,
        headers={k: ", ".join(v) for k, v in response.headers.items()},
        body=response.content or b"",
        elapsed_s=response.elapsed,
    )
    if received.content_type != "text/event-stream":
        return Exchange(probe, sent, received)
    events, framing = parse_sse(received.body)
    return Exchange(probe, sent, received, events=events, framing_errors=framing)


def _text(value: str | bytes) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else value
