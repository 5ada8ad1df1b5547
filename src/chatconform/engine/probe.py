"""A probe is one request the engine sends, with what the contract expects of it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from chatconform.contracts.model import Rule

Expect = Literal["accept", "reject", "auth-reject", "any"]
AuthMode = Literal["default", "none", "wrong"]


@dataclass(frozen=True)
class RequestSpec:
    """What to send. ``body`` is JSON-encoded (sorted keys, compact) unless ``raw_body``."""

    body: Any = None
    raw_body: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    auth: AuthMode = "default"
    method: str = "POST"
    path: str | None = None  # None: the contract's chat-completions path

    @property
    def stream(self) -> bool:
        return isinstance(self.body, Mapping) and self.body.get("stream") is True


@dataclass(frozen=True)
class Probe:
    """One request and the contract's expectation of its answer.

    ``id`` is stable across runs (cassettes and reports key on it), shaped
    ``<area>/<what>``, e.g. ``negative/request/temperature/maximum/above``.
    """

    id: str
    area: str  # "negative", "positive", "response", "streaming", "semantics", "tools",
    #            "logprobs", "reasoning", "auth", "errors", "headers", "generated"
    title: str
    request: RequestSpec
    expect: Expect = "accept"
    rule: Rule | None = None  # the rule this probe breaks (reject) or exercises (accept)
    # Hints for the checks, e.g. {"tool": "get_weather"}, {"stop": ["x"]}; never secrets.
    params: Mapping[str, Any] = field(default_factory=dict)
    # False: the rule broken is a baseline rule on a field the vendor does not document;
    # a provider accepting it is an observation, not a failure.
    documented: bool = True
    # Probes in the same group with repeat=True are compared (e.g. seed repeats output).
    group: str = ""
