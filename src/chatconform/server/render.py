"""Wire shapes of an answer: the ``chat.completion`` body and the chunk stream.

Generation (``generate.py``) decides what is said; this module decides how it travels,
as the baseline describes it: one JSON document, or ``chat.completion.chunk`` payloads
(role in the first delta, one finishing chunk per choice, an optional usage chunk with
``choices: []`` right before ``[DONE]``) framed as ``data: <json>`` events. Payloads and
frames are separate steps so a fault can break one stream invariant at a clear point.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chatconform.contracts.model import Contract
from chatconform.server.generate import Choice, Completion

DONE_FRAME = b"data: [DONE]\n\n"


@dataclass(frozen=True)
class Envelope:
    """What every chunk (and the body) of one answer shares."""

    id: str
    created: int
    model: str


def usage(
    contract: Contract, completion: Completion, completion_tokens: int | None = None
) -> dict[str, Any]:
    """The usage object; ``completion_tokens`` overrides the total for running counts."""
    done = completion.completion_tokens if completion_tokens is None else completion_tokens
    out: dict[str, Any] = {
        "prompt_tokens": completion.prompt_tokens,
        "completion_tokens": done,
        "total_tokens": completion.prompt_tokens + done,
    }
    if contract.has_semantic("reasoning"):
        reasoning = min(completion.reasoning_tokens, done)
        out["completion_tokens_details"] = {"reasoning_tokens": reasoning}
    if _documents_cached_tokens(contract):
        out["prompt_tokens_details"] = {"cached_tokens": 0}
    return out


def completion_body(contract: Contract, env: Envelope, completion: Completion) -> dict[str, Any]:
    """The non-streamed ``chat.completion`` document."""
    return {
        "id": env.id,
        "object": "chat.completion",
        "created": env.created,
        "model": env.model,
        "choices": [_choice_body(c) for c in completion.choices],
        "usage": usage(contract, completion),
    }


def _choice_body(choice: Choice) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": choice.text}
    if choice.reasoning:
        message["reasoning_content"] = "".join(choice.reasoning)
    if choice.tool_calls:
        message["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in choice.tool_calls
        ]
    out: dict[str, Any] = {
        "index": choice.index,
        "message": message,
        "finish_reason": choice.finish_reason,
    }
    if choice.logprobs is not None:
        out["logprobs"] = {"content": choice.logprobs}
    return out


def stream_payloads(
    contract: Contract,
    env: Envelope,
    completion: Completion,
    *,
    include_usage: bool,
    chunk_usage: bool,
) -> list[dict[str, Any]]:
    """The chunk payloads of a streamed answer, ``[DONE]`` excluded."""
    payloads: list[dict[str, Any]] = []
    spent = 0
    for choice in completion.choices:
        for delta, logprobs, tokens in _deltas(choice):
            spent += tokens
            entry: dict[str, Any] = {"index": choice.index, "delta": delta, "finish_reason": None}
            if logprobs is not None:
                entry["logprobs"] = {"content": logprobs}
            payloads.append(_chunk(env, [entry]))
            if chunk_usage:
                payloads[-1]["usage"] = usage(contract, completion, spent)
        finish = {"index": choice.index, "delta": {}, "finish_reason": choice.finish_reason}
        payloads.append(_chunk(env, [finish]))
        if chunk_usage:
            payloads[-1]["usage"] = usage(contract, completion, spent)
    if include_usage:
        payloads.append({**_chunk(env, []), "usage": usage(contract, completion)})
    return payloads


def _deltas(choice: Choice) -> list[tuple[dict[str, Any], list[Any] | None, int]]:
    """(delta, logprob entries, tokens spent) for each non-final chunk of one choice."""
    with_logprobs = choice.logprobs is not None
    first_content: str | None = None if choice.tool_calls else ""
    out: list[tuple[dict[str, Any], list[Any] | None, int]] = [
        ({"role": "assistant", "content": first_content}, [] if with_logprobs else None, 0)
    ]
    out += [({"reasoning_content": piece}, None, 1) for piece in choice.reasoning]
    for n, piece in enumerate(choice.content):
        entries = [choice.logprobs[n]] if choice.logprobs is not None else None
        out.append(({"content": piece}, entries, 1))
    for index, call in enumerate(choice.tool_calls):
        head = {
            "index": index,
            "id": call.id,
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }
        out.append(({"tool_calls": [head]}, None, 0))
        for n, part in enumerate(_split(call.arguments)):
            spent = len(call.arguments.split()) if n == 0 else 0
            out.append(
                ({"tool_calls": [{"index": index, "function": {"arguments": part}}]}, None, spent)
            )
    return out


def _split(text: str, parts: int = 3) -> list[str]:
    """Argument text in a few pieces, as a model streams it."""
    size = max(1, -(-len(text) // parts))
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def _chunk(env: Envelope, choices: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": env.id,
        "object": "chat.completion.chunk",
        "created": env.created,
        "model": env.model,
        "choices": choices,
    }


def frame(payloads: list[dict[str, Any]]) -> list[bytes]:
    """``data: <json>\\n\\n`` events, one per payload, then ``data: [DONE]``."""
    frames = [b"data: " + encode(p) + b"\n\n" for p in payloads]
    frames.append(DONE_FRAME)
    return frames


def encode(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def _documents_cached_tokens(contract: Contract) -> bool:
    usage_schema = _prop(contract.response_schema, "usage")
    details = _prop(usage_schema, "prompt_tokens_details")
    return _prop(details, "cached_tokens") is not None


def _prop(schema: Any, name: str) -> Any:
    if not isinstance(schema, Mapping):
        return None
    found = schema.get("properties", {}).get(name)
    if found is None:
        for part in schema.get("allOf", []):
            found = _prop(part, name)
            if found is not None:
                break
    return found
