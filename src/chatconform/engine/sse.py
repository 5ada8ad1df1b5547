"""Server-sent events parsing (placeholder lenient version; the strict one replaces it)."""

from __future__ import annotations

from chatconform.engine.exchange import FramingError, SSEEvent


def parse_sse(body: bytes) -> tuple[tuple[SSEEvent, ...], tuple[FramingError, ...]]:
    """Split ``body`` into events; framing faults are returned, never raised."""
    events: list[SSEEvent] = []
    offset = 0
    for block in body.split(b"\n\n"):
        raw = block + b"\n\n"
        lines = [ln for ln in block.split(b"\n") if ln.startswith(b"data:")]
        if lines:
            data = "\n".join(ln[5:].removeprefix(b" ").decode() for ln in lines)
            events.append(SSEEvent(data=data, raw=raw, offset=offset))
        offset += len(raw)
    return tuple(events), ()
