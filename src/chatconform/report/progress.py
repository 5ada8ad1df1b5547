"""Terminal progress: one line per area as it starts, with what the run has spent so far.

A live run costs money, so the spend is shown while it grows, not only at the end.
Lines are written from pytest's reporting hooks (outside output capture) through the
terminal reporter, and nothing is written under ``-q``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from chatconform.engine.runner import Budget


class _Writer(Protocol):
    def write_line(self, line: str, **markup: bool) -> None: ...

    def write_sep(self, sep: str, title: str | None = None, **markup: bool) -> None: ...


class Progress:
    """Prints the area lines and the closing spend lines; silent without a writer.

    The writer is looked up when first needed: pytest's terminal reporter is registered
    after the plugin configures itself.
    """

    def __init__(self, writer: Callable[[], _Writer | None]) -> None:
        self._get_writer = writer
        self._started: set[tuple[str, str]] = set()

    @property
    def _writer(self) -> _Writer | None:
        return self._get_writer()

    def item_starting(self, provider: str, area: str, probes: int, budget: Budget) -> None:
        """Called before each item; prints a line the first time an area starts."""
        if self._writer is None or (provider, area) in self._started:
            return
        self._started.add((provider, area))
        self._writer.write_line(
            f"chatconform {provider} · {area} ({probes} probe{'s' * (probes != 1)}) · "
            f"{spend(budget)}",
            cyan=True,
        )

    def finished(self, lines: list[tuple[str, Budget, int]], run_dir: Path | None) -> None:
        """The spend per provider (and how many probes the budget kept unsent)."""
        if self._writer is None:
            return
        self._writer.write_sep("-", "chatconform")
        for provider, budget, unsent in lines:
            note = f" · {unsent} probes not sent: budget spent" if unsent else ""
            self._writer.write_line(f"{provider}: {spend(budget)}{note}")
        if run_dir is not None:
            self._writer.write_line(f"reports: {run_dir}")


def spend(budget: Budget) -> str:
    return (
        f"requests {budget.requests}/{budget.max_requests} · "
        f"completion tokens {budget.completion_tokens}/{budget.max_completion_tokens}"
    )
