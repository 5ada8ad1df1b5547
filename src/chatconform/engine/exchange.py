"""An exchange: the probe, the request as sent and the response as received."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from chatconform.engine.probe import Probe


@dataclass(frozen=True)
class SentRequest:
    method: str
    url: str
    headers: dict[str, str]  # credentials already replaced by "<redacted>"
    body: bytes

    @cached_property
    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


@dataclass(frozen=True)
class SSEEvent:
    """One event of a text/event-stream body, as the strict parser saw it."""

    data: str  # the joined data lines
    event: str | None = None
    id: str | None = None
    raw: bytes = b""  # the event's bytes, blank-line terminator included
    offset: int = 0  # byte offset of the event in the body

    @cached_property
    def json(self) -> Any:
        return json.loads(self.data)


@dataclass(frozen=True)
class FramingError:
    """A place where the body breaks SSE framing (the strict parser records, not raises)."""

    offset: int
    message: str


@dataclass(frozen=True)
class ReceivedResponse:
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes
    elapsed_s: float = 0.0
    first_byte_s: float | None = None  # live only; None under replay

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @cached_property
    def json(self) -> Any:
        """The parsed JSON body, or None when the body is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @property
    def is_success(self) -> bool:
        return 200 <= self.status < 300


@dataclass(frozen=True)
class Exchange:
    probe: Probe
    request: SentRequest
    response: ReceivedResponse
    # Streamed responses: events in order and framing faults, from chatconform.engine.sse.
    events: tuple[SSEEvent, ...] = ()
    framing_errors: tuple[FramingError, ...] = ()
    transport_error: str | None = None  # the request could not complete
    related: tuple[Exchange, ...] = field(default=())  # e.g. the repeat of a seed probe

    @property
    def streamed(self) -> bool:
        return self.probe.request.stream
