"""Faults of "accepted but ignored": the request is answered 200, the parameter has no
effect (or the wrong one). Most drop or rewrite one field of the request the generator
sees; the rest alter the generated completion."""

from __future__ import annotations

from typing import Any

from chatconform.contracts.model import Contract
from chatconform.server.catalogue._common import SCHEMA, TOOLS, WORDS, body, stream, thinking
from chatconform.server.faults import Fault, Trigger, register
from chatconform.server.generate import Completion

Body = dict[str, Any]
_NAMED = {"type": "function", "function": {"name": "get_time"}}


def _t(**extra: Any) -> Any:
    return lambda contract: Trigger(body(contract, **extra))


def _drop(field: str) -> Any:
    return lambda req: req.pop(field, None)


def _semantic(name: str, param: str | None = None) -> Any:
    def requires(contract: Contract) -> bool:
        params = contract.semantics.get(name)
        return params is not None and (param is None or bool(params.get(param)))

    return requires


def _length_to_stop(completion: Completion) -> None:
    for choice in completion.choices:
        if choice.finish_reason == "length":
            choice.finish_reason = "stop"


def _override_not_applied(req: Body) -> None:
    if "max_tokens" in req and "max_completion_tokens" in req:
        del req["max_completion_tokens"]


def _drop_json_object(req: Body) -> None:
    fmt = req.get("response_format")
    if fmt == "json_object" or (isinstance(fmt, dict) and fmt.get("type") == "json_object"):
        del req["response_format"]


def _schema_as_object(req: Body) -> None:
    fmt = req.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        req["response_format"] = {"type": "json_object"}


def _choice_swap(old: str, new: Any) -> Any:
    def hook(req: Body) -> None:
        if req.get("tool_choice") == old:
            req["tool_choice"] = new

    return hook


def _function_name(item: Any) -> Any:
    function = item.get("function") if isinstance(item, dict) else None
    return function.get("name") if isinstance(function, dict) else None


def _named_ignored(req: Body) -> None:
    choice, tools = req.get("tool_choice"), req.get("tools")
    if isinstance(choice, dict) and isinstance(tools, list):
        wanted = _function_name(choice)
        others = [t for t in tools if _function_name(t) != wanted]
        req["tools"] = others or tools
        req["tool_choice"] = "required"


def _each_call(change: Any) -> Any:
    def hook(completion: Completion) -> None:
        for choice in completion.choices:
            for call in choice.tool_calls:
                change(call)

    return hook


def _tool_finish_stop(completion: Completion) -> None:
    for choice in completion.choices:
        if choice.tool_calls:
            choice.finish_reason = "stop"


def _no_index(payloads: list[Body]) -> list[Body]:
    for payload in payloads:
        for choice in payload.get("choices") or []:
            for call in (choice.get("delta") or {}).get("tool_calls") or []:
                call.pop("index", None)
    return payloads


def _each_entry(change: Any) -> Any:
    def hook(completion: Completion) -> None:
        for choice in completion.choices:
            for entry in choice.logprobs or []:
                change(entry)

    return hook


def _positive(entry: Body) -> None:
    entry["logprob"] = abs(entry["logprob"]) + 0.5


def _one_alternative_off(entry: Body) -> None:
    """One item fewer than asked; one more when none were asked (``top_logprobs: 0``),
    where there is nothing to take away."""
    alternatives = entry["top_logprobs"]
    if alternatives:
        alternatives.pop()
    else:
        alternatives.append({k: entry[k] for k in ("token", "logprob", "bytes")})


def _clear_reasoning(completion: Completion) -> None:
    for choice in completion.choices:
        choice.reasoning = []


def _force_thinking(req: Body) -> None:
    req.pop("thinking", None)
    req.pop("thinking_enabled", None)
    req["thinking"] = {"type": "enabled"}
    req["thinking_enabled"] = True


def _thinking(on: bool) -> Any:
    return lambda contract: Trigger(body(contract, **thinking(contract, on)))


def _mode(mode: str) -> Any:
    def requires(contract: Contract) -> bool:
        return mode in contract.semantics.get("tools", {}).get("tool_choice", [])

    return requires


def _tools(**extra: Any) -> Any:
    return _t(tools=TOOLS, **extra)


def register_all() -> None:
    register(
        Fault(
            "max_tokens_ignored",
            "semantic/max_tokens*",
            "semantic",
            "max_tokens is accepted but does not bound the output",
            _t(max_tokens=3),
            request=_drop("max_tokens"),
        ),
        Fault(
            "finish_stop_when_cut",
            "semantic/max_tokens*",
            "semantic",
            "an answer cut by max_tokens reports finish_reason stop",
            _t(max_tokens=3),
            completion=_length_to_stop,
        ),
        Fault(
            "max_completion_tokens_ignored",
            "semantic/max_completion_tokens*",
            "semantic",
            "max_completion_tokens is accepted but does not bound the output",
            _t(max_completion_tokens=3),
            request=_drop("max_completion_tokens"),
        ),
        Fault(
            "max_tokens_override_not_applied",
            "semantic/max_completion_tokens*",
            "semantic",
            "with both bounds set, max_tokens still cuts the answer",
            _t(max_tokens=2, max_completion_tokens=200),
            requires=_semantic("max_completion_tokens", "overrides_max_tokens"),
            request=_override_not_applied,
        ),
        Fault(
            "stop_ignored",
            "semantic/stop*",
            "semantic",
            "stop sequences are accepted but the output runs past them",
            _t(stop=["echo"]),
            request=_drop("stop"),
        ),
        Fault(
            "json_object_ignored",
            "semantic/json_object*",
            "semantic",
            "response_format json_object is accepted but the content is plain text",
            _t(response_format={"type": "json_object"}),
            request=_drop_json_object,
        ),
        Fault(
            "json_schema_ignored",
            "semantic/json_schema*",
            "semantic",
            "response_format json_schema gives a JSON object that ignores the schema",
            _t(
                response_format={
                    "type": "json_schema",
                    "json_schema": {"name": "forecast", "schema": SCHEMA},
                }
            ),
            request=_schema_as_object,
        ),
        Fault(
            "tool_choice_none_ignored",
            "semantic/tools*",
            "semantic",
            "tool_choice none still gives tool calls",
            _tools(tool_choice="none"),
            requires=_mode("none"),
            request=_choice_swap("none", "auto"),
        ),
        Fault(
            "tool_choice_required_ignored",
            "semantic/tools*",
            "semantic",
            "tool_choice required gives a text answer",
            _tools(tool_choice="required"),
            requires=_mode("required"),
            request=_choice_swap("required", "none"),
        ),
        Fault(
            "tool_choice_named_ignored",
            "semantic/tools*",
            "semantic",
            "a named tool_choice calls another function",
            _tools(tool_choice=_NAMED),
            requires=_mode("function"),
            request=_named_ignored,
        ),
        Fault(
            "tool_arguments_not_json",
            "semantic/tools*",
            "semantic",
            "function.arguments is not a JSON text",
            _tools(),
            completion=_each_call(lambda c: setattr(c, "arguments", "city=Paris")),
        ),
        Fault(
            "tool_finish_reason_not_tool_calls",
            "semantic/tools*",
            "semantic",
            "a turn ending in tool calls reports finish_reason stop",
            _tools(),
            completion=_tool_finish_stop,
        ),
        Fault(
            "parallel_tool_calls_ignored",
            "semantic/parallel_tool_calls*",
            "semantic",
            "parallel_tool_calls false still gives one call per tool",
            _tools(parallel_tool_calls=False),
            request=_drop("parallel_tool_calls"),
        ),
        Fault(
            "tool_deltas_without_index",
            "semantic/tools*",
            "semantic",
            "streamed tool-call deltas carry no index",
            lambda c: Trigger(stream(c, tools=TOOLS)),
            chunks=_no_index,
        ),
        Fault(
            "logprobs_missing",
            "semantic/logprobs*",
            "semantic",
            "logprobs true is accepted but no logprobs come back",
            _t(logprobs=True),
            request=_drop("logprobs"),
        ),
        Fault(
            "top_logprobs_count_wrong",
            "semantic/logprobs*",
            "semantic",
            "each entry has one top_logprobs item fewer than asked (one more when 0 is asked)",
            _t(logprobs=True, top_logprobs=3),
            completion=_each_entry(_one_alternative_off),
        ),
        Fault(
            "logprob_positive",
            "semantic/logprobs*",
            "semantic",
            "logprob values are positive",
            _t(logprobs=True),
            completion=_each_entry(_positive),
        ),
        Fault(
            "reasoning_missing_when_on",
            "semantic/reasoning*",
            "semantic",
            "thinking on gives no reasoning_content",
            _thinking(True),
            completion=_clear_reasoning,
        ),
        Fault(
            "reasoning_present_when_off",
            "semantic/reasoning*",
            "semantic",
            "thinking off still gives reasoning_content",
            _thinking(False),
            request=_force_thinking,
        ),
        Fault(
            "seed_ignored",
            "semantic/seed*",
            "semantic",
            "the same seed and request give a different output each time",
            _t(seed=7, messages=[{"role": "user", "content": WORDS}]),
            vary_seed=True,
        ),
    )
