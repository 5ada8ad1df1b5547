"""Faults of request validation: an invalid request accepted, a valid one rejected.

Each "accepts" fault neutralises one rule before validation (the offending value is
clamped, dropped or filled in), so the server answers 200 where the rule demands a
rejection, and nothing else changes. Each "rejects" fault refuses a value at the very
boundary the contract allows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chatconform.contracts.model import Contract
from chatconform.server.catalogue._common import (
    body,
    bound,
    first_model_rule,
    model_rules,
)
from chatconform.server.faults import Fault, Trigger, register

Body = dict[str, Any]
_USER = {"role": "user", "content": "hello"}


def _num(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _messages(req: Body) -> list[dict[str, Any]]:
    """The message objects of ``req``; none when ``messages`` is not a list (a hook runs
    before validation, on whatever a probe sent)."""
    messages = req.get("messages")
    return [m for m in messages if isinstance(m, dict)] if isinstance(messages, list) else []


def _clamp_high(contract: Contract, req: Body, _: dict[str, str]) -> None:
    high = bound(contract, "temperature", "maximum")
    if _num(req.get("temperature")) and high is not None and req["temperature"] > high:
        req["temperature"] = high


def _clamp_low(contract: Contract, req: Body, _: dict[str, str]) -> None:
    low = bound(contract, "max_tokens", "minimum", 1)
    if _num(req.get("max_tokens")) and req["max_tokens"] < low:
        req["max_tokens"] = low


def _fix_roles(contract: Contract, req: Body, _: dict[str, str]) -> None:
    roles = bound(contract, "messages", "enum", ["system", "user", "assistant", "tool"])
    for message in _messages(req):
        if message.get("role") not in roles:
            message["role"] = "user"


def _trim_stop(contract: Contract, req: Body, _: dict[str, str]) -> None:
    most = bound(contract, "stop", "maxItems", 4)
    if isinstance(req.get("stop"), list):
        req["stop"] = req["stop"][:most]


def _add_messages(contract: Contract, req: Body, _: dict[str, str]) -> None:
    if "messages" not in req:
        req["messages"] = [dict(_USER)]


def _fill_messages(contract: Contract, req: Body, _: dict[str, str]) -> None:
    if req.get("messages") == []:
        req["messages"] = [dict(_USER)]


def _coerce_stream(contract: Contract, req: Body, _: dict[str, str]) -> None:
    if "stream" in req and not isinstance(req["stream"], bool):
        req["stream"] = False


def _drop_max_tokens_if_both(contract: Contract, req: Body, _: dict[str, str]) -> None:
    if "max_tokens" in req and "max_completion_tokens" in req:
        del req["max_tokens"]


def _drop_lone_top_logprobs(contract: Contract, req: Body, _: dict[str, str]) -> None:
    if "top_logprobs" in req and req.get("logprobs") is not True:
        del req["top_logprobs"]


def _add_tool_call_id(contract: Contract, req: Body, _: dict[str, str]) -> None:
    for message in _messages(req):
        if message.get("role") == "tool":
            message.setdefault("tool_call_id", "call_0")


def _drop_per_model(kind: str) -> Any:
    def lenient(contract: Contract, req: Body, _: dict[str, str]) -> None:
        for rule in model_rules(contract, kind):
            if req.get("model") == rule.params["model"]:
                req.pop(rule.field, None)

    return lenient


def _listed_model(contract: Contract, req: Body, _: dict[str, str]) -> None:
    if isinstance(req.get("model"), str) and req["model"] not in contract.models.ids:
        req["model"] = contract.models.default


def _trim_header(contract: Contract, req: Body, headers: dict[str, str]) -> None:
    if "x-request-id" in headers:
        headers["x-request-id"] = headers["x-request-id"][:128]


def _reject_at(field: str, name: str) -> Any:
    def reject(contract: Contract, req: Mapping[str, Any]) -> str | None:
        edge = bound(contract, field, name)
        value = req.get(field)
        if isinstance(value, list):
            value = len(value)
        if edge is not None and _num(value) and value == edge:
            return f"{field} must be {'below' if name.startswith('max') else 'above'} {edge}"
        return None

    return reject


def _per_model_trigger(kind: str) -> Any:
    def trigger(contract: Contract) -> Trigger:
        rule = first_model_rule(contract, kind)
        field, model = rule.field, rule.params["model"]
        if kind == "not_value":
            value = rule.params.get("value")
        elif kind == "enum":
            allowed = rule.params.get("enum", [])
            value = next(v for v in ("minimal", "none", "xhigh", "max") if v not in allowed)
        else:
            value = True if field == "thinking_enabled" else contract.fields[field].example
            value = "low" if value is None else value
        return Trigger(body(contract, model=model, **{field: value}))

    return trigger


def _t(**extra: Any) -> Any:
    return lambda contract: Trigger(body(contract, **extra))


def register_all() -> None:
    register(
        Fault(
            "accepts_value_above_maximum",
            "request/temperature/maximum",
            "validation",
            "temperature above the stated maximum is accepted (range not enforced)",
            lambda c: Trigger(body(c, temperature=bound(c, "temperature", "maximum") + 1)),
            lenient=_clamp_high,
        ),
        Fault(
            "accepts_value_below_minimum",
            "request/max_tokens/minimum",
            "validation",
            "max_tokens below its minimum (0) is accepted",
            _t(max_tokens=0),
            lenient=_clamp_low,
        ),
        Fault(
            "accepts_unknown_enum_value",
            "request/messages*role/enum",
            "validation",
            "a message role outside the enum is accepted",
            lambda c: Trigger(body(c, messages=[{"role": "wizard", "content": "hi"}])),
            lenient=_fix_roles,
        ),
        Fault(
            "accepts_five_stop_sequences",
            "request/stop*maxItems",
            "validation",
            "stop with one item more than allowed (5) is accepted",
            _t(stop=["v", "w", "x", "y", "z"]),
            lenient=_trim_stop,
        ),
        Fault(
            "accepts_missing_messages",
            "request*messages*required",
            "validation",
            "a request without the required messages field is accepted",
            lambda c: Trigger({"model": c.models.default}),
            lenient=_add_messages,
        ),
        Fault(
            "accepts_empty_messages",
            "request/messages/minItems",
            "validation",
            "an empty messages array is accepted",
            _t(messages=[]),
            lenient=_fill_messages,
        ),
        Fault(
            "accepts_wrong_type",
            "request/stream/type",
            "validation",
            "a non-boolean stream value is accepted",
            _t(stream="yes"),
            lenient=_coerce_stream,
        ),
        Fault(
            "accepts_exclusive_fields_together",
            "request/*+*/exclusive",
            "validation",
            "max_tokens and max_completion_tokens together are accepted",
            _t(max_tokens=5, max_completion_tokens=5),
            lenient=_drop_max_tokens_if_both,
        ),
        Fault(
            "accepts_top_logprobs_without_logprobs",
            "request/top_logprobs/requires",
            "validation",
            "top_logprobs without logprobs=true is accepted",
            _t(top_logprobs=2),
            lenient=_drop_lone_top_logprobs,
        ),
        Fault(
            "accepts_tool_message_without_id",
            "request/messages*tool_call_id/required_if",
            "validation",
            "a role=tool message without tool_call_id is accepted",
            lambda c: Trigger(
                body(
                    c,
                    messages=[{"role": "user", "content": "hi"}, {"role": "tool", "content": "42"}],
                )
            ),
            lenient=_add_tool_call_id,
        ),
        Fault(
            "accepts_forbidden_model_field",
            "model/*/forbidden",
            "validation",
            "a field the page forbids for a model is accepted for it",
            _per_model_trigger("forbidden"),
            lenient=_drop_per_model("forbidden"),
        ),
        Fault(
            "accepts_forbidden_model_value",
            "model/*/not_value",
            "validation",
            "a value the page forbids for a model is accepted for it",
            _per_model_trigger("not_value"),
            lenient=_drop_per_model("not_value"),
        ),
        Fault(
            "accepts_value_outside_model_enum",
            "model/*/enum",
            "validation",
            "a value outside a model's own enum is accepted for it",
            _per_model_trigger("enum"),
            lenient=_drop_per_model("enum"),
        ),
        Fault(
            "accepts_unlisted_model",
            "request/model/enum",
            "validation",
            "a model the closed list does not hold is served",
            _t(model="chatconform-no-such-model"),
            lenient=_listed_model,
        ),
        Fault(
            "accepts_long_request_id",
            "header/X-Request-Id/maxLength",
            "validation",
            "an X-Request-Id longer than 128 characters is accepted",
            lambda c: Trigger(body(c), headers={"X-Request-Id": "r" * 129}),
            lenient=_trim_header,
        ),
        Fault(
            "rejects_maximum_boundary",
            "request/temperature/maximum",
            "validation",
            "temperature at the stated maximum (valid) is rejected",
            lambda c: Trigger(body(c, temperature=bound(c, "temperature", "maximum"))),
            reject=_reject_at("temperature", "maximum"),
        ),
        Fault(
            "rejects_minimum_boundary",
            "request/max_tokens/minimum",
            "validation",
            "max_tokens at its minimum (1, valid) is rejected",
            _t(max_tokens=1),
            reject=_reject_at("max_tokens", "minimum"),
        ),
        Fault(
            "rejects_four_stop_sequences",
            "request/stop*maxItems",
            "validation",
            "stop with the allowed maximum of items (4) is rejected",
            _t(stop=["w", "x", "y", "z"]),
            reject=_reject_at("stop", "maxItems"),
        ),
    )
