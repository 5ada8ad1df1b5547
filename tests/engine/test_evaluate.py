"""evaluate: which checks judge an exchange, and when a failure is softened.

A request outside the contract is judged by whether it was rejected, never by what the
invalid value did; the soft-rule downgrade touches only the check judging that rule.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx
import pytest
from tests.support import exchange_for, sse_body

from chatconform.contracts import load_contract
from chatconform.engine.evaluate import REJECT_AREAS, Outcome, evaluate
from chatconform.engine.probe import Expect, Probe, RequestSpec
from chatconform.engine.registry import CheckContext, get_check

CONTRACT = load_contract("openai-compatible")
MODEL = CONTRACT.models.default
K = 21  # one above the baseline's top_logprobs maximum
BODY: dict[str, Any] = {
    "model": MODEL,
    "messages": [{"role": "user", "content": "Say hello."}],
    "max_tokens": 8,
    "logprobs": True,
    "top_logprobs": K,
}
TOP = [{"token": f"t{n}", "logprob": -1.0 - n, "bytes": None} for n in range(K + 1)]
LOGPROBS = {"content": [{"token": "Hi", "logprob": -0.1, "bytes": [72, 105], "top_logprobs": TOP}]}


def completion(**choice: Any) -> dict[str, Any]:
    """A well-formed answer to BODY whose logprobs carry k + 1 alternatives."""
    base = {"index": 0, "message": {"role": "assistant", "content": "Hi"}}
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": MODEL,
        "choices": [{**base, "finish_reason": "stop", "logprobs": LOGPROBS, **choice}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
    }


def probe(expect: Expect, body: Any = None, *, documented: bool = True) -> Probe:
    return Probe(
        id=f"test/{expect}",
        area="negative" if expect == "reject" else "logprobs",
        title="top_logprobs above 20",
        request=RequestSpec(body=BODY if body is None else body),
        expect=expect,
        rule=CONTRACT.rule("request/top_logprobs/maximum") if expect == "reject" else None,
        documented=documented,
    )


def judge(p: Probe, response: httpx.Response) -> tuple[list[Outcome], CheckContext]:
    ctx = CheckContext(contract=CONTRACT)
    return evaluate(ctx, exchange_for(CONTRACT, lambda _: response, probe=p)), ctx


def statuses(outcomes: list[Outcome]) -> dict[str, str]:
    return {o.check: o.status for o in outcomes}


def area_of(outcome: Outcome) -> str:
    return get_check(outcome.check).area


# -- a request outside the contract ------------------------------------------------------


def test_accepted_invalid_request_fails_once_not_for_its_effects() -> None:
    outcomes, _ = judge(probe("reject"), httpx.Response(200, json=completion()))
    got = statuses(outcomes)
    assert got["invalid_request_rejected"] == "failed"
    assert "top_logprobs_count" not in got  # 22 alternatives for k = 21 is the same fault
    assert {area_of(o) for o in outcomes} <= REJECT_AREAS
    assert [o.check for o in outcomes if o.status == "failed"] == ["invalid_request_rejected"]


def test_the_same_answer_to_a_valid_request_is_judged_by_its_effects() -> None:
    # The effect checks are skipped above only because the probe expects rejection.
    valid = {**BODY, "top_logprobs": 20}
    outcomes, _ = judge(probe("accept", valid), httpx.Response(200, json=completion()))
    got = statuses(outcomes)
    assert got["top_logprobs_count"] == "failed"
    assert got["response_schema"] == "passed"
    failure = next(o for o in outcomes if o.check == "top_logprobs_count")
    assert "Received: choices[0].logprobs.content[0].top_logprobs" in failure.message
    assert "Expected: 20 items" in failure.message


def test_accepted_invalid_streamed_request_is_not_judged_as_a_stream() -> None:
    chunk = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": MODEL,
        "choices": [{"index": 0, "delta": {"content": "Hi"}, "finish_reason": None}],
    }
    answer = httpx.Response(
        200, headers={"content-type": "text/event-stream"}, content=sse_body(chunk, done=False)
    )
    outcomes, _ = judge(probe("reject", {**BODY, "stream": True}), answer)
    assert {area_of(o) for o in outcomes} <= REJECT_AREAS
    assert statuses(outcomes)["invalid_request_rejected"] == "failed"
    accepted, _ = judge(probe("accept", {**BODY, "top_logprobs": 20, "stream": True}), answer)
    assert statuses(accepted)["stream_done_last"] == "failed"


@pytest.mark.parametrize(
    ("status", "body", "verdicts"),
    [
        (
            400,
            {"error": {"message": "top_logprobs", "type": "invalid", "param": None, "code": None}},
            {"invalid_request_rejected": "passed", "error_body_shape": "passed"},
        ),
        (500, {"error": "boom"}, {"no_server_error": "failed", "error_body_shape": "failed"}),
    ],
)
def test_rejection_areas_still_judge_the_answer(
    status: int, body: Any, verdicts: dict[str, str]
) -> None:
    outcomes, _ = judge(probe("reject"), httpx.Response(status, json=body))
    got = statuses(outcomes)
    assert {name: got.get(name) for name in verdicts} == verdicts


# -- soft rules --------------------------------------------------------------------------


def test_undocumented_rule_downgrades_only_its_own_verdict() -> None:
    soft = probe("reject", documented=False)
    outcomes, ctx = judge(soft, httpx.Response(200, json=completion()))
    assert statuses(outcomes)["invalid_request_rejected"] == "warned"
    assert ctx.observations[0]["soft"] is True
    assert ctx.observations[0]["rule"] == "request/top_logprobs/maximum"
    crashed, _ = judge(soft, httpx.Response(500, json={"error": "boom"}))
    assert statuses(crashed)["no_server_error"] == "failed"  # a stated baseline rule


def test_advice_rule_is_soft_like_an_undocumented_one() -> None:
    rule = dataclasses.replace(CONTRACT.rule("request/top_logprobs/maximum"), strength="advice")
    advice = dataclasses.replace(probe("reject"), rule=rule)
    outcomes, _ = judge(advice, httpx.Response(200, json=completion()))
    assert statuses(outcomes)["invalid_request_rejected"] == "warned"
