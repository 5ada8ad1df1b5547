"""The schemathesis suite: stable cases, honest expectations, verdicts both ways."""

from __future__ import annotations

import json

import httpx
import pytest
from schemathesis.core.failures import FailureGroup

from chatconform._paths import data_dir
from chatconform.contracts import load_contract, validators_for
from chatconform.contracts.model import Contract
from chatconform.engine import schemathesis_suite as sts
from chatconform.engine.client import send
from chatconform.engine.evaluate import Outcome, evaluate
from chatconform.engine.probe import Probe, RequestSpec
from chatconform.engine.registry import CheckContext, get_check
from chatconform.server import ReferenceServer, transport

KEY = "sk-test-schemathesis"
EXAMPLES = 4
GENERATION = {"semantics", "tools", "logprobs", "reasoning"}
COMPLETION = {
    "id": "c1",
    "object": "chat.completion",
    "created": 1,
    "model": "m",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "OK"}, "finish_reason": "stop"}
    ],
    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
}


@pytest.fixture(scope="module")
def contract() -> Contract:
    """A contract with streaming extras, cross-field and per-model rules."""
    return load_contract("powertokens-byteplus")


@pytest.fixture(scope="module")
def probes(contract: Contract) -> list[Probe]:
    """Both modes' cases for the contract's default model, as probes."""
    out = []
    for mode in sts.MODES:
        drawn = sts.cases(contract, model=contract.models.default, examples=EXAMPLES, mode=mode)
        out += [sts.probe_for(contract, c, index=i, mode=mode) for i, c in enumerate(drawn)]
    return out


def run(contract: Contract, probe: Probe, handler: httpx.BaseTransport) -> list[Outcome]:
    with httpx.Client(transport=handler) as client:
        exchange = send(client, contract, probe, api_key=KEY, base_url="http://test/v1")
    return evaluate(CheckContext(contract), exchange)


def failed(outcomes: list[Outcome]) -> list[Outcome]:
    return [o for o in outcomes if o.status == "failed"]


def test_cases_are_the_same_on_every_draw(contract: Contract) -> None:
    model = contract.models.default
    for mode in sts.MODES:
        first = sts.cases(contract, model=model, examples=EXAMPLES, mode=mode)
        again = sts.cases(contract, model=model, examples=EXAMPLES, mode=mode)
        assert len(first) == EXAMPLES
        assert [c.body for c in first] == [c.body for c in again]
    with pytest.raises(ValueError, match="known: positive, negative"):
        sts.cases(contract, model=model, examples=1, mode="sideways")


def test_positive_cases_are_cheap_documented_and_valid(
    contract: Contract, probes: list[Probe]
) -> None:
    documented = {n for n, f in contract.fields.items() if f.documented}
    positive = [p for p in probes if p.params["generation_mode"] == "positive"]
    assert len(positive) == EXAMPLES
    for probe in positive:
        body = probe.request.body
        assert probe.expect == "accept", probe.id
        assert set(body) <= documented
        assert body["model"] == contract.models.default
        assert body["max_completion_tokens"] == 8 and "max_tokens" not in body
        assert not list(validators_for(contract).request.iter_errors(body))


def test_expectations_come_from_the_contract(contract: Contract, probes: list[Probe]) -> None:
    negative = [p for p in probes if p.params["generation_mode"] == "negative"]
    assert {p.expect for p in negative} <= {"reject", "any"}
    assert any(p.expect == "reject" for p in negative)
    malformed = RequestSpec(raw_body=b"\x00{")
    expect, rule, _ = sts.expectation(contract, malformed, "negative")
    assert (expect, rule and rule.id) == ("reject", "error/malformed-json-400")
    broken = RequestSpec(body={"model": "seed-1-6-250915", "messages": [], "temperature": 9})
    expect, rule, documented = sts.expectation(contract, broken, "negative")
    assert expect == "reject" and documented and rule is not None
    assert rule.id in ("request/messages/minItems", "request/temperature/maximum")


def test_a_lone_surrogate_is_sent_as_escaped_json(contract: Contract) -> None:
    body = {"model": contract.models.default, "messages": [{"role": "user", "content": "\udc00"}]}
    raw = sts._ascii_if_needed(body)
    assert raw is not None and json.loads(raw) == body


def test_a_conforming_server_is_not_flagged(contract: Contract, probes: list[Probe]) -> None:
    server = transport(ReferenceServer(contract, api_key=KEY))
    for probe in probes:
        outcomes = failed(run(contract, probe, server))
        if probe.expect == "any":
            # A case negated outside its body carries schemathesis's raw body (JSON mode
            # beside tools, random tool names): what the model does with it is not a wire
            # rule, so only the wire checks judge it here.
            outcomes = [o for o in outcomes if get_check(o.check).area not in GENERATION]
        assert not outcomes, (probe.id, [o.message for o in outcomes])
    checks = {o.check for p in probes for o in run(contract, p, server)}
    assert "schemathesis_conformance" in checks


def test_a_server_accepting_invalid_requests_is_flagged(
    contract: Contract, probes: list[Probe]
) -> None:
    lenient = httpx.MockTransport(lambda request: httpx.Response(200, json=COMPLETION))
    rejected = [p for p in probes if p.expect == "reject" and p.documented]
    assert rejected
    for probe in rejected:
        names = {o.check for o in failed(run(contract, probe, lenient))}
        # A negative case whose body is not JSON at all is judged as malformed JSON.
        assert names & {"invalid_request_rejected", "malformed_json_rejected"}, probe.id


def test_schemathesis_checks_flag_a_server_error(contract: Contract, probes: list[Probe]) -> None:
    broken = httpx.MockTransport(lambda request: httpx.Response(500, text="boom"))
    outcomes = run(contract, probes[0], broken)
    [verdict] = [o for o in outcomes if o.check == "schemathesis_conformance"]
    assert verdict.status == "failed"
    assert "Received:" in verdict.message and "Expected:" in verdict.message
    assert "Server error" in verdict.message


def test_chatconform_checks_run_inside_schemathesis(contract: Contract) -> None:
    model = contract.models.default
    [case] = sts.cases(contract, model=model, examples=1, mode="positive")
    probe = Probe(id="t", area="t", title="t", request=RequestSpec(body=case.body))
    server = httpx.MockTransport(lambda request: httpx.Response(500))
    with httpx.Client(transport=server) as client:
        exchange = send(client, contract, probe, api_key=KEY, base_url="http://test/v1")
    st_response = sts.to_schemathesis_response(exchange)
    sts.use_contract(None)
    case.validate_response(st_response, checks=[sts.chatconform_conformance])  # judges nothing
    sts.use_contract(contract)
    try:
        with pytest.raises(FailureGroup, match="no_server_error") as raised:
            case.validate_response(st_response, checks=[sts.chatconform_conformance])
    finally:
        sts.use_contract(None)
    assert KEY not in str(raised.value) and "<redacted>" in str(raised.value)


SUITE_INI = """
[pytest]
addopts = --strict-markers --strict-config -p no:cacheprovider
filterwarnings =
    error
"""


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A directory holding the shipped schemathesis suite, with a key in the environment."""
    source = (data_dir("suites") / "test_schemathesis.py").read_text("utf-8")
    pytester.makepyfile(test_schemathesis=source)
    pytester.makeini(SUITE_INI)
    monkeypatch.setenv("CHATCONFORM_ST_KEY", KEY)
    return pytester


def test_the_suite_runs_only_when_selected(suite: pytest.Pytester) -> None:
    args = ("--provider", "powertokens-qwen", "--api-key-env", "CHATCONFORM_ST_KEY")
    result = suite.runpytest(*args, "--base-url", "inprocess://", "--examples", "2")
    result.assert_outcomes(skipped=1)
    result = suite.runpytest(
        *args, "--base-url", "inprocess://", "--examples", "2", "--area", "schemathesis"
    )
    result.assert_outcomes(passed=4)
    result.stdout.no_fnmatch_line(f"*{KEY}*")
