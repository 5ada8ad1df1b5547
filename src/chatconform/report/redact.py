"""Keep credentials out of everything a run writes.

The client already redacts credential headers; this is the second line: any string
that reaches a report, an attachment or the terminal is scrubbed of the configured
keys, so a provider that echoes a key back in an error body cannot leak it either.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chatconform.engine.client import REDACTED


class Scrubber:
    """Replaces every configured secret by ``<redacted>`` in strings and JSON-like data."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        # Longest first, so a key that contains another is replaced whole.
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def add(self, secret: str | None) -> None:
        if secret and secret not in self._secrets:
            self._secrets = sorted([*self._secrets, secret], key=len, reverse=True)

    def text(self, value: str) -> str:
        for secret in self._secrets:
            value = value.replace(secret, REDACTED)
        return value

    def data(self, value: Any) -> Any:
        """A copy of ``value`` (dicts, lists, strings) with every secret replaced."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(str(k)): self.data(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.data(v) for v in value]
        return value
