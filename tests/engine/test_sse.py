"""The strict event-stream parser: WHATWG events, framing faults recorded with offsets."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatconform.engine.exchange import FramingError, SSEEvent
from chatconform.engine.sse import MAX_ERRORS, SSEParser, parse_sse, payload_error


def _messages(errors: tuple[FramingError, ...] | list[FramingError]) -> str:
    return "\n".join(f"{e.offset}: {e.message}" for e in errors)


def test_well_formed_stream() -> None:
    body = b'data: {"a": 1}\n\ndata: [DONE]\n\n'
    events, errors = parse_sse(body)
    assert errors == ()
    assert events == (
        SSEEvent(data='{"a": 1}', raw=b'data: {"a": 1}\n\n', offset=0),
        SSEEvent(data="[DONE]", raw=b"data: [DONE]\n\n", offset=16),
    )
    assert events[0].json == {"a": 1}


def test_fields_comments_and_line_ends() -> None:
    body = (
        b": keep-alive\r\n\r\n"
        b"event: message\rid: 7\rretry: 10\rdata:{}\r\r"
        b"event: ping\n\n"  # no data: WHATWG dispatches nothing, and that is no fault
        b"data\ndata: [1]\n\n"
    )
    parser = SSEParser()
    events = parser.feed(body)
    assert parser.close() == []
    assert [(e.data, e.event, e.id) for e in events] == [
        ("{}", "message", "7"),
        ("\n[1]", None, None),
    ]
    assert parser.comments == [(0, "keep-alive")]
    assert events[0].offset == 16


def test_leading_bom_is_part_of_the_encoding() -> None:
    events, errors = parse_sse(b"\xef\xbb\xbfdata: 1\n\n")
    assert errors == ()
    assert [e.data for e in events] == ["1"]


def test_bom_inside_a_value_is_text() -> None:
    events, errors = parse_sse('data: "a\ufeffb"\n\n'.encode())
    assert errors == ()
    assert events[0].json == "a\ufeffb"


@pytest.mark.parametrize(
    ("body", "offset", "words"),
    [
        pytest.param(b"data: 1\n\n{}\n\n", 9, "'{}' is neither an SSE field", id="bare-json-line"),
        pytest.param(b"Data: 1\n\n", 0, "'Data: 1' is neither an SSE field", id="field-case"),
        pytest.param(b"data: 1\n\ndata: 2\n", 9, "ends without a blank line", id="no-last-blank"),
        pytest.param(b"data: 1\n\ndata: 2", 9, "ends without a blank line", id="unterminated"),
        pytest.param(b'data: "\xe4\xb8"\n\n', 7, "invalid UTF-8 (bytes e4 b8)", id="utf8"),
        pytest.param(b"data: hello\n\n", 0, "neither JSON nor [DONE]: 'hello'", id="text"),
        pytest.param(b"data: NaN\n\n", 0, "neither JSON nor [DONE]", id="nan"),
        pytest.param(b"data:\n\n", 0, "neither JSON nor [DONE]: ''", id="empty"),
        pytest.param(b"data: [DONE] \n\n", 0, "nor [DONE]: '[DONE] '", id="done-space"),
        pytest.param(b"data: {}\ndata: {}\n\n", 0, "blank line is missing", id="two-json"),
        pytest.param(b"data: {}\ndata: [DONE]\n\n", 0, "followed by '[DONE]'", id="json-done"),
        pytest.param(b"data: 1\n\n\xef\xbb\xbfdata: 2\n\n", 9, "byte-order mark", id="bom"),
        pytest.param(b"\xef\xbb\xbf\xef\xbb\xbfdata: 2\n\n", 3, "byte-order mark", id="bom-twice"),
    ],
)
def test_framing_faults_are_recorded_with_offsets(body: bytes, offset: int, words: str) -> None:
    _, errors = parse_sse(body)
    assert len(errors) == 1, _messages(errors)
    assert errors[0].offset == offset
    assert words in errors[0].message


def test_undispatched_last_event_is_dropped() -> None:
    events, _ = parse_sse(b"data: 1\n\ndata: [DONE]\n")
    assert [e.data for e in events] == ["1"]


def test_trailing_comment_without_newline_is_harmless() -> None:
    events, errors = parse_sse(b"data: 1\n\n: bye")
    assert errors == ()
    assert [e.data for e in events] == ["1"]


def test_invalid_utf8_still_yields_the_event() -> None:
    events, errors = parse_sse(b'data: "\xff"\n\n')
    assert [e.data for e in events] == ['"\ufffd"']
    assert [e.offset for e in errors] == [7]


def test_payload_error_names_the_problem() -> None:
    assert payload_error("[DONE]") is None
    assert payload_error(' {"a": [1, 2]} ') is None
    assert "neither JSON" in (payload_error("{") or "")
    assert "followed by '{}'" in (payload_error("{}{}") or "")


def test_carriage_return_split_from_line_feed() -> None:
    parser = SSEParser()
    assert parser.feed(b"data: 1\r") == []
    assert parser.feed(b"\n\r") == []  # the blank line might still be "\r\n"
    (event,) = parser.feed(b"\n")
    assert event.raw == b"data: 1\r\n\r\n"
    assert parser.close() == []


def test_close_dispatches_a_final_carriage_return() -> None:
    parser = SSEParser()
    assert parser.feed(b"data: 1\r\r") == []
    assert parser.close() == []
    assert [e.data for e in parser.events] == ["1"]


def test_feed_returns_events_as_they_complete() -> None:
    parser = SSEParser()
    assert parser.feed(b'data: {"x": "\xe4') == []
    (first,) = parser.feed(b'\xb8\xad"}\n\ndata: [DO')
    assert first.json == {"x": "中"}
    assert parser.feed(b"NE]\n") == []
    (done,) = parser.feed(b"\n")
    assert done.data == "[DONE]"
    assert done.offset == len(b'data: {"x": "\xe4\xb8\xad"}\n\n')
    assert parser.close() == []
    assert parser.close() == []  # idempotent
    with pytest.raises(RuntimeError, match="after close"):
        parser.feed(b"data: 1\n\n")


def test_errors_are_capped() -> None:
    _, errors = parse_sse(b"junk\n" * (MAX_ERRORS + 5))
    assert len(errors) == MAX_ERRORS + 1
    assert errors[-1].message == "5 further framing errors not listed"


# A well-formed stream, generated: events of fields and comments, one line ending each.


@dataclass(frozen=True)
class _Event:
    data: str
    event: str | None
    id: str | None
    lines: tuple[str, ...]


_utf8 = st.characters(codec="utf-8")  # no lone surrogates: they cannot be sent
_values = st.text(st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=12)
_payload = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(_utf8, max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(_utf8, max_size=4), inner),
    max_leaves=6,
)


@st.composite
def _events(draw: st.DrawFn) -> _Event:
    if draw(st.booleans()):
        data = "[DONE]"
        data_lines = ["data: [DONE]"]
    else:
        # Indented JSON spans several data lines; they join back with "\n".
        data = json.dumps(
            draw(_payload), ensure_ascii=False, indent=draw(st.sampled_from([None, 1]))
        )
        # One space after the colon is optional, so a line that starts with one needs it.
        data_lines = [
            f"data:{' ' if ln.startswith(' ') or draw(st.booleans()) else ''}{ln}"
            for ln in data.split("\n")
        ]
    event = draw(st.none() | _values)
    id_ = draw(st.none() | _values.filter(lambda v: "\0" not in v))
    extra = [f"event: {event}"] if event is not None else []
    extra += [f"id: {id_}"] if id_ is not None else []
    extra += draw(st.lists(_values.map(lambda v: ":" + v), max_size=2))  # comments
    extra += draw(st.lists(st.integers(0, 9999).map(lambda n: f"retry: {n}"), max_size=1))
    lines = draw(st.permutations([*extra, *data_lines]))
    # Data lines must keep their order for the joined data to stay the same JSON.
    ordered = iter(data_lines)
    lines = [next(ordered) if ln.startswith("data:") else ln for ln in lines]
    return _Event(data=data, event=event, id=id_, lines=tuple(lines))


@st.composite
def _streams(draw: st.DrawFn) -> tuple[bytes, list[_Event]]:
    events = draw(st.lists(_events(), max_size=5))
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = "".join(eol.join([*e.lines, "", ""]) for e in events)
    bom = "\ufeff" if draw(st.booleans()) else ""
    return (bom + text).encode(), events


@settings(max_examples=200, deadline=None)
@given(stream=_streams(), data=st.data())
def test_any_split_parses_like_the_whole(
    stream: tuple[bytes, list[_Event]], data: st.DataObject
) -> None:
    body, expected = stream
    whole, errors = parse_sse(body)
    assert errors == (), _messages(errors)
    assert [(e.data, e.event, e.id) for e in whole] == [(e.data, e.event, e.id) for e in expected]
    assert b"".join(e.raw for e in whole) == (body if whole else b"")
    assert all(body[e.offset : e.offset + len(e.raw)] == e.raw for e in whole)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(body)), max_size=8)))
    parser = SSEParser()
    pieces = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]
    fed = [event for piece in pieces for event in parser.feed(piece)]
    assert parser.close() == []
    assert tuple(parser.events) == whole
    # Only a final "\r" waits for close(): it might have been the first half of "\r\n".
    assert tuple(fed) == whole[: len(fed)]
    assert len(whole) - len(fed) == (1 if body.endswith(b"\r") else 0)


@given(st.binary(max_size=64), st.data())
def test_any_bytes_split_anywhere_give_the_same_verdict(body: bytes, data: st.DataObject) -> None:
    cut = data.draw(st.integers(0, len(body)))
    parser = SSEParser()
    parser.feed(body[:cut])
    parser.feed(body[cut:])
    errors = parser.close()
    assert (tuple(parser.events), tuple(errors)) == parse_sse(body)
