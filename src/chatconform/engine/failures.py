"""What a check raises: a failure with Received/Expected, or a skip with a reason."""

from __future__ import annotations

from typing import Any


class CheckFailed(AssertionError):
    """The exchange breaks the rule the check enforces."""

    def __init__(self, title: str, *, received: Any, expected: Any, rule: str = "") -> None:
        self.title = title
        self.received = received
        self.expected = expected
        self.rule = rule  # rule id when the check enforces several
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return f"{self.title}\n  Received: {_short(self.received)}\n  Expected: {self.expected}"


class CheckSkipped(Exception):
    """The check applies but cannot decide here (e.g. the model did not reach the bound)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def _short(value: Any, limit: int = 300) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
