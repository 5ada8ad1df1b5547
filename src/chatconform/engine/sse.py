"""A strict, incremental text/event-stream parser that records framing faults.

Lenient parsers (and most client SDKs) silently repair a stream: they skip a line that is
not a field, glue two JSON documents together, or drop the last event when the blank line
is missing. A conformance harness has to see those faults, so this parser follows the
WHATWG event-stream rules for what an event *is*, and records as a ``FramingError``
everything the baseline framing ("events are ``data: <json>`` lines separated by a blank
line; the stream ends with ``data: [DONE]``") does not allow:

- a line that is neither a known field (``data``, ``event``, ``id``, ``retry``) nor a
  comment;
- a stream that does not end with a blank line, so its last event is never dispatched;
- invalid UTF-8;
- an event whose data is neither JSON nor ``[DONE]``, including two payloads in one event
  (the blank line between two events is missing);
- a byte-order mark opening a line anywhere but at the very start.

Line splitting works on bytes (the terminators are ASCII, so a UTF-8 sequence can never
contain one) and each complete line is decoded on its own: bytes may be fed split
anywhere, including inside a UTF-8 sequence or between ``\\r`` and ``\\n``.
"""

from __future__ import annotations

import json
import re

from chatconform.engine.exchange import FramingError, SSEEvent

DONE = "[DONE]"
FIELDS = frozenset({"data", "event", "id", "retry"})
MAX_ERRORS = 100  # a body of garbage should not bury the report in identical errors

_EOL = re.compile(rb"\r\n|\r|\n")
_BOM = "\ufeff"
_BOM_BYTES = _BOM.encode()


def _short(text: str, limit: int = 80) -> str:
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def payload_error(data: str) -> str | None:
    """Why ``data`` is not a single JSON document or ``[DONE]`` (None when it is)."""
    if data == DONE:
        return None
    try:
        json.loads(data, parse_constant=_reject_constant)
        return None
    except ValueError:
        pass
    start = len(data) - len(data.lstrip())
    try:
        _, end = json.JSONDecoder(parse_constant=_reject_constant).raw_decode(data, start)
    except ValueError:
        return f"event data is neither JSON nor [DONE]: {_short(data)}"
    rest = data[end:].strip()
    return (
        f"event data holds a JSON document followed by {_short(rest)}: "
        "a blank line is missing between two events"
    )


class SSEParser:
    """Feed bytes as they arrive; get events back; ``close()`` at the end of the body.

    ``events`` holds every event dispatched so far and ``comments`` every comment line
    as ``(offset, text)`` (keep-alives are worth reporting, not failing). An event's
    ``id`` and ``event`` are those its own lines set (None when unset), not WHATWG's
    last-event-id carried over from earlier events.

    A line ending in ``\\r`` at the very end of the input fed so far is held back until
    the next byte shows whether a ``\\n`` belongs to the same terminator, so an event is
    the same however the body is split. ``close()`` resolves that line; an event it
    dispatches is appended to ``events``.
    """

    def __init__(self) -> None:
        self.events: list[SSEEvent] = []
        self.comments: list[tuple[int, str]] = []
        self._errors: list[FramingError] = []
        self._suppressed = 0
        self._buf = bytearray()
        self._pos = 0  # absolute offset of _buf[0]
        self._block = bytearray()  # raw bytes of the event being built
        self._block_start = 0
        self._data: list[str] = []
        self._event: str | None = None
        self._id: str | None = None
        self._closed = False

    def feed(self, data: bytes) -> list[SSEEvent]:
        """Parse ``data`` (any slice of the body) and return the events it completes."""
        if self._closed:
            raise RuntimeError("SSEParser.feed() after close()")
        # Bytes already scanned hold no line end, but a held "\r" must be seen again.
        scan = max(len(self._buf) - 1, 0)
        self._buf += data
        before = len(self.events)
        start = 0
        while match := _EOL.search(self._buf, max(start, scan)):
            if match.group() == b"\r" and match.end() == len(self._buf):
                break  # a "\n" may follow in the next feed
            self._line(start, match.start(), match.end())
            start = match.end()
        del self._buf[:start]
        self._pos += start
        return self.events[before:]

    def close(self) -> list[FramingError]:
        """End of body: resolve what is pending and return every framing fault found."""
        if self._closed:
            return list(self._errors)
        self._closed = True
        if self._buf.endswith(b"\r"):
            self._line(0, len(self._buf) - 1, len(self._buf))
        elif self._buf:
            self._tail(bytes(self._buf))
        self._buf.clear()
        if self._data:
            self._error(
                self._block_start,
                "the stream ends without a blank line after its last event, so that event "
                f"(data {_short(''.join(self._data))}) is never dispatched",
            )
        self._errors.sort(key=lambda error: error.offset)
        if self._suppressed:
            self._errors.append(
                FramingError(self._pos, f"{self._suppressed} further framing errors not listed")
            )
        return list(self._errors)

    @property
    def errors(self) -> list[FramingError]:
        return list(self._errors)

    def _error(self, offset: int, message: str) -> None:
        if len(self._errors) < MAX_ERRORS:
            self._errors.append(FramingError(offset, message))
        else:
            self._suppressed += 1

    def _tail(self, raw: bytes) -> None:
        """An unterminated last line: its field counts, but a data line can never be
        dispatched (reported by ``close``); a trailing comment loses nothing."""
        offset = self._pos
        text = self._decode(raw, offset)
        if not self._block:
            self._block_start = offset
        self._block += raw
        if text:
            self._field(text, offset)

    def _line(self, start: int, end: int, stop: int) -> None:
        offset = self._pos + start
        raw = bytes(self._buf[start:end])
        if not self._block:
            self._block_start = offset
        self._block += self._buf[start:stop]
        text = self._decode(raw, offset) if raw else ""
        if text:
            self._field(text, offset)
        else:
            self._dispatch()

    def _decode(self, raw: bytes, offset: int) -> str:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            at = offset + exc.start
            bad = raw[exc.start : exc.end].hex(" ")
            self._error(at, f"invalid UTF-8 (bytes {bad}) at byte {at}")
            text = raw.decode("utf-8", errors="replace")
        if text.startswith(_BOM):
            # WHATWG: one BOM at the very start belongs to the encoding. One opening a
            # later line is a second stream glued on (U+FEFF inside a value is just text).
            if offset != 0 or text.startswith(_BOM * 2):
                at = offset + (0 if offset else len(_BOM_BYTES))
                self._error(at, f"a byte-order mark (U+FEFF) opens a line at byte {at}")
            text = text.lstrip(_BOM)
        return text

    def _field(self, line: str, offset: int) -> None:
        if line.startswith(":"):
            self.comments.append((offset, line[1:].removeprefix(" ")))
            return
        name, colon, value = line.partition(":")
        if colon:
            value = value.removeprefix(" ")
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            self._id = value
        elif name != "retry":
            self._error(
                offset,
                f"line {_short(line)} is neither an SSE field (data, event, id, retry) "
                "nor a comment",
            )

    def _dispatch(self) -> None:
        if self._data:
            data = "\n".join(self._data)
            problem = payload_error(data)
            if problem:
                self._error(self._block_start, problem)
            self.events.append(
                SSEEvent(
                    data=data,
                    event=self._event,
                    id=self._id,
                    raw=bytes(self._block),
                    offset=self._block_start,
                )
            )
        self._block.clear()
        self._data = []
        self._event = None
        self._id = None


def parse_sse(body: bytes) -> tuple[tuple[SSEEvent, ...], tuple[FramingError, ...]]:
    """Split ``body`` into events; framing faults are returned, never raised."""
    parser = SSEParser()
    parser.feed(body)
    errors = parser.close()
    return tuple(parser.events), tuple(errors)
