"""Checks of a streamed answer (``stream: true``), one named check per stream rule.

The baseline's "Streamed response" section is a handful of separate promises (content
type, framing, ``[DONE]`` last, chunk object and schema, stable ids, role first, one
finish per choice, usage chunk, content concatenation). A vendor engineer fixes them one
at a time, so each has its own check and rule id and a failure names one of them only.

Faults of one kind are reported once: an unparsable event is a framing fault and is left
out of the chunk checks; a JSON body answering a stream request fails the content-type
check only (the other checks apply to event streams). Timing, keep-alive comments, event
names and undocumented chunk fields break no stated rule and are observations.
"""

from __future__ import annotations

import re
from typing import Any

from chatconform.checks import streaming_usage  # noqa: F401  (registers the usage checks)
from chatconform.checks._stream import (
    CITATION,
    FINISH_REASONS,
    choice_items,
    chunks,
    extra_keys,
    fail,
    is_stream,
    location,
    objects,
    option,
    schema_fault_owned,
    stream_requested,
)
from chatconform.contracts import validators_for
from chatconform.engine.exchange import Exchange
from chatconform.engine.failures import CheckFailed, CheckSkipped
from chatconform.engine.message import DONE, assembled_choices
from chatconform.engine.registry import CheckContext, check
from chatconform.engine.sse import SSEParser

_DONE_LINE = re.compile(rb"^data: ?\[DONE\]\r?$", re.MULTILINE)
# The contract derives one rule per chunk-schema keyword (stream/chunk/<path>/<keyword>).
_CHUNK_OBJECT = ("stream/chunk-object", "stream/chunk/object/*")
_CHUNK_SCHEMA = ("stream/chunk-schema", "stream/chunk/*")


# -- transport and framing ----------------------------------------------------------------
@check(
    area="streaming",
    enforces=("stream/content-type",),
    citation=CITATION,
    applies=stream_requested,
)
def stream_content_type(ctx: CheckContext, exchange: Exchange) -> None:
    """A stream request is answered with Content-Type: text/event-stream."""
    response = exchange.response
    if response.content_type == "text/event-stream":
        return
    received = f"Content-Type: {response.headers.get('content-type', '(none)')}"
    if response.json is not None:
        received += " with a JSON body (the request's stream: true was not honoured)"
    raise CheckFailed(
        "stream answered without text/event-stream",
        received=received,
        expected="Content-Type: text/event-stream for a request with stream: true",
        rule="stream/content-type",
    )


@check(area="streaming", enforces=("stream/framing",), citation=CITATION, applies=is_stream)
def stream_framing(ctx: CheckContext, exchange: Exchange) -> None:
    """Events are data lines of one JSON document each, separated by blank lines."""
    _observe_transport(ctx, exchange)
    fail(
        f"{len(exchange.framing_errors)} framing fault(s) in the event stream",
        [f"byte {e.offset}: {e.message}" for e in exchange.framing_errors],
        "`data: <json>` lines, one JSON document or [DONE] per event, events separated by "
        "a blank line, the last one included; UTF-8 throughout",
        "stream/framing",
    )


def _observe_transport(ctx: CheckContext, exchange: Exchange) -> None:
    probe = exchange.probe.id
    if exchange.response.first_byte_s is not None:  # live only: never part of a verdict
        ctx.observe(
            f"first byte after {exchange.response.first_byte_s:.3f} s",
            probe=probe,
            check="stream_framing",
            first_byte_s=exchange.response.first_byte_s,
        )
    parser = SSEParser()
    parser.feed(exchange.response.body)
    parser.close()
    if parser.comments:
        ctx.observe(
            f"{len(parser.comments)} comment line(s) (keep-alives) in the stream",
            probe=probe,
            check="stream_framing",
            first=parser.comments[0][1][:80],
        )
    names = sorted({e.event for e in exchange.events if e.event is not None})
    if names:
        ctx.observe(f"events carry `event:` names {names}", probe=probe, check="stream_framing")


@check(area="streaming", enforces=("stream/done-last",), citation=CITATION, applies=is_stream)
def stream_done_last(ctx: CheckContext, exchange: Exchange) -> None:
    """The stream ends with exactly one `data: [DONE]` and nothing after it."""
    events = exchange.events
    done = [n for n, e in enumerate(events) if e.data == DONE]
    expected = "exactly one `data: [DONE]` event, the last event of the stream"
    if not done:
        if _DONE_LINE.search(exchange.response.body):
            raise CheckSkipped(
                "a `data: [DONE]` line is in the body but a framing fault keeps it from being "
                "its own event: stream_framing reports it"
            )
        raise CheckFailed(
            "the stream has no [DONE] event",
            received=f"{len(events)} event(s), none `data: [DONE]`",
            expected=expected,
            rule="stream/done-last",
        )
    if len(done) > 1 or done[-1] != len(events) - 1:
        first, after = location(done[0], events[done[0]]), len(events) - 1 - done[0]
        raise CheckFailed(
            "[DONE] is not the single last event",
            received=f"{len(done)} [DONE] event(s); the first, {first}, is followed by "
            f"{after} event(s)",
            expected=expected,
            rule="stream/done-last",
        )
    last = events[done[0]]
    trailing = exchange.response.body[last.offset + len(last.raw) :]
    if trailing.strip():
        ctx.observe(
            f"{len(trailing)} byte(s) after [DONE] (no event): {trailing[:60]!r}",
            probe=exchange.probe.id,
            check="stream_done_last",
        )


# -- chunks -------------------------------------------------------------------------------
@check(area="streaming", enforces=_CHUNK_OBJECT, citation=CITATION, applies=is_stream)
def stream_chunk_object(ctx: CheckContext, exchange: Exchange) -> None:
    """Every chunk is a JSON object with `object` = `chat.completion.chunk`."""
    faults = [
        f"{where}: object = {chunk.get('object')!r}"
        if isinstance(chunk, dict)
        else f"{where}: a JSON {type(chunk).__name__}, not an object"
        for where, chunk in chunks(exchange)
        if not isinstance(chunk, dict) or chunk.get("object") != "chat.completion.chunk"
    ]
    fail(
        "a chunk is not a chat.completion.chunk object",
        faults,
        'a JSON object with "object": "chat.completion.chunk" in every data event',
        "stream/chunk-object",
    )


@check(area="streaming", enforces=_CHUNK_SCHEMA, citation=CITATION, applies=is_stream)
def stream_chunk_schema(ctx: CheckContext, exchange: Exchange) -> None:
    """Every chunk object validates against the contract's chunk schema."""
    validator = validators_for(ctx.contract).chunk
    usage_owned = not option(exchange, "chunk_include_usage")
    faults: list[str] = []
    extra: set[str] = set()
    seen: set[Any] = set()
    for where, chunk in objects(exchange):
        firsts: set[int] = set()  # positions in this chunk of a choice's first delta
        for position, (index, _) in choice_items(chunk):
            if index not in seen:
                seen.add(index)
                firsts.add(position)
        for error in sorted(validator.iter_errors(chunk), key=lambda e: list(e.path)):
            if not schema_fault_owned(list(error.path), firsts, usage_owned):
                faults.append(f"{where}: {error.json_path}: {error.message[:120]}")
        extra |= extra_keys(ctx.contract.chunk_schema, chunk)
    fail(
        f"{len(faults)} chunk schema fault(s)",
        faults,
        'chunks {"id", "object", "created", "model", "choices": [{"index", "delta", '
        '"finish_reason"}]} valid against the contract\'s chunk schema',
        "stream/chunk-schema",
    )
    if extra:
        ctx.observe(
            f"chunks carry fields the contract does not name: {sorted(extra)}",
            probe=exchange.probe.id,
            check="stream_chunk_schema",
        )


@check(
    area="streaming",
    enforces=("stream/same-id-created-model",),
    citation=CITATION,
    applies=is_stream,
)
def stream_same_id_created_model(ctx: CheckContext, exchange: Exchange) -> None:
    """Every chunk carries the same `id`, `created` and `model`."""
    found = objects(exchange)
    if not found:
        return
    first_where, first = found[0]
    faults = [
        f"{where}: {key} = {chunk.get(key)!r}, {first_where} had {first.get(key)!r}"
        for where, chunk in found[1:]
        for key in ("id", "created", "model")
        if chunk.get(key) != first.get(key)
    ]
    fail(
        "chunks disagree on id, created or model",
        faults,
        "the same id, created and model in every chunk of one stream",
        "stream/same-id-created-model",
    )


@check(area="streaming", enforces=("stream/role-first",), citation=CITATION, applies=is_stream)
def stream_role_first(ctx: CheckContext, exchange: Exchange) -> None:
    """The first delta of each choice carries `role: "assistant"`."""
    seen: set[Any] = set()
    faults: list[str] = []
    for where, chunk in objects(exchange):
        for _, (index, choice) in choice_items(chunk):
            if index in seen:
                continue
            seen.add(index)
            delta = choice.get("delta")
            role = delta.get("role") if isinstance(delta, dict) else None
            if role != "assistant":
                faults.append(f"choice {index}, first delta at {where}: {delta!r}")
    fail(
        "a choice's first delta does not carry role assistant",
        faults,
        'the first delta of each choice carries "role": "assistant"',
        "stream/role-first",
    )


@check(
    area="streaming",
    enforces=("stream/one-finish-per-choice",),
    citation=CITATION,
    applies=is_stream,
)
def stream_one_finish_per_choice(ctx: CheckContext, exchange: Exchange) -> None:
    """Each choice has exactly one non-null finish_reason, in its last chunk."""
    seen: dict[Any, list[tuple[str, Any]]] = {}  # index -> [(where, finish_reason)]
    for where, chunk in objects(exchange):
        for _, (index, choice) in choice_items(chunk):
            seen.setdefault(index, []).append((where, choice.get("finish_reason")))
    faults: list[str] = []
    for index, pieces in seen.items():
        finishes = [(w, f) for w, f in pieces if f is not None]
        if not finishes:
            faults.append(f"choice {index}: no chunk carries a finish_reason")
        elif len(finishes) > 1:
            faults.append(
                f"choice {index}: {len(finishes)} finish_reasons "
                + ", ".join(f"{f!r} at {w}" for w, f in finishes)
            )
        elif finishes[0][0] != pieces[-1][0]:
            faults.append(
                f"choice {index}: finish_reason {finishes[0][1]!r} at {finishes[0][0]}"
                f" but the choice continues until {pieces[-1][0]}"
            )
        elif finishes[0][1] not in FINISH_REASONS:
            faults.append(f"choice {index}: finish_reason {finishes[0][1]!r}")
    fail(
        "a choice does not end with exactly one finish_reason",
        faults,
        "the last chunk of each choice carries a finish_reason from "
        f"{', '.join(FINISH_REASONS)}; earlier chunks carry null or none",
        "stream/one-finish-per-choice",
    )


@check(area="streaming", enforces=("stream/concat-content",), citation=CITATION, applies=is_stream)
def stream_concat_content(ctx: CheckContext, exchange: Exchange) -> None:
    """Every `delta.content` is a string or null, so the pieces concatenate to the content."""
    faults: list[str] = []
    for where, chunk in objects(exchange):
        for _, (index, choice) in choice_items(chunk):
            delta = choice.get("delta")
            content = delta.get("content") if isinstance(delta, dict) else None
            if content is not None and not isinstance(content, str):
                faults.append(f"{where}, choice {index}: delta.content = {content!r}")
    fail(
        "a delta.content is neither a string nor null",
        faults,
        "delta.content a string (or null or absent) in every chunk, the concatenation "
        "being the message content",
        "stream/concat-content",
    )
    for choice in assembled_choices(exchange):
        message = choice["message"]
        if message["content"] is None and not message.get("tool_calls"):
            ctx.observe(
                f"choice {choice['index']} streamed no content (finish_reason "
                f"{choice['finish_reason']!r})",
                probe=exchange.probe.id,
                check="stream_concat_content",
            )
