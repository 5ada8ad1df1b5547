"""Reading a streamed answer, shared by the streaming checks.

Which exchanges count as streams, which stream options the request set, the chunks in
order with a location an engineer can find in the body, and the one way a stream check
lists its faults (the first few, then a count).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping
from typing import Any

from chatconform.engine.exchange import Exchange, SSEEvent
from chatconform.engine.failures import CheckFailed
from chatconform.engine.message import DONE, request_body
from chatconform.engine.registry import CheckContext

CITATION = "baseline: Streamed response"
FINISH_REASONS = ("stop", "length", "tool_calls", "content_filter")
USAGE_FIELDS = ("prompt_tokens", "completion_tokens", "total_tokens")
LISTED = 3  # faults quoted in one failure; the count says how many more


# -- applicability and reading ------------------------------------------------------------
def stream_requested(ctx: CheckContext, exchange: Exchange) -> bool:
    return exchange.streamed and exchange.response.is_success and not exchange.transport_error


def is_stream(ctx: CheckContext, exchange: Exchange) -> bool:
    return stream_requested(ctx, exchange) and (
        exchange.response.content_type == "text/event-stream" or bool(exchange.events)
    )


def option(exchange: Exchange, name: str) -> bool:
    options = request_body(exchange).get("stream_options")
    return isinstance(options, Mapping) and options.get(name) is True


def wants_usage(ctx: CheckContext, exchange: Exchange) -> bool:
    return is_stream(ctx, exchange) and option(exchange, "include_usage")


def wants_no_usage(ctx: CheckContext, exchange: Exchange) -> bool:
    return is_stream(ctx, exchange) and not (
        option(exchange, "include_usage") or option(exchange, "chunk_include_usage")
    )


def wants_chunk_usage(ctx: CheckContext, exchange: Exchange) -> bool:
    return (
        is_stream(ctx, exchange)
        and ctx.contract.has_semantic("chunk_include_usage")
        and option(exchange, "chunk_include_usage")
    )


def chunks(exchange: Exchange) -> Iterator[tuple[str, Any]]:
    """``(where, payload)`` of every parsable data event before the first ``[DONE]``.

    A client stops reading at ``[DONE]``: what follows it is stream_done_last's fault
    alone, not material for the chunk rules."""
    for n, event in enumerate(exchange.events):
        if event.data == DONE:
            return
        try:
            payload = event.json
        except ValueError:
            continue  # a framing fault, reported by stream_framing
        yield location(n, event), payload


def objects(exchange: Exchange) -> list[tuple[str, dict[str, Any]]]:
    return [(w, c) for w, c in chunks(exchange) if isinstance(c, dict)]


def location(n: int, event: SSEEvent) -> str:
    return f"event {n} (byte {event.offset})"


def listed(faults: list[str]) -> str:
    more = len(faults) - LISTED
    return "; ".join(faults[:LISTED]) + (f"; and {more} more" if more > 0 else "")


def fail(title: str, faults: list[str], expected: str, rule: str) -> None:
    if faults:
        raise CheckFailed(title, received=listed(faults), expected=expected, rule=rule)


def choice_items(chunk: Mapping[str, Any]) -> Iterator[tuple[int, tuple[Any, dict[str, Any]]]]:
    """``(position, (index, choice))`` of each choice object in a chunk; ``index`` is the
    choice's own (its position when absent, its repr when unhashable)."""
    choices = chunk.get("choices")
    for position, choice in enumerate(choices if isinstance(choices, list) else ()):
        if isinstance(choice, dict):
            index = choice.get("index", position)
            yield position, (index if isinstance(index, Hashable) else repr(index), choice)


def usage_faults(usage: Any) -> list[str]:
    if not isinstance(usage, Mapping):
        return [f"usage is {usage!r}"]
    faults = [
        f"{name} = {usage.get(name)!r}"
        for name in USAGE_FIELDS
        if not isinstance(usage.get(name), int)
        or isinstance(usage.get(name), bool)
        or usage[name] < 0
    ]
    if not faults and usage["total_tokens"] != usage["prompt_tokens"] + usage["completion_tokens"]:
        faults.append(
            f"total_tokens {usage['total_tokens']} != prompt_tokens {usage['prompt_tokens']}"
            f" + completion_tokens {usage['completion_tokens']}"
        )
    return faults


def extra_keys(root: Mapping[str, Any], value: Any) -> set[str]:
    """Keys of ``value`` that ``root`` (where it lists properties) does not name."""
    found: set[str] = set()

    def walk(schema: Any, value: Any, path: str) -> None:
        for _ in range(8):  # a chain of local refs; a cycle must not hang a check
            if not (isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str)):
                break
            schema = pointer_in(root, schema["$ref"])
        if not isinstance(schema, Mapping):
            return
        props = schema.get("properties")
        if isinstance(value, dict) and isinstance(props, Mapping):
            for key, item in value.items():
                if key in props:
                    walk(props[key], item, f"{path}{key}.")
                else:
                    found.add(f"{path}{key}")
        elif isinstance(value, list):
            for item in value:
                walk(schema.get("items"), item, f"{path.rstrip('.')}[].")

    walk(root, value, "")
    return found


def pointer_in(root: Mapping[str, Any], ref: str) -> Any:
    if not ref.startswith("#/"):
        return None
    node: Any = root
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        node = node.get(part) if isinstance(node, Mapping) else None
    return node


def schema_fault_owned(path: list[Any], firsts: set[int], usage_owned: bool) -> bool:
    """Whether a named check already reports a schema fault at ``path`` (one fault, one
    rule): object, delta.content, finish_reason, a choice's first role, and usage (but
    for the every-chunk usage of chunk_include_usage, which only its tokens are judged on)."""
    if path[:1] == ["object"] or (usage_owned and path[:1] == ["usage"]):
        return True
    if len(path) < 3 or path[0] != "choices":
        return False
    tail = path[2:4]
    return (
        tail == ["delta", "content"]
        or tail == ["finish_reason"]
        or (tail == ["delta", "role"] and path[1] in firsts)
    )
