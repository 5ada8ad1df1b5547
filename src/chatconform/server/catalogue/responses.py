"""Faults of the non-streamed ``chat.completion`` body: one field wrong at a time."""

from __future__ import annotations

from typing import Any

from chatconform.contracts.model import Contract
from chatconform.server.catalogue._common import body, thinking
from chatconform.server.faults import Fault, Trigger, register

Body = dict[str, Any]


def _plain(contract: Contract) -> Trigger:
    return Trigger(body(contract))


def _thinking_on(contract: Contract) -> Trigger:
    return Trigger(body(contract, **thinking(contract, True)))


def _each_message(change: Any) -> Any:
    def hook(doc: Body) -> None:
        for choice in doc["choices"]:
            change(choice["message"])

    return hook


def _each_choice(change: Any) -> Any:
    def hook(doc: Body) -> None:
        for choice in doc["choices"]:
            change(choice)

    return hook


def _set(key: str, value: Any) -> Any:
    return lambda doc: doc.__setitem__(key, value)


def _ms(doc: Body) -> None:
    doc["created"] = doc["created"] * 1000


def _usage_off(doc: Body) -> None:
    doc["usage"]["total_tokens"] += 1


def _cached_as_text(doc: Body) -> None:
    details = doc["usage"].setdefault("prompt_tokens_details", {})
    details["cached_tokens"] = str(details.get("cached_tokens", 0))


def _reasoning_as_list(message: Body) -> None:
    message["reasoning_content"] = [message.get("reasoning_content") or "thinking"]


def _content_as_parts(message: Body) -> None:
    message["content"] = [{"type": "text", "text": message.get("content") or ""}]


def _text_plain(headers: dict[str, str], streamed: bool) -> None:
    if not streamed:
        headers["content-type"] = "text/plain; charset=utf-8"


def _documents(name: str) -> Any:
    return lambda contract: contract.has_semantic(name)


def _documents_cached_tokens(contract: Contract) -> bool:
    usage = contract.response_schema.get("properties", {}).get("usage", {})
    details = usage.get("properties", {}).get("prompt_tokens_details", {})
    return "cached_tokens" in details.get("properties", {})


def register_all() -> None:
    register(
        Fault(
            "response_object_wrong",
            "response/object*|response/schema",
            "response",
            'object is "text_completion" instead of "chat.completion"',
            _plain,
            response=_set("object", "text_completion"),
        ),
        Fault(
            "response_id_not_string",
            "response/id*|response/schema",
            "response",
            "id is an integer instead of a string",
            _plain,
            response=_set("id", 123),
        ),
        Fault(
            "response_created_in_ms",
            "response/created*|response/schema",
            "response",
            "created is in milliseconds instead of Unix seconds",
            _plain,
            response=_ms,
        ),
        Fault(
            "response_index_off_by_one",
            "response/choices-index",
            "response",
            "choices[i].index starts at 1",
            _plain,
            response=_each_choice(lambda c: c.__setitem__("index", c["index"] + 1)),
        ),
        Fault(
            "response_role_not_assistant",
            "response/choices*role*|response/schema",
            "response",
            'message.role is "system" (as one vendor example shows)',
            _plain,
            response=_each_message(lambda m: m.__setitem__("role", "system")),
        ),
        Fault(
            "response_finish_reason_unknown",
            "response/choices*finish_reason*|response/schema",
            "response",
            'finish_reason is "end_turn", not one of the documented values',
            _plain,
            response=_each_choice(lambda c: c.__setitem__("finish_reason", "end_turn")),
        ),
        Fault(
            "response_usage_sum_wrong",
            "response/usage-sum",
            "response",
            "usage.total_tokens is prompt + completion + 1",
            _plain,
            response=_usage_off,
        ),
        Fault(
            "response_content_not_string",
            "response/choices*message?content*|response/schema",
            "response",
            "message.content is an array of parts, not a string",
            _plain,
            response=_each_message(_content_as_parts),
        ),
        Fault(
            "response_reasoning_not_string",
            "response/choices*reasoning_content*|response/schema",
            "response",
            "message.reasoning_content is an array, not a string",
            _thinking_on,
            requires=_documents("reasoning"),
            response=_each_message(_reasoning_as_list),
        ),
        Fault(
            "response_cached_tokens_not_integer",
            "response/usage*cached_tokens*|response/schema",
            "response",
            "usage.prompt_tokens_details.cached_tokens is a string",
            _plain,
            requires=_documents_cached_tokens,
            response=_cached_as_text,
        ),
        Fault(
            "response_choices_empty",
            "response/choices/minItems|response/schema",
            "response",
            "choices is an empty array",
            _plain,
            response=_set("choices", []),
        ),
        Fault(
            "response_content_type_not_json",
            "response/content-type-json",
            "response",
            "a JSON answer is labelled text/plain",
            _plain,
            headers=_text_plain,
        ),
    )
