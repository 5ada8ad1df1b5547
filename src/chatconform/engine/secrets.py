"""Which headers carry credentials: one answer for the client, cassettes and reports.

Kept at the bottom of the layering (stdlib only) so that the client that sends a probe,
the recording layer that writes cassettes and the reports that print requests all
recognise the same names and write the same marker.
"""

from __future__ import annotations

import re

REDACTED = "<redacted>"

# Request headers that carry a credential outright.
SECRET_HEADERS = ("authorization", "api-key", "x-api-key", "proxy-authorization", "cookie")

# Header names: any mention of a key, secret, cookie or auth, or "token" not in "tokens"
# (rate-limit headers such as x-ratelimit-remaining-tokens are kept).
_SECRET_HEADER_NAME = re.compile(
    r"key|secret|cookie|authoriz|password|credential|session|signature|token(?!s)|auth-?token"
)
_HARMLESS_HEADERS = frozenset(
    {"www-authenticate", "x-request-id", "x-idempotency-key", "content-length"}
)


def is_secret_header(name: str) -> bool:
    """True for a header name whose value may be a credential."""
    lowered = name.lower()
    if lowered in _HARMLESS_HEADERS:
        return False
    return lowered in SECRET_HEADERS or bool(_SECRET_HEADER_NAME.search(lowered))
