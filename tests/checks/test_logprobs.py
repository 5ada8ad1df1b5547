"""Logprobs checks: presence and shape of logprobs.content, and the top_logprobs count."""

from __future__ import annotations

from typing import Any

import pytest
from tests.checks.effects_support import contract_with, exchange, message, verdict

from chatconform.engine.registry import CheckContext

LOGPROBS = contract_with({"logprobs": {"max_top": 20}})
NONE = contract_with({})
PLAIN = {"logprobs": True}
TOP2 = {"logprobs": True, "top_logprobs": 2}

both = pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])


def entry(token: str, logprob: float = -0.1, tops: int = 0, **override: Any) -> dict[str, Any]:
    alternatives = [
        {"token": f"{token}{n}", "logprob": -1.0 - n, "bytes": [65]} for n in range(tops)
    ]
    out = {
        "token": token,
        "logprob": logprob,
        "bytes": list(token.encode()),
        "top_logprobs": alternatives,
    }
    return {**out, **override}


def answer(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"content": list(entries)}


def run(name: str, body: dict[str, Any], logprobs: Any, text: str = "Hello!", **kw: Any) -> Any:
    contract, ctx = kw.pop("contract", LOGPROBS), kw.pop("ctx", None)
    ex = exchange(contract, body, message(text), logprobs=logprobs, **kw)
    return verdict(name, contract, ex, ctx)


@both
def test_logprobs_present_and_shaped_passes(stream: bool) -> None:
    good = answer(entry("Hello"), entry("!"))
    assert run("logprobs_present_and_shaped", PLAIN, good, stream=stream) == ("passed", "")


@both
def test_logprobs_present_and_shaped_fails_when_dropped(stream: bool) -> None:
    status, detail = run("logprobs_present_and_shaped", PLAIN, None, stream=stream)
    assert status == "failed"
    assert detail.startswith("semantic/logprobs | logprobs accepted but not returned")
    assert "Received: choices[0].logprobs.content None" in detail


@both
@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        (entry("Hello", logprob=0.5), "logprob 0.5 > 0"),
        (entry("Hello", logprob="low"), "logprob 'low' is not a number"),
        ({**entry("Hello"), "token": None}, "token None is not a string"),
        ({"token": "Hello", "logprob": -0.1, "top_logprobs": []}, "no bytes"),
        (entry("Hello", bytes="SGVsbG8="), "is not a list of byte values or null"),
        (entry("Hello", top_logprobs=None), "top_logprobs None is not a list"),
    ],
)
def test_logprobs_present_and_shaped_fails_malformed(
    stream: bool, bad: dict[str, Any], problem: str
) -> None:
    status, detail = run("logprobs_present_and_shaped", PLAIN, answer(bad), stream=stream)
    assert status == "failed"
    assert detail.startswith("semantic/logprobs | malformed logprobs entry")
    assert problem in detail


def test_logprobs_legacy_shape_is_not_accepted() -> None:
    legacy = {"tokens": ["Hello"], "token_logprobs": [-0.1]}
    assert run("logprobs_present_and_shaped", PLAIN, legacy)[0] == "failed"


def test_logprobs_null_bytes_allowed_and_mismatch_noted() -> None:
    ctx = CheckContext(contract=LOGPROBS)
    shaped = answer(entry("Hi", bytes=None))
    assert run("logprobs_present_and_shaped", PLAIN, shaped, ctx=ctx) == ("passed", "")
    assert "spell 'Hi', content is 'Hello!'" in ctx.observations[0]["message"]


def test_logprobs_skips_without_text_and_needs_the_semantic() -> None:
    assert run("logprobs_present_and_shaped", PLAIN, None, text="")[0] == "skipped"
    assert run("logprobs_present_and_shaped", PLAIN, None, contract=NONE)[0] == "n/a"
    assert run("logprobs_present_and_shaped", {"logprobs": False}, None)[0] == "n/a"


@both
def test_top_logprobs_count_passes(stream: bool) -> None:
    good = answer(entry("Hello", tops=2), entry("!", tops=2))
    assert run("top_logprobs_count", TOP2, good, stream=stream) == ("passed", "")


@both
@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        (entry("Hello", tops=0), "0 items"),
        (entry("Hello", tops=3), "3 items"),
        (entry("Hello", top_logprobs=[{"token": "a", "logprob": 1}] * 2), "logprob 1 > 0"),
        (entry("Hello", top_logprobs=[{"logprob": -1}] * 2), "has no string token"),
    ],
)
def test_top_logprobs_count_fails(stream: bool, bad: dict[str, Any], problem: str) -> None:
    status, detail = run("top_logprobs_count", TOP2, answer(bad), stream=stream)
    assert status == "failed"
    assert detail.startswith("semantic/logprobs/top | top_logprobs 2 accepted but not honoured")
    assert problem in detail


def test_top_logprobs_count_skips_without_entries_and_needs_logprobs_true() -> None:
    assert run("top_logprobs_count", TOP2, None)[0] == "skipped"
    no_logprobs = {"logprobs": False, "top_logprobs": 2}
    assert run("top_logprobs_count", no_logprobs, answer(entry("Hello")))[0] == "n/a"


def test_top_logprobs_zero_means_empty_lists() -> None:
    body = {"logprobs": True, "top_logprobs": 0}
    assert run("top_logprobs_count", body, answer(entry("Hello")))[0] == "passed"
    assert run("top_logprobs_count", body, answer(entry("Hello", tops=1)))[0] == "failed"
