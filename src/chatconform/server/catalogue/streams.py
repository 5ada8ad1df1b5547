"""Faults of streamed answers: one SSE framing or chunk invariant broken at a time."""

from __future__ import annotations

from typing import Any

from chatconform.contracts.model import Contract
from chatconform.server.catalogue._common import stream
from chatconform.server.faults import Fault, Trigger, register

Body = dict[str, Any]
Payloads = list[Body]


def _plain(contract: Contract) -> Trigger:
    return Trigger(stream(contract))


def _with_usage(contract: Contract) -> Trigger:
    return Trigger(stream(contract, stream_options={"include_usage": True}))


def _chunk_usage(contract: Contract) -> Trigger:
    return Trigger(stream(contract, stream_options={"chunk_include_usage": True}))


def _include_usage(contract: Contract) -> bool:
    return contract.has_semantic("include_usage")


def _is_usage_chunk(payload: Body) -> bool:
    return payload.get("choices") == [] and "usage" in payload


def _no_blank_line(frames: list[bytes]) -> list[bytes]:
    return [f[:-1] if f.endswith(b"\n\n") else f for f in frames]


def _after_done(frames: list[bytes]) -> list[bytes]:
    return [*frames, frames[-2] if len(frames) > 1 else frames[-1]]


def _change_last(key: str, suffix: Any) -> Any:
    def hook(payloads: Payloads) -> Payloads:
        last = payloads[-1]
        last[key] = last[key] + suffix
        return payloads

    return hook


def _no_role(payloads: Payloads) -> Payloads:
    for payload in payloads:
        for choice in payload["choices"]:
            choice["delta"].pop("role", None)
    return payloads


def _finishing(payload: Body) -> bool:
    return any(c.get("finish_reason") for c in payload["choices"])


def _two_finishes(payloads: Payloads) -> Payloads:
    out: Payloads = []
    for payload in payloads:
        out.append(payload)
        if _finishing(payload):
            out.append({**payload, "choices": [dict(c) for c in payload["choices"]]})
    return out


def _no_finish(payloads: Payloads) -> Payloads:
    for payload in payloads:
        for choice in payload["choices"]:
            choice["finish_reason"] = None
    return payloads


def _drop_usage_chunk(payloads: Payloads) -> Payloads:
    return [p for p in payloads if not _is_usage_chunk(p)]


def _usage_first(payloads: Payloads) -> Payloads:
    usage = [p for p in payloads if _is_usage_chunk(p)]
    return usage + [p for p in payloads if not _is_usage_chunk(p)]


def _usage_with_choices(payloads: Payloads) -> Payloads:
    usage = [p for p in payloads if _is_usage_chunk(p)]
    rest = [p for p in payloads if not _is_usage_chunk(p)]
    if usage and rest:
        rest[-1]["usage"] = usage[0]["usage"]
    return rest


def _usage_everywhere(payloads: Payloads) -> Payloads:
    for payload in payloads:
        payload.setdefault("usage", {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0})
    return payloads


def _ignore_chunk_usage(req: Body) -> None:
    options = req.get("stream_options")
    if isinstance(options, dict):
        options.pop("chunk_include_usage", None)


def _json_type(headers: dict[str, str], streamed: bool) -> None:
    if streamed:
        headers["content-type"] = "application/json"


def _object_wrong(payloads: Payloads) -> Payloads:
    for payload in payloads:
        payload["object"] = "chat.completion"
    return payloads


def register_all() -> None:
    register(
        Fault(
            "stream_no_blank_line",
            "stream/framing",
            "stream",
            "events are separated by one newline instead of a blank line",
            _plain,
            frames=_no_blank_line,
        ),
        Fault(
            "stream_done_missing",
            "stream/done-last",
            "stream",
            "the stream ends without data: [DONE]",
            _plain,
            frames=lambda f: f[:-1],
        ),
        Fault(
            "stream_data_after_done",
            "stream/done-last",
            "stream",
            "a chunk follows data: [DONE]",
            _plain,
            frames=_after_done,
        ),
        Fault(
            "stream_id_changes",
            "stream/same-id-created-model",
            "stream",
            "the last chunk has another id",
            _plain,
            chunks=_change_last("id", "-2"),
        ),
        Fault(
            "stream_created_changes",
            "stream/same-id-created-model",
            "stream",
            "the last chunk has another created",
            _plain,
            chunks=_change_last("created", 1),
        ),
        Fault(
            "stream_model_changes",
            "stream/same-id-created-model",
            "stream",
            "the last chunk names another model",
            _plain,
            chunks=_change_last("model", "-other"),
        ),
        Fault(
            "stream_no_role_in_first_delta",
            "stream/role-first",
            "stream",
            "no delta carries role: assistant",
            _plain,
            chunks=_no_role,
        ),
        Fault(
            "stream_two_finishing_chunks",
            "stream/one-finish-per-choice",
            "stream",
            "each choice's finishing chunk is sent twice",
            _plain,
            chunks=_two_finishes,
        ),
        Fault(
            "stream_no_finish",
            "stream/one-finish-per-choice",
            "stream",
            "no chunk carries a finish_reason",
            _plain,
            chunks=_no_finish,
        ),
        Fault(
            "stream_usage_chunk_missing",
            "stream/include-usage",
            "stream",
            "include_usage is ignored: no usage chunk",
            _with_usage,
            requires=_include_usage,
            chunks=_drop_usage_chunk,
        ),
        Fault(
            "stream_usage_chunk_not_last",
            "stream/include-usage",
            "stream",
            "the usage chunk comes first instead of right before [DONE]",
            _with_usage,
            requires=_include_usage,
            chunks=_usage_first,
        ),
        Fault(
            "stream_usage_chunk_with_choices",
            "stream/include-usage",
            "stream",
            "usage rides on the last choice chunk instead of a choices: [] chunk",
            _with_usage,
            requires=_include_usage,
            chunks=_usage_with_choices,
        ),
        Fault(
            "stream_usage_without_option",
            "stream/no-usage-without-option",
            "stream",
            "every chunk carries usage though include_usage was not asked",
            _plain,
            chunks=_usage_everywhere,
        ),
        Fault(
            "chunk_include_usage_ignored",
            "*chunk_include_usage*",
            "stream",
            "stream_options.chunk_include_usage is accepted but no chunk carries usage",
            _chunk_usage,
            requires=lambda c: c.has_semantic("chunk_include_usage"),
            request=_ignore_chunk_usage,
        ),
        Fault(
            "stream_content_type_json",
            "stream/content-type",
            "stream",
            "a stream is labelled application/json",
            _plain,
            headers=_json_type,
        ),
        Fault(
            "stream_chunk_object_wrong",
            "stream/chunk-object",
            "stream",
            'chunks say object "chat.completion"',
            _plain,
            chunks=_object_wrong,
        ),
    )
