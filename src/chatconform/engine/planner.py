"""The planner: the probes a run sends, derived from a compiled contract.

Cassettes and reports key on probe ids and request bodies, so the plan is a pure
function of its arguments: the same contract, model, ``examples`` and areas give the
same probes, in the same order, with the same bodies. Nothing here reads the clock, the
environment or an unseeded random source.

Cost is part of the design: every body expected to be accepted carries a tiny output
bound on the field the contract documents, unless the rule under test is that bound.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from chatconform.contracts.model import Contract, Rule
from chatconform.engine import _generate as _gen
from chatconform.engine._generate import cheap
from chatconform.engine.probe import Expect, Probe, RequestSpec

AREAS: tuple[str, ...] = (
    "negative",
    "positive",
    "generated",
    "response",
    "streaming",
    "semantics",
    "tools",
    "logprobs",
    "reasoning",
    "auth",
    "errors",
    "headers",
    "schemathesis",
)
"""Every area a run can select, in plan order."""

DEFAULT_AREAS: tuple[str, ...] = AREAS[:-1]
"""What ``plan`` covers when no area is named. ``schemathesis`` is a suite of its own
(``suites/test_schemathesis.py``), run only when selected; ``plan`` gives it no probes."""

SEMANTIC_AREAS = frozenset({"semantics", "tools", "logprobs", "reasoning"})
SEED = 20260101  # the generated area's fixed seed: changing it changes every cassette
MALFORMED_JSON = b'{"model": '


def plan(
    contract: Contract,
    *,
    model: str,
    examples: int = 10,
    areas: Collection[str] | None = None,
) -> list[Probe]:
    """Every probe of the selected ``areas`` (default: :data:`DEFAULT_AREAS`).

    An unknown area is an error naming the known ones. ``examples`` bounds the
    generated area: that many valid and that many invalid requests.
    """
    selected = _select(areas)
    probes: list[Probe] = []
    if selected & {"negative", "headers"}:
        probes += _violation_probes(contract, model, selected)
    if "positive" in selected:
        probes += _positive(contract, model)
    if "generated" in selected:
        probes += _generated(contract, model, examples)
    if "response" in selected:
        probes += _response(contract, model)
    if "streaming" in selected:
        probes += _streaming(contract, model)
    if selected & SEMANTIC_AREAS:
        probes += [p for p in _semantic(contract, model) if p.area in selected]
    if "auth" in selected:
        probes += _auth(contract, model)
    if "errors" in selected:
        probes += _errors(contract)
    if "headers" in selected:
        probes += _headers(contract, model)
    return _unique(probes)


def _select(areas: Collection[str] | None) -> frozenset[str]:
    if areas is None:
        return frozenset(DEFAULT_AREAS)
    unknown = sorted(set(areas) - set(AREAS))
    if unknown:
        raise ValueError(f"unknown area(s) {', '.join(unknown)}; known: {', '.join(AREAS)}")
    return frozenset(areas)


def _unique(probes: Iterable[Probe]) -> list[Probe]:
    """Drop repeats of an id (the first wins) so every probe id is unique."""
    seen: set[str] = set()
    out: list[Probe] = []
    for probe in probes:
        if probe.id not in seen:
            seen.add(probe.id)
            out.append(probe)
    return out


# -- bodies ------------------------------------------------------------------------------


def minimal(contract: Contract, model: str) -> dict[str, Any]:
    """The contract's smallest valid body for ``model``, made cheap."""
    return cheap(contract, _gen.minimal(contract, model))


def _probe(
    area: str,
    what: str,
    title: str,
    body: Any = None,
    *,
    expect: Expect = "accept",
    rule: Rule | None = None,
    documented: bool = True,
    **request: Any,
) -> Probe:
    return Probe(
        id=f"{area}/{what}",
        area=area,
        title=title,
        request=RequestSpec(body=body, **request),
        expect=expect,
        rule=rule,
        documented=documented,
    )


def _rule(contract: Contract, rule_id: str) -> Rule | None:
    try:
        return contract.rule(rule_id)
    except KeyError:
        return None


# -- areas -------------------------------------------------------------------------------


def _violation_probes(contract: Contract, model: str, selected: frozenset[str]) -> list[Probe]:
    from chatconform.contracts.violations import violations

    probes: list[Probe] = []
    for v in violations(contract, model):
        if "negative" not in selected and v.rule.area != "header":
            continue
        probes.append(
            _probe(
                "negative",
                f"{v.rule.id}/{v.label}",
                f"{v.rule.id} broken ({v.label})",
                v.body,
                expect="reject",
                rule=v.rule,
                documented=v.documented and v.rule.is_hard,
                headers=dict(v.headers),
            )
        )
    return probes


def _positive(contract: Contract, model: str) -> list[Probe]:
    from chatconform.contracts.violations import boundary_requests

    probes = [_probe("positive", "minimal", "the smallest valid request", minimal(contract, model))]
    counts: dict[str, int] = {}
    for rule, body in boundary_requests(contract, model):
        n = counts[rule.id] = counts.get(rule.id, 0) + 1
        what = f"{rule.id}/{n}" if n > 1 else rule.id
        probes.append(
            _probe("positive", what, f"{rule.id} at its bound", cheap(contract, body), rule=rule)
        )
    return probes


def _generated(contract: Contract, model: str, examples: int) -> list[Probe]:
    from chatconform.engine.strategies import seeded_invalid, seeded_valid

    probes: list[Probe] = []
    for i, body in enumerate(seeded_valid(contract, model, examples, seed=SEED)):
        probes.append(_probe("generated", f"valid/{i:03d}", "a generated valid request", body))
    for i, (rule, body) in enumerate(seeded_invalid(contract, model, examples, seed=SEED)):
        probes.append(
            _probe(
                "generated",
                f"invalid/{i:03d}/{rule.id}",
                f"a generated request breaking {rule.id}",
                body,
                expect="reject",
                rule=rule,
                documented=rule.is_hard and _field_documented(contract, rule),
            )
        )
    return probes


def _field_documented(contract: Contract, rule: Rule) -> bool:
    top = rule.field.split(".")[0].split("[")[0]
    spec = contract.fields.get(top)
    return spec is None or spec.documented


def _response(contract: Contract, model: str) -> list[Probe]:
    body = minimal(contract, model)
    probes = [_probe("response", "minimal", "a non-streamed response", body)]
    if _gen.documented(contract, "n"):
        probes.append(_probe("response", "n/2", "two choices", {**body, "n": 2}))
    return probes


def _streaming(contract: Contract, model: str) -> list[Probe]:
    body = {**minimal(contract, model), "stream": True}
    probes = [
        _probe("streaming", "minimal", "a streamed response", body),
        _probe(
            "streaming",
            "include_usage",
            "a streamed response with a usage chunk",
            {**body, "stream_options": {"include_usage": True}},
            rule=_rule(contract, "stream/include-usage"),
        ),
    ]
    if contract.has_semantic("chunk_include_usage"):
        probes.append(
            _probe(
                "streaming",
                "chunk_include_usage",
                "a streamed response with usage in every chunk",
                {**body, "stream_options": {"include_usage": True, "chunk_include_usage": True}},
            )
        )
    return probes


def _semantic(contract: Contract, model: str) -> list[Probe]:
    try:
        from chatconform.engine.prompts import semantic_probes
    except ImportError:  # the semantic probe builders are optional in a partial install
        return []
    return list(semantic_probes(contract, model))


def _auth(contract: Contract, model: str) -> list[Probe]:
    body = minimal(contract, model)
    return [
        _probe(
            "auth",
            "none",
            "no bearer token",
            body,
            expect="auth-reject",
            rule=_rule(contract, "auth/missing-key-401"),
            auth="none",
        ),
        _probe(
            "auth",
            "wrong",
            "a wrong bearer token",
            body,
            expect="auth-reject",
            rule=_rule(contract, "auth/wrong-key-401"),
            auth="wrong",
        ),
    ]


def _errors(contract: Contract) -> list[Probe]:
    return [
        _probe(
            "errors",
            "malformed-json",
            "a body that is not JSON",
            expect="reject",
            rule=_rule(contract, "error/malformed-json-400"),
            raw_body=MALFORMED_JSON,
        ),
        # No page states which status a wrong method gets (405 is usual), so the answer is
        # judged only by what holds for every non-2xx: a JSON error body and no 5xx. A
        # stdlib-style 501 HTML page for a method nobody routed breaks both.
        _probe(
            "errors",
            "method-get",
            f"GET on {contract.path}",
            expect="any",
            rule=_rule(contract, "error/json-body"),
            method="GET",
            raw_body=b"",
        ),
    ]


def _headers(contract: Contract, model: str) -> list[Probe]:
    probes: list[Probe] = []
    for rule in contract.rules_in("header"):
        limit = _max_length(rule)
        name = rule.field or rule.id.split("/")[1]
        if rule.kind != "maxLength" or limit is None:
            continue
        probes.append(
            _probe(
                "headers",
                f"{name}/at-max-length",
                f"{name} of exactly {limit} characters",
                minimal(contract, model),
                rule=rule,
                headers={name: _header_value(limit)},
            )
        )
    return probes


def _max_length(rule: Rule) -> int | None:
    for key in ("maxLength", "max_length", "value", "limit"):
        value = rule.params.get(key)
        if isinstance(value, int):
            return value
    return None


def _header_value(length: int) -> str:
    """A deterministic id of exactly ``length`` characters, safe in any header."""
    stem = "chatconform-"
    return (stem + "0123456789abcdef" * (length // 16 + 1))[:length]
