"""Answers for the "accepted but ignored" check tests: one message, sent as JSON or SSE.

Each test states the request and the message the endpoint answers with; the same answer
is served non-streamed (one ``chat.completion``) and streamed (chunks in the shape the
baseline describes), so every check is proven on both transports.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from tests.support import exchange_for, sse_body

from chatconform.contracts.model import Contract, FieldSpec, ModelSet, Rule
from chatconform.engine.exchange import Exchange
from chatconform.engine.failures import CheckFailed, CheckSkipped
from chatconform.engine.probe import Probe, RequestSpec
from chatconform.engine.registry import CheckContext, get_check

MODEL = "tiny-1"


def contract_with(
    semantics: Mapping[str, Mapping[str, Any]],
    *,
    fields: tuple[str, ...] = (),
    rules: tuple[Rule, ...] = (),
) -> Contract:
    """A contract holding ``semantics`` (and documented ``fields``), nothing else."""
    return Contract(
        id="test",
        title="test",
        parent=None,
        sources={},
        base_url="http://test/v1",
        path="/chat/completions",
        api_key_env="TEST_API_KEY",
        models=ModelSet(ids=(MODEL,), closed=False, default=MODEL),
        request_schema={},
        response_schema={},
        chunk_schema={},
        error_schema={},
        fields={f: FieldSpec(name=f, schema={}, documented=True) for f in fields},
        rules=rules,
        semantics=semantics,
    )


def message(
    content: str | None = "ok", *, reasoning: str | None = None, calls: list[Any] | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {"role": "assistant", "content": content}
    if reasoning is not None:
        out["reasoning_content"] = reasoning
    if calls is not None:
        out["tool_calls"] = calls
    return out


def call(name: str = "get_weather", arguments: str = '{"city": "Paris"}', id: str = "c1") -> Any:
    return {"id": id, "type": "function", "function": {"name": name, "arguments": arguments}}


def usage(completion: int, reasoning: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "prompt_tokens": 10,
        "completion_tokens": completion,
        "total_tokens": 10 + completion,
    }
    if reasoning is not None:
        out["completion_tokens_details"] = {"reasoning_tokens": reasoning}
    return out


def completion(
    msg: Mapping[str, Any],
    finish: str | None = "stop",
    use: Mapping[str, Any] | None = None,
    logprobs: Any = None,
) -> dict[str, Any]:
    choice = {"index": 0, "message": dict(msg), "finish_reason": finish, "logprobs": logprobs}
    body: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": MODEL,
        "choices": [choice],
    }
    if use is not None:
        body["usage"] = dict(use)
    return body


def _halves(text: str) -> list[str]:
    middle = len(text) // 2
    return [p for p in (text[:middle], text[middle:]) if p]


def chunks(
    msg: Mapping[str, Any],
    finish: str | None = "stop",
    use: Mapping[str, Any] | None = None,
    logprobs: Any = None,
) -> list[dict[str, Any]]:
    """``msg`` as a stream: role, reasoning and content in two pieces each, each tool
    call as a head piece then argument halves, a finish chunk, a usage chunk."""
    deltas: list[dict[str, Any]] = [{"role": "assistant"}]
    deltas += [{"reasoning_content": p} for p in _halves(msg.get("reasoning_content") or "")]
    deltas += [{"content": p} for p in _halves(msg.get("content") or "")]
    for index, tool_call in enumerate(msg.get("tool_calls") or ()):
        function = tool_call["function"]
        head = {"index": index, "id": tool_call["id"], "type": tool_call["type"]}
        deltas.append({"tool_calls": [{**head, "function": {"name": function["name"]}}]})
        deltas += [
            {"tool_calls": [{"index": index, "function": {"arguments": p}}]}
            for p in _halves(function["arguments"])
        ]
    frame = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": MODEL}
    out = [{**frame, "choices": [{"index": 0, "delta": d, "finish_reason": None}]} for d in deltas]
    if logprobs is not None:
        out[-1]["choices"][0]["logprobs"] = logprobs
    out.append({**frame, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
    if use is not None:
        out.append({**frame, "choices": [], "usage": dict(use)})
    return out


def exchange(
    contract: Contract,
    body: Mapping[str, Any],
    msg: Mapping[str, Any],
    *,
    stream: bool = False,
    finish: str | None = "stop",
    use: Mapping[str, Any] | None = None,
    logprobs: Any = None,
    raw_chunks: list[dict[str, Any]] | None = None,
    params: Mapping[str, Any] | None = None,
    status: int = 200,
) -> Exchange:
    """Send ``body`` (streamed when ``stream``) to a handler answering with ``msg``."""
    sent = {**body, "stream": True} if stream else dict(body)

    def handler(request: httpx.Request) -> httpx.Response:
        if status != 200:
            return httpx.Response(status, json={"error": {"message": "no", "type": "x"}})
        if stream:
            parts = raw_chunks or chunks(msg, finish, use, logprobs)
            return httpx.Response(
                200, headers={"content-type": "text/event-stream"}, content=sse_body(*parts)
            )
        return httpx.Response(200, json=completion(msg, finish, use, logprobs))

    probe = Probe(
        id="test/probe",
        area="semantics",
        title="test",
        request=RequestSpec(body=sent),
        params=params or {},
    )
    return exchange_for(contract, handler, probe=probe)


def verdict(
    name: str, contract: Contract, ex: Exchange, ctx: CheckContext | None = None
) -> tuple[str, str]:
    """(status, detail): ``n/a`` when the check does not apply, then ``passed``,
    ``skipped`` (with the reason) or ``failed`` (with rule id and message)."""
    check = get_check(name)
    ctx = ctx or CheckContext(contract=contract)
    if not check.applies(ctx, ex):
        return "n/a", ""
    try:
        check.fn(ctx, ex)
    except CheckFailed as failure:
        return "failed", f"{failure.rule} | {failure.message}"
    except CheckSkipped as skip:
        return "skipped", skip.reason
    return "passed", ""
