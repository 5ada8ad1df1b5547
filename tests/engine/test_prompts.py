"""The semantic probes: deterministic, only for stated semantics, cheap, and each one
exercising the check it was written for."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from tests.checks.effects_support import contract_with, verdict
from tests.support import exchange_for, sse_body

from chatconform.contracts import contract_ids, load_contract
from chatconform.contracts.model import Citation, Contract, Rule
from chatconform.engine.probe import Probe
from chatconform.engine.prompts import WORDS, semantic, semantic_probes
from chatconform.server import ReferenceServer

RUNNABLE = [c for c in contract_ids() if c != "baseline"]
# The check each probe family is written to exercise (longest prefix wins).
TARGET = {
    "semantics/max_tokens/cut": "max_tokens_honoured",
    "semantics/max_completion_tokens/cut": "max_completion_tokens_honoured",
    "semantics/max_completion_tokens/overrides": "max_completion_tokens_overrides",
    "semantics/stop": "stop_sequence_honoured",
    "semantics/json_object": "json_object_content",
    "semantics/json_schema": "json_schema_content",
    "semantics/seed": "seed_repeatable",
    "tools/call": "tool_call_shape",
    "tools/choice/required": "tool_choice_required_calls",
    "tools/choice/none": "tool_choice_none_no_calls",
    "tools/choice/function": "tool_choice_named_function",
    "tools/parallel/false": "parallel_tool_calls_false",
    "logprobs/plain": "logprobs_present_and_shaped",
    "logprobs/top": "top_logprobs_count",
    "reasoning/on": "reasoning_present_when_on",
    "reasoning/default": "reasoning_present_when_on",
    "reasoning/off": "reasoning_absent_when_off",
}


def probes_of(contract_id: str, model: str | None = None) -> tuple[Contract, list[Probe]]:
    contract = load_contract(contract_id)
    return contract, semantic_probes(contract, model or contract.models.default)


def ids(probes: list[Probe]) -> list[str]:
    return [p.id for p in probes]


@pytest.mark.parametrize("contract_id", RUNNABLE)
def test_probes_are_deterministic_unique_and_cheap(contract_id: str) -> None:
    contract, probes = probes_of(contract_id)
    again = semantic_probes(contract, contract.models.default)
    assert [(p.id, json.dumps(p.request.body)) for p in probes] == [
        (p.id, json.dumps(p.request.body)) for p in again
    ]
    assert len(set(ids(probes))) == len(probes)
    for probe in probes:
        body = probe.request.body
        assert probe.expect == "accept"
        assert body["model"] == contract.models.default
        assert body["messages"][0]["role"] == "user"
        bounds = [body[f] for f in ("max_tokens", "max_completion_tokens") if f in body]
        # A JSON object in JSON mode comes with whitespace: a real small model needed ~50
        # tokens for a two-key object, so 64 cut it before it closed (docs/peer-findings.md).
        cap = 128 if probe.id.startswith("semantics/json_object") else 64
        assert bounds and max(bounds) <= cap, probe.id
        if "max_tokens" in body and "max_completion_tokens" in body:
            assert probe.id == "semantics/max_completion_tokens/overrides"
            assert (semantic(contract, "max_completion_tokens") or {})["overrides_max_tokens"]


def test_no_semantics_no_probes() -> None:
    assert semantic_probes(contract_with({}), "m") == []


def test_only_stated_semantics_get_probes() -> None:
    _, qwen = probes_of("powertokens-qwen")
    _, anyfast = probes_of("anyfast")
    _, generic = probes_of("openai-compatible")
    assert "semantics/seed" in ids(qwen)
    assert not any("seed" in i for i in ids(anyfast) + ids(generic))
    assert not any(p.area == "reasoning" for p in generic)
    assert "tools/choice/function" not in ids(qwen)  # its page lists auto/none/required
    assert [i for i in ids(anyfast) if i.startswith("tools/")] == [
        "tools/call",
        "tools/call/stream",
    ]


def test_streamed_twins_ask_for_usage() -> None:
    _, probes = probes_of("powertokens-byteplus")
    by_id = {p.id: p for p in probes}
    twin, plain = by_id["semantics/max_tokens/cut/stream"], by_id["semantics/max_tokens/cut"]
    assert twin.request.stream and not plain.request.stream
    assert twin.request.body["stream_options"] == {"include_usage": True}
    assert {k: v for k, v in twin.request.body.items() if "stream" not in k} == plain.request.body


def test_bounds_follow_the_vendor_rules() -> None:
    _, byteplus = probes_of("powertokens-byteplus")
    _, trinity = probes_of("trinitydesk")
    overrides = next(p for p in byteplus if p.id.endswith("/overrides"))
    assert overrides.request.body["max_tokens"] < overrides.request.body["max_completion_tokens"]
    assert not any(p.id.endswith("/overrides") for p in trinity)  # mutually exclusive there
    cut = next(p for p in byteplus if p.id == "semantics/max_tokens/cut")
    assert cut.request.body["max_tokens"] == 5 and cut.rule and cut.rule.id == "semantic/max_tokens"


def test_thinking_is_off_unless_under_test() -> None:
    _, probes = probes_of("powertokens-byteplus")
    for probe in probes:
        want = "enabled" if probe.id.startswith("reasoning/on") else "disabled"
        assert probe.request.body["thinking"] == {"type": want}, probe.id
        if not probe.id.startswith(("semantics/max_tokens/", "semantics/max_completion_tokens/")):
            # max_tokens counts the answer only there: only this bound holds reasoning too
            assert "max_tokens" not in probe.request.body, probe.id
            assert "max_completion_tokens" in probe.request.body, probe.id


def test_cheap_bound_is_max_tokens_unless_it_leaves_reasoning_unbounded() -> None:
    _, generic = probes_of("openai-compatible")
    _, trinity = probes_of("trinitydesk")
    for probe in generic + trinity:
        if not probe.id.startswith("semantics/max_completion_tokens/"):
            assert "max_completion_tokens" not in probe.request.body, probe.id
            assert "max_tokens" in probe.request.body, probe.id


def test_thinking_follows_per_model_rules() -> None:
    _, gpt = probes_of("trinitydesk", "gpt-4o")
    _, pro = probes_of("trinitydesk", "gemini-3-pro-preview")
    _, flash = probes_of("trinitydesk", "gemini-3-flash-preview")
    assert not any("thinking_enabled" in p.request.body for p in gpt)
    assert not any(p.area == "reasoning" for p in gpt)
    assert "reasoning/off" not in ids(pro) and "reasoning/on" in ids(pro)
    assert not any(p.request.body.get("thinking_enabled") is False for p in pro)
    assert {"reasoning/off", "reasoning/default"} <= set(ids(flash))


def test_stop_probe_asks_greedily_where_temperature_is_documented() -> None:
    # Sampling let a small model wander off before the stop word: the check then skips.
    seen = 0
    for contract_id in RUNNABLE:
        _, probes = probes_of(contract_id)
        for probe in (p for p in probes if p.id.startswith("semantics/stop")):
            body = probe.request.body
            assert body["messages"][0]["content"] == f"Say: {WORDS}", contract_id
            assert body["temperature"] == 0, contract_id
            seen += 1
    assert seen >= 2 * len(RUNNABLE)  # plain and streamed, in every contract
    bare = contract_with({"stop": {}})
    (probe, _) = semantic_probes(bare, "m")
    assert probe.id == "semantics/stop" and "temperature" not in probe.request.body
    forbidden = Rule(
        id="model/m/temperature/forbidden",
        area="model",
        kind="forbidden",
        field="temperature",
        params={"models": ["m"]},
        citation=Citation("vendor", "temperature", "not supported"),
    )
    ruled = contract_with({"stop": {}}, fields=("temperature",), rules=(forbidden,))
    assert "temperature" not in semantic_probes(ruled, "m")[0].request.body
    assert semantic_probes(ruled, "other")[0].request.body["temperature"] == 0


def test_json_object_probe_asks_for_a_fixed_object_with_room_to_close_it() -> None:
    _, probes = probes_of("openai-compatible")
    found = [p for p in probes if p.id.startswith("semantics/json_object")]
    assert len(found) == 2
    for probe in found:
        body = probe.request.body
        asked = body["messages"][0]["content"]
        assert asked.startswith("Say: ")
        assert json.loads(asked.split(": ", 1)[1]) == {"city": "Paris", "country": "France"}
        assert body["max_tokens"] == 128
        assert body["temperature"] == 0


def test_seed_probe_samples_and_repeats() -> None:
    _, probes = probes_of("powertokens-qwen")
    seed = next(p for p in probes if p.id == "semantics/seed")
    assert seed.params["repeat"] == 2 and not seed.request.stream
    assert seed.request.body["seed"] == 42 and seed.request.body["temperature"] == 1


def _answer(probe: Probe) -> httpx.Response:
    msg = {"role": "assistant", "content": "ok"}
    if probe.request.stream:
        frame = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m"}
        chunk = {**frame, "choices": [{"index": 0, "delta": msg, "finish_reason": "stop"}]}
        return httpx.Response(
            200, headers={"content-type": "text/event-stream"}, content=sse_body(chunk)
        )
    choice = {"index": 0, "message": msg, "finish_reason": "stop"}
    return httpx.Response(200, json={"id": "c", "object": "chat.completion", "choices": [choice]})


@pytest.mark.parametrize(
    ("contract_id", "model"),
    [
        ("powertokens-byteplus", None),
        ("trinitydesk", "gemini-3-flash-preview"),
        ("powertokens-qwen", None),
        ("anyfast", None),
    ],
)
def test_each_probe_exercises_its_check(contract_id: str, model: str | None) -> None:
    contract, probes = probes_of(contract_id, model)
    for probe in probes:
        family = max((k for k in TARGET if probe.id.startswith(k)), key=len)
        ex = exchange_for(contract, lambda _, p=probe: _answer(p), probe=probe)
        assert verdict(TARGET[family], contract, ex)[0] != "n/a", probe.id


def _words_model(ignore_stop: bool) -> Any:
    """A stand-in model that repeats the word list, honouring ``stop`` or not."""

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        text = WORDS
        if not ignore_stop:
            text = text.split(body["stop"][0])[0]
        choice = {"index": 0, "message": {"role": "assistant", "content": text}}
        return httpx.Response(200, json={"choices": [{**choice, "finish_reason": "stop"}]})

    return handler


def test_stop_probe_separates_honoured_from_ignored() -> None:
    contract, probes = probes_of("powertokens-qwen")
    stop = next(p for p in probes if p.id == "semantics/stop")
    good = exchange_for(contract, _words_model(ignore_stop=False), probe=stop)
    bad = exchange_for(contract, _words_model(ignore_stop=True), probe=stop)
    assert verdict("stop_sequence_honoured", contract, good)[0] == "passed"
    assert verdict("stop_sequence_honoured", contract, bad)[0] == "failed"


def _reference(contract: Contract, fault: str | None) -> Any:
    """A handler that forwards to the reference server (``fault`` on, or none)."""
    srv = ReferenceServer(contract, api_key="test-key", fault=fault)

    def handler(request: httpx.Request) -> httpx.Response:
        answer = srv.handle(
            request.method, request.url.path, dict(request.headers), request.content
        )
        return httpx.Response(answer.status, headers=answer.headers, content=answer.body())

    return handler


def test_only_the_cut_probes_declare_a_certain_cut() -> None:
    for contract_id in RUNNABLE:
        _, probes = probes_of(contract_id)
        for probe in probes:
            certain = probe.id.startswith(
                ("semantics/max_tokens/cut", "semantics/max_completion_tokens/cut")
            )
            assert probe.params.get("expects_cut", False) is certain, (contract_id, probe.id)


@pytest.mark.parametrize(
    "contract_id", ["openai-compatible", "powertokens-byteplus", "trinitydesk"]
)
def test_cut_probes_separate_length_from_stop(contract_id: str) -> None:
    contract, probes = probes_of(contract_id)
    cuts = [p for p in probes if p.params.get("expects_cut")]
    assert cuts
    for probe in cuts:
        good = exchange_for(contract, _reference(contract, None), probe=probe)
        bad = exchange_for(contract, _reference(contract, "finish_stop_when_cut"), probe=probe)
        assert verdict("length_when_cut", contract, good) == ("passed", ""), probe.id
        status, detail = verdict("length_when_cut", contract, bad)
        assert status == "failed" and "/length | output cut at" in detail, probe.id


def _one_call_per_tool(request: httpx.Request) -> httpx.Response:
    """A stand-in model that ignores parallel_tool_calls: one call per declared tool."""
    body = json.loads(request.content)
    calls = [
        {
            "id": f"call_{n}",
            "type": "function",
            "function": {"name": tool["function"]["name"], "arguments": '{"city": "Paris"}'},
        }
        for n, tool in enumerate(body["tools"])
    ]
    message = {"role": "assistant", "content": None, "tool_calls": calls}
    choice = {"index": 0, "message": message, "finish_reason": "tool_calls"}
    return httpx.Response(200, json={"choices": [choice]})


@pytest.mark.parametrize(
    "contract_id", ["openai-compatible", "powertokens-byteplus", "trinitydesk"]
)
def test_parallel_probe_needs_two_tools_so_an_ignored_flag_shows(contract_id: str) -> None:
    contract, probes = probes_of(contract_id)
    probe = next(p for p in probes if p.id == "tools/parallel/false")
    body = probe.request.body
    names = [t["function"]["name"] for t in body["tools"]]
    prompt = body["messages"][0]["content"]
    assert names == ["get_weather", "get_time"] and body["parallel_tool_calls"] is False
    assert "weather" in prompt and "time" in prompt
    ignored = exchange_for(contract, _one_call_per_tool, probe=probe)
    assert verdict("parallel_tool_calls_false", contract, ignored)[0] == "failed"
    good = exchange_for(contract, _reference(contract, None), probe=probe)
    bad = exchange_for(contract, _reference(contract, "parallel_tool_calls_ignored"), probe=probe)
    assert verdict("parallel_tool_calls_false", contract, good) == ("passed", "")
    assert verdict("parallel_tool_calls_false", contract, bad)[0] == "failed"
