"""The vcrpy configuration chatconform records and replays with.

Given to pytest-recording through its ``vcr_config`` fixture. Two rules shape it:
nothing that could be a credential reaches a cassette, and ``record_mode`` is never set
here (a mode in the config would override ``--record-mode`` on the command line).

Requests are matched on method, path, query and a body/header matcher of our own
(:func:`make_matcher`), never on scheme, host or port: a set recorded against a
reference server on a random loopback port must replay whatever the base URL is.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import vcr.patch

from chatconform.engine.client import REDACTED
from chatconform.recording.redact import (
    SECRET_HEADERS,
    SECRET_QUERY_PARAMS,
    is_secret_header,
    redact_body,
)

MATCHER_NAME = "chatconform_request"
MATCH_ON = ("method", "path", "query", MATCHER_NAME)
# Request headers that change what a provider answers, so take part in matching. Others
# (user-agent, accept-encoding, content-length) change with library versions.
_MATCHED_HEADERS = frozenset(
    {"content-type", "x-request-id", "x-idempotency-key", "x-conversation-id", *SECRET_HEADERS}
)


@dataclass(frozen=True)
class Volatile:
    """Request parts that legitimately differ between runs and are not matched.

    ``body_fields`` are dotted paths into a JSON body (``user``, ``metadata.trace``);
    ``headers`` are matched on presence only, never on value (a per-run request id).
    Our probe bodies are deterministic, so both are empty by default.
    """

    body_fields: frozenset[str] = field(default_factory=frozenset)
    headers: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def of(cls, body_fields: Iterable[str] = (), headers: Iterable[str] = ()) -> Volatile:
        return cls(frozenset(body_fields), frozenset(h.lower() for h in headers))


def vcr_config() -> dict[str, Any]:
    """The keyword arguments for ``vcr.use_cassette`` (pytest-recording's ``vcr_config``)."""
    return {
        "filter_headers": [(name, REDACTED) for name in SECRET_HEADERS],
        "filter_query_parameters": [(name, REDACTED) for name in SECRET_QUERY_PARAMS],
        "before_record_request": before_record_request,
        "before_record_response": before_record_response,
        "decode_compressed_response": True,
        "match_on": MATCH_ON,
        # Each probe is sent once per cassette; a second identical request (a seed
        # repeat) must have been recorded twice, not served the first answer again.
        "allow_playback_repeats": False,
        **_only_httpx(),
    }


def _only_httpx() -> dict[str, Any]:
    """Patch httpx alone: chatconform sends through nothing else.

    vcrpy otherwise patches (and, per cassette, tries to import) every HTTP library it
    knows; with one cassette per probe that was a tenth of a replay's time. Versions
    of vcrpy without ``skip_patchers`` keep patching everything.
    """
    names = getattr(vcr.patch, "PATCHER_NAMES", None)
    if not names or "httpx" not in names:
        return {}
    return {"skip_patchers": tuple(name for name in names if name != "httpx")}


def before_record_request(request: Any) -> Any:
    """Redact credential fields in the request body (vcrpy passes a deep copy)."""
    body = request.body
    if isinstance(body, bytes):
        request.body = redact_body(body)
    return request


def before_record_response(response: dict[str, Any]) -> dict[str, Any]:
    """Redact credential headers (set-cookie, ``*-key``, ``*-token``) and body values."""
    headers = response.get("headers") or {}
    for name in list(headers):
        if is_secret_header(name):
            headers[name] = [REDACTED for _ in _as_list(headers[name])]
    body = response.get("body") or {}
    original = body.get("string")
    if isinstance(original, bytes):
        redacted = redact_body(original)
        if redacted != original:
            body["string"] = redacted
            for name in list(headers):
                if name.lower() == "content-length":
                    headers[name] = [str(len(redacted))]
    return response


def make_matcher(volatile: Volatile | None = None) -> Callable[[Any, Any], None]:
    """A vcrpy matcher comparing JSON bodies (volatile fields removed) and chosen headers.

    Raises ``AssertionError`` naming the first difference, which vcrpy shows when a
    replayed request finds no recording.
    """
    volatile = volatile or Volatile()

    def chatconform_request(r1: Any, r2: Any) -> None:
        b1, b2 = _comparable_body(r1.body, volatile), _comparable_body(r2.body, volatile)
        if b1 != b2:
            raise AssertionError(f"body differs: {_short(b1)} != {_short(b2)} (recorded)")
        h1, h2 = (
            _comparable_headers(r1.headers, volatile),
            _comparable_headers(r2.headers, volatile),
        )
        if h1 != h2:
            diff = sorted(set(h1.items()) ^ set(h2.items()))
            raise AssertionError(f"headers differ: {diff}")

    return chatconform_request


def _comparable_body(body: Any, volatile: Volatile) -> Any:
    raw = body.encode() if isinstance(body, str) else (body or b"")
    try:
        document = json.loads(raw)
    except ValueError:
        return raw  # not JSON (the malformed-body probe): compared byte for byte
    for dotted in volatile.body_fields:
        _drop(document, dotted.split("."))
    return document


def _drop(document: Any, path: list[str]) -> None:
    if not isinstance(document, dict) or not path:
        return
    head, *rest = path
    if not rest:
        document.pop(head, None)
    else:
        _drop(document.get(head), rest)


def _comparable_headers(headers: Any, volatile: Volatile) -> dict[str, str]:
    result: dict[str, str] = {}
    for name, value in dict(headers).items():
        lowered = name.lower()
        if lowered in _MATCHED_HEADERS or lowered in volatile.headers:
            text = ",".join(_as_list(value))
            result[lowered] = "<present>" if lowered in volatile.headers else text
    return result


def _as_list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]


def _short(value: Any, limit: int = 200) -> str:
    text = json.dumps(value, sort_keys=True) if not isinstance(value, bytes) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
