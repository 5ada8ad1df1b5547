"""The deterministic stand-in for a model: what the reference server "writes".

There is no model. The answer repeats the words of the last user message and then adds
filler words, one token per whitespace-separated word, so every generation parameter has
a visible, predictable effect: ``max_tokens`` cuts after N words, a stop sequence cuts
before itself, the seed picks the filler, thinking adds a short reasoning text. The
parameters are read as the contract's semantics define them (``docs/contracts.md``), so
a vendor whose ``max_tokens`` counts the answer only is served that way.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from chatconform.contracts.model import Contract
from chatconform.server.instances import instance_for

_FILLER_TEXT = (
    "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor "
    "incididunt labore dolore magna aliqua enim minim veniam quis nostrud"
)
FILLER = tuple(_FILLER_TEXT.split())
FILLER_WORDS = 8  # added after the echoed words: long enough for small bounds to cut
MAX_ECHO = 256  # a very long prompt is not echoed in full
_TOKEN = re.compile(r"\s*\S+")


@dataclass
class ToolCall:
    id: str
    name: str
    arguments: str  # a JSON text (faults may break that)


@dataclass
class Choice:
    index: int
    content: list[str]  # token pieces; "".join(content) is the message content
    reasoning: list[str]  # token pieces of reasoning_content; empty when thinking is off
    tool_calls: list[ToolCall]
    finish_reason: str
    logprobs: list[dict[str, Any]] | None = None  # one entry per content token

    @property
    def text(self) -> str | None:
        if self.tool_calls and not self.content:
            return None
        return "".join(self.content)

    @property
    def tokens(self) -> int:
        args = sum(len(c.arguments.split()) for c in self.tool_calls)
        return len(self.content) + len(self.reasoning) + args


@dataclass
class Completion:
    choices: list[Choice]
    prompt_tokens: int
    thinking: bool  # reasoning is on for this request (reported even when it came out empty)
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def completion_tokens(self) -> int:
        return sum(c.tokens for c in self.choices)

    @property
    def reasoning_tokens(self) -> int:
        return sum(len(c.reasoning) for c in self.choices)


def generate(contract: Contract, body: Mapping[str, Any], *, seed_offset: int = 0) -> Completion:
    """The completion the contract's semantics give for a valid request ``body``."""
    messages = body.get("messages") or []
    user_words = _last_user_words(messages)
    thinking = thinking_on(contract, body)
    count = _choice_count(contract, body)
    seed = body.get("seed")
    offset = (seed if isinstance(seed, int) and not isinstance(seed, bool) else 0) + seed_offset
    choices = [_choice(contract, body, i, user_words, thinking, offset) for i in range(count)]
    prompt = sum(len(_text_of(m.get("content")).split()) for m in messages if isinstance(m, dict))
    return Completion(choices=choices, prompt_tokens=prompt, thinking=thinking)


def thinking_on(contract: Contract, body: Mapping[str, Any]) -> bool:
    """Whether reasoning is on for ``body`` under the contract's ``reasoning`` semantic."""
    params = contract.semantics.get("reasoning")
    if params is None:
        return False
    default = bool(params.get("default_on"))
    per_model = params.get("per_model")
    model_params = per_model.get(body.get("model")) if isinstance(per_model, Mapping) else None
    if isinstance(model_params, Mapping):
        if model_params.get("always_on"):
            return True
        if model_params.get("default_on") is not None:
            default = bool(model_params["default_on"])
    if params.get("switch") == "thinking_enabled":
        value = body.get("thinking_enabled")
        return value if isinstance(value, bool) else default
    thinking = body.get("thinking")
    if isinstance(thinking, Mapping) and thinking.get("type") in ("enabled", "disabled"):
        return bool(thinking["type"] == "enabled")
    return default


def _choice(
    contract: Contract,
    body: Mapping[str, Any],
    index: int,
    user_words: list[str],
    thinking: bool,
    offset: int,
) -> Choice:
    reasoning = _pieces(_reasoning_text(user_words)) if thinking else []
    answer_budget, total_budget = _budgets(contract, body)
    reasoning_cut = False
    if total_budget is not None:
        # Reasoning is written first, so it spends a shared budget first.
        reasoning_cut = len(reasoning) > total_budget
        reasoning = reasoning[:total_budget]
        left = total_budget - len(reasoning)
        answer_budget = left if answer_budget is None else min(answer_budget, left)

    calls = _tool_calls(body, index)
    if calls:
        logprobs: list[dict[str, Any]] | None = [] if body.get("logprobs") else None
        return Choice(index, [], reasoning, calls, "tool_calls", logprobs)

    text = _apply_stop(_answer_text(body, user_words, offset), body.get("stop"))
    content = _pieces(text)
    finish = "stop"
    if reasoning_cut:
        content, finish = [], "length"
    elif answer_budget is not None and len(content) > answer_budget:
        content, finish = content[:answer_budget], "length"
    logprobs = _logprobs(content, body.get("top_logprobs")) if body.get("logprobs") else None
    return Choice(index, content, reasoning, [], finish, logprobs)


def _budgets(contract: Contract, body: Mapping[str, Any]) -> tuple[int | None, int | None]:
    """(answer-only bound, answer+reasoning bound) as the contract's semantics define them."""
    mt = _int(body.get("max_tokens"))
    mct = _int(body.get("max_completion_tokens"))
    mct_params = contract.semantics.get("max_completion_tokens", {})
    if mct is not None and mct_params.get("overrides_max_tokens"):
        mt = None
    mt_counts = contract.semantics.get("max_tokens", {}).get("counts", "output")
    answer = mt if mt_counts == "answer" else None
    total = mct
    if mt is not None and mt_counts != "answer":
        total = mt if total is None else min(total, mt)
    return answer, total


def _tool_calls(body: Mapping[str, Any], index: int) -> list[ToolCall]:
    tools = [t for t in body.get("tools") or [] if _function_of(t) is not None]
    choice = body.get("tool_choice", "auto" if tools else "none")
    if not tools or choice == "none":
        return []
    if isinstance(choice, Mapping):
        wanted = (_function_of(choice) or {}).get("name")
        tools = [t for t in tools if (_function_of(t) or {}).get("name") == wanted][:1]
    elif body.get("parallel_tool_calls") is False:
        tools = tools[:1]
    calls = []
    for n, tool in enumerate(tools):
        function = _function_of(tool) or {}
        params = function.get("parameters") or {"type": "object"}
        arguments = instance_for(params)
        if not isinstance(arguments, dict):
            arguments = {}
        digest = hashlib.sha256(f"{index}:{n}:{function.get('name')}".encode()).hexdigest()
        text = json.dumps(arguments, ensure_ascii=False, separators=(",", ":"))
        calls.append(
            ToolCall(id=f"call_{digest[:24]}", name=str(function.get("name")), arguments=text)
        )
    return calls


def _function_of(tool: Any) -> Mapping[str, Any] | None:
    if isinstance(tool, Mapping) and isinstance(tool.get("function"), Mapping):
        function: Mapping[str, Any] = tool["function"]
        return function if isinstance(function.get("name"), str) else None
    return None


def _answer_text(body: Mapping[str, Any], user_words: list[str], offset: int) -> str:
    fmt = body.get("response_format")
    kind = fmt.get("type") if isinstance(fmt, Mapping) else fmt
    if kind == "json_object":
        return json.dumps({"answer": " ".join(user_words[:8])}, ensure_ascii=False)
    if kind == "json_schema" and isinstance(fmt, Mapping):
        spec = fmt.get("json_schema")
        schema = spec.get("schema", {}) if isinstance(spec, Mapping) else {}
        return json.dumps(instance_for(schema), ensure_ascii=False)
    filler = [FILLER[(offset + i) % len(FILLER)] for i in range(FILLER_WORDS)]
    return " ".join([*user_words[:MAX_ECHO], *filler])


def _apply_stop(text: str, stop: Any) -> str:
    sequences = [stop] if isinstance(stop, str) else stop if isinstance(stop, list) else []
    cut = min(
        (text.find(s) for s in sequences if isinstance(s, str) and s and s in text), default=-1
    )
    return text if cut < 0 else text[:cut].rstrip()


def _logprobs(content: list[str], top: Any) -> list[dict[str, Any]]:
    k = top if isinstance(top, int) and not isinstance(top, bool) and top > 0 else 0
    entries = []
    for i, token in enumerate(content):
        logprob = -round(0.05 + 0.01 * (i % 7), 4)
        alternatives = [{"token": token, "logprob": logprob, "bytes": list(token.encode())}]
        alternatives += [
            {
                "token": f" alt{j}",
                "logprob": round(logprob - j, 4),
                "bytes": list(f" alt{j}".encode()),
            }
            for j in range(1, k)
        ]
        entries.append(
            {
                "token": token,
                "logprob": logprob,
                "bytes": list(token.encode()),
                "top_logprobs": alternatives[:k],
            }
        )
    return entries


def _reasoning_text(user_words: list[str]) -> str:
    # Short on purpose: under a shared budget a small bound still leaves room to answer.
    return f"Repeat {len(user_words)} words."


def _pieces(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _choice_count(contract: Contract, body: Mapping[str, Any]) -> int:
    n = _int(body.get("n"))
    return n if n is not None and n >= 1 and "n" in contract.fields else 1


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _last_user_words(messages: Any) -> list[str]:
    for message in reversed(messages if isinstance(messages, list) else []):
        if isinstance(message, Mapping) and message.get("role", "user") == "user":
            return _text_of(message.get("content")).split()
    return []


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            str(part.get("text", ""))
            for part in content
            if isinstance(part, Mapping) and part.get("type") == "text"
        )
    return ""
