"""Redaction applied before anything is written to a cassette.

Cassettes are committed to the repository, so every credential a request carried or a
provider echoed back must be gone before vcrpy serialises an interaction. The same
patterns drive the scanner (``scan.py``) that proves the committed cassettes clean.

Field names are matched with care: ``max_tokens``, ``prompt_tokens`` and the logprobs
``token`` field carry no secret and must survive, while ``api_key``, ``access_token``
or ``client_secret`` must not.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from chatconform.engine.secrets import REDACTED, SECRET_HEADERS, is_secret_header

__all__ = [
    "REDACTED",
    "SECRET_HEADERS",
    "SECRET_QUERY_PARAMS",
    "VALUE_PATTERNS",
    "is_secret_field",
    "is_secret_header",
    "redact_body",
    "redact_text",
    "secret_values",
]

# Query parameters some gateways accept a key in.
SECRET_QUERY_PARAMS = (
    "api_key",
    "api-key",
    "apikey",
    "key",
    "access_token",
    "token",
    "auth",
    "signature",
    "sig",
)

_SECRET_FIELD = re.compile(
    r"(?:^|_)(?:api_?key|apikey|secret|client_secret|password|passwd|credentials?"
    r"|authorization|cookie|private_key|session_?id)(?:$|_)"
    r"|(?:^|_)(?:access|refresh|auth|id|session|bearer|api|security|csrf|xsrf)_?token$"
)
# A field that says where a credential is (``api_key_env``: a variable's name), not one.
_LOCATION_SUFFIX = re.compile(r"_(?:env|var|variable|name|header|file|path)$")

# Credential-looking values, wherever they appear in a body.
VALUE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("bearer token", re.compile(r"\bBearer\s+(?!<redacted>)[A-Za-z0-9._~+/=-]{8,}")),
    ("sk-/ak- style key", re.compile(r"(?<![A-Za-z0-9])(?:sk|ak|pk|rk)-[A-Za-z0-9_-]{16,}")),
    ("AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b")),
    ("JSON web token", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+")),
)


def is_secret_field(name: str) -> bool:
    """True for a JSON field name that holds a credential (``api_key``, not ``max_tokens``)."""
    lowered = name.lower().replace("-", "_")
    return bool(_SECRET_FIELD.search(lowered)) and not _LOCATION_SUFFIX.search(lowered)


def redact_text(text: str) -> str:
    """``text`` with every credential-looking value replaced by the marker."""
    for _kind, pattern in VALUE_PATTERNS:
        text = pattern.sub(REDACTED, text)
    return text


def secret_values(document: Any) -> Iterator[str]:
    """The string values held under credential field names anywhere in ``document``."""
    if isinstance(document, Mapping):
        for key, value in document.items():
            if is_secret_field(str(key)) and isinstance(value, str) and value != REDACTED:
                yield value
            else:
                yield from secret_values(value)
    elif isinstance(document, list):
        for item in document:
            yield from secret_values(item)


# vcrpy redacts each recorded request when a cassette loads and each sent request
# before matching it: in a replay most bodies are seen twice or more.
@functools.lru_cache(maxsize=4096)
def redact_body(body: bytes) -> bytes:
    """``body`` with credentials replaced, every other byte left as it was.

    The body is edited as text rather than re-encoded, so a JSON or event-stream body
    that holds no credential replays byte for byte (framing faults included).
    """
    if not body:
        return body
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return body
    values: set[str] = set()
    for document in _json_documents(text):
        values.update(v for v in secret_values(document) if v)
    for value in sorted(values, key=len, reverse=True):
        for encoded in {json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}:
            text = text.replace(encoded, REDACTED)
    redacted = redact_text(text)
    return body if redacted == body.decode("utf-8") else redacted.encode("utf-8")


def _json_documents(text: str) -> Iterator[Any]:
    """The whole body as JSON, or each ``data:`` line of an event stream."""
    try:
        yield json.loads(text)
        return
    except ValueError:
        pass
    for line in text.splitlines():
        if line.startswith("data:"):
            try:
                yield json.loads(line[5:])
            except ValueError:
                continue
