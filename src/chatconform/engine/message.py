"""One view of the answer, streamed or not.

Checks of content, tools, logprobs and reasoning should not care whether the answer
came as one JSON document or as a stream of chunks. This module rebuilds the choices of
a stream the way the baseline defines them ("the concatenated ``delta.content`` of a
stream is the message content"), so those checks read one shape for both.

The rebuild is lenient on purpose: a malformed chunk is skipped here and reported by the
streaming checks, which own the framing and chunk rules.
"""

from __future__ import annotations

from typing import Any

from chatconform.engine.exchange import Exchange

DONE = "[DONE]"


def request_body(exchange: Exchange) -> dict[str, Any]:
    """The JSON request body as sent, or ``{}`` when it is not a JSON object."""
    body = exchange.request.json
    return body if isinstance(body, dict) else {}


def is_event_stream(exchange: Exchange) -> bool:
    """Whether the answer is read as a stream (events were parsed from the body)."""
    return bool(exchange.events) or exchange.response.content_type == "text/event-stream"


def stream_chunks(exchange: Exchange) -> list[dict[str, Any]]:
    """The JSON objects of the stream's data events, in order, up to the first ``[DONE]``
    (where a client stops reading); unparsable payloads and non-object JSON are left out."""
    chunks: list[dict[str, Any]] = []
    for event in exchange.events:
        if event.data == DONE:
            break
        try:
            payload = event.json
        except ValueError:
            continue
        if isinstance(payload, dict):
            chunks.append(payload)
    return chunks


def assembled_choices(exchange: Exchange) -> list[dict[str, Any]]:
    """The answer's choices: as returned for a JSON response, rebuilt for a stream.

    A rebuilt choice is ``{"index", "message": {"role", "content", ["reasoning_content"],
    ["tool_calls"]}, "finish_reason", "logprobs"}``; ``content`` is None when no delta
    carried content, ``reasoning_content`` and ``tool_calls`` are absent when no delta
    carried them, ``logprobs`` is ``{"content": [...]}`` or None.
    """
    if not exchange.response.is_success:
        return []
    if is_event_stream(exchange):
        return _rebuild(stream_chunks(exchange))
    body = exchange.response.json
    choices = body.get("choices") if isinstance(body, dict) else None
    if not isinstance(choices, list):
        return []
    return [c for c in choices if isinstance(c, dict)]


def assembled_usage(exchange: Exchange) -> dict[str, Any] | None:
    """The response's ``usage``; for a stream, that of the last chunk carrying one."""
    if is_event_stream(exchange):
        usage: dict[str, Any] | None = None
        for chunk in stream_chunks(exchange):
            if isinstance(chunk.get("usage"), dict):
                usage = chunk["usage"]
        return usage
    body = exchange.response.json
    found = body.get("usage") if isinstance(body, dict) else None
    return found if isinstance(found, dict) else None


class _Choice:
    """Accumulates the deltas of one choice index."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.role: Any = None
        self.content: list[str] | None = None
        self.reasoning: list[str] | None = None
        self.tool_calls: dict[int, dict[str, Any]] = {}
        self.finish_reason: Any = None
        self.logprobs: list[Any] | None = None

    def add(self, choice: dict[str, Any]) -> None:
        delta = choice.get("delta")
        if isinstance(delta, dict):
            self._add_delta(delta)
        if choice.get("finish_reason") is not None:
            self.finish_reason = choice["finish_reason"]
        logprobs = choice.get("logprobs")
        if isinstance(logprobs, dict) and isinstance(logprobs.get("content"), list):
            self.logprobs = (self.logprobs or []) + logprobs["content"]

    def _add_delta(self, delta: dict[str, Any]) -> None:
        if self.role is None and delta.get("role") is not None:
            self.role = delta["role"]
        if isinstance(delta.get("content"), str):
            self.content = [*(self.content or []), delta["content"]]
        if isinstance(delta.get("reasoning_content"), str):
            self.reasoning = [*(self.reasoning or []), delta["reasoning_content"]]
        pieces = delta.get("tool_calls")
        if isinstance(pieces, list):
            for piece in pieces:
                if isinstance(piece, dict):
                    self._add_tool_piece(piece)

    def _add_tool_piece(self, piece: dict[str, Any]) -> None:
        index = piece.get("index")
        if not isinstance(index, int):
            # Without an index, a piece with an id opens a new call; one without
            # continues the last call (the only reading that loses no arguments).
            last = max(self.tool_calls, default=-1)
            index = last + 1 if piece.get("id") or last < 0 else last
        call = self.tool_calls.get(index)
        raw_function = piece.get("function")
        function: dict[str, Any] = raw_function if isinstance(raw_function, dict) else {}
        if call is None:
            call = {
                "index": index,
                "id": piece.get("id"),
                "type": piece.get("type"),
                "function": {"name": function.get("name"), "arguments": ""},
            }
            self.tool_calls[index] = call
        else:
            call["id"] = call["id"] or piece.get("id")
            call["type"] = call["type"] or piece.get("type")
            call["function"]["name"] = call["function"]["name"] or function.get("name")
        if isinstance(function.get("arguments"), str):
            call["function"]["arguments"] += function["arguments"]

    def build(self) -> dict[str, Any]:
        message: dict[str, Any] = {
            "role": self.role,
            "content": None if self.content is None else "".join(self.content),
        }
        if self.reasoning is not None:
            message["reasoning_content"] = "".join(self.reasoning)
        if self.tool_calls:
            message["tool_calls"] = [self.tool_calls[i] for i in sorted(self.tool_calls)]
        return {
            "index": self.index,
            "message": message,
            "finish_reason": self.finish_reason,
            "logprobs": None if self.logprobs is None else {"content": self.logprobs},
        }


def _rebuild(chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_index: dict[int, _Choice] = {}
    for chunk in chunks:
        choices = chunk.get("choices")
        if not isinstance(choices, list):
            continue
        for position, choice in enumerate(choices):
            if not isinstance(choice, dict):
                continue
            index = choice.get("index")
            if not isinstance(index, int) or isinstance(index, bool):
                index = position
            by_index.setdefault(index, _Choice(index)).add(choice)
    return [by_index[i].build() for i in sorted(by_index)]
