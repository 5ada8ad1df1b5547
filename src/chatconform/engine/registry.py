"""The check registry: a decorator that registers a function under its name.

Suites iterate the registry; adding a check never means editing a suite.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from chatconform.contracts.model import Contract, Rule
from chatconform.engine.exchange import Exchange


@dataclass
class CheckContext:
    """What a check may read besides the exchange, and where it notes observations."""

    contract: Contract
    observations: list[dict[str, Any]] = field(default_factory=list)

    def observe(self, message: str, **data: Any) -> None:
        """Record something worth reporting that breaks no stated rule."""
        self.observations.append({"message": message, **data})


CheckFn = Callable[[CheckContext, Exchange], None]
Applies = Callable[[CheckContext, Exchange], bool]


@dataclass(frozen=True)
class Check:
    name: str
    area: str
    fn: CheckFn
    applies: Applies
    enforces: tuple[str, ...]  # rule-id globs, e.g. ("stream/done-last",), ("request/*",)
    citation: str  # human-readable: "baseline: Streamed response" or "trinitydesk#stop"
    doc: str

    def covers(self, rule: Rule) -> bool:
        return any(fnmatchcase(rule.id, pattern) for pattern in self.enforces)


_REGISTRY: dict[str, Check] = {}


def check(
    *,
    area: str,
    enforces: tuple[str, ...],
    citation: str,
    applies: Applies,
) -> Callable[[CheckFn], CheckFn]:
    """Register ``fn`` as a check named after it; a duplicate name is an error."""

    def register(fn: CheckFn) -> CheckFn:
        name = fn.__name__
        known = _REGISTRY.get(name)
        # Re-importing the same module (pytester drops and re-imports modules) registers
        # the same function again: that replaces it. Another function with the name is an error.
        if known is not None and (known.fn.__module__, known.fn.__qualname__) != (
            fn.__module__,
            fn.__qualname__,
        ):
            raise ValueError(f"check {name!r} is registered twice")
        _REGISTRY[name] = Check(
            name=name,
            area=area,
            fn=fn,
            applies=applies,
            enforces=enforces,
            citation=citation,
            doc=(fn.__doc__ or "").strip().splitlines()[0] if fn.__doc__ else "",
        )
        return fn

    return register


def all_checks() -> Iterator[Check]:
    """Every registered check, importing the built-in ones first."""
    import chatconform.checks  # noqa: F401  (registers on import)

    yield from _REGISTRY.values()


def get_check(name: str) -> Check:
    for c in all_checks():
        if c.name == name:
            return c
    raise KeyError(f"unknown check {name!r}; known: {', '.join(sorted(_REGISTRY))}")
