"""The compiled contract: what every other layer reads.

A contract file under ``contracts/`` is data. The loader validates it against the
meta-schema, merges it over its parent (``extends``), and compiles it into the frozen
objects below. Nothing outside ``chatconform.contracts`` parses contract files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Strength = Literal["hard", "advice", "open"]
"""``hard``: the page states it (a failure when broken). ``advice``: a range the page
calls 常用 (commonly used). ``open``: a list ending in 等 (and so on): examples only."""

RuleArea = Literal["request", "model", "header", "auth", "error", "response", "stream", "semantic"]


@dataclass(frozen=True)
class Citation:
    """Where a rule is stated: a vendor page (by source id) and field, or ``baseline``."""

    source: str  # "baseline" or a source id declared in the contract, e.g. "anyfast"
    field: str  # the field or section of the page, e.g. "temperature", "思考模式(按模型)"
    quote: str = ""  # the page's own words, verbatim where short

    def __str__(self) -> str:
        return f"{self.source}#{self.field}"


@dataclass(frozen=True)
class Rule:
    """One stated rule. Request rules are derived from the request schema (one per
    constraint keyword of a cited subschema) or declared as cross-field / per-model data;
    every other area is declared as named data in the contract file.

    ``id`` is unique inside a compiled contract and stable across runs, shaped
    ``<area>/<path>/<kind>``: ``request/temperature/maximum``,
    ``request/messages[]/role/enum``, ``request/max_tokens+max_completion_tokens/exclusive``,
    ``model/gpt-4o/thinking_enabled/forbidden``, ``header/X-Request-Id/maxLength``,
    ``stream/done-last``, ``semantic/stop``.
    """

    id: str
    area: RuleArea
    kind: str
    # Dotted request-field path the rule constrains ("temperature", "messages[].role",
    # "stream_options.include_usage"); "" when the rule is not about one field.
    field: str
    params: Mapping[str, Any]
    citation: Citation
    strength: Strength = "hard"
    # Where the rule lives in the compiled contract (JSON pointer into `Contract.document`).
    pointer: str = ""
    origin: str = ""  # contract id that stated it ("baseline" when inherited)
    title: str = ""
    # False: a baseline rule on a field this vendor's page does not document; breaking it
    # is an observation, never a failure.
    documented: bool = True

    @property
    def is_hard(self) -> bool:
        return self.strength == "hard"


@dataclass(frozen=True)
class FieldSpec:
    """One top-level request body field as the contract documents it."""

    name: str
    schema: Mapping[str, Any]  # its compiled JSON Schema (hard constraints only)
    documented: bool  # False: inherited from the baseline but absent from the vendor page
    example: Any = None  # a valid value (used to build minimal valid requests)
    citation: Citation | None = None


@dataclass(frozen=True)
class ModelSet:
    ids: tuple[str, ...]
    closed: bool  # True: the page lists every model; an unlisted one must be rejected
    default: str
    citation: Citation | None = None


@dataclass(frozen=True)
class Source:
    id: str  # "anyfast", "baseline"
    vendor: str
    page: str
    url: str = ""


@dataclass(frozen=True)
class Contract:
    id: str
    title: str
    parent: str | None
    sources: Mapping[str, Source]
    base_url: str
    path: str
    api_key_env: str
    models: ModelSet
    request_schema: Mapping[str, Any]  # draft 2020-12, cross-field rules compiled in
    response_schema: Mapping[str, Any]  # chat.completion
    chunk_schema: Mapping[str, Any]  # chat.completion.chunk
    error_schema: Mapping[str, Any]
    fields: Mapping[str, FieldSpec]
    rules: tuple[Rule, ...]
    semantics: Mapping[str, Mapping[str, Any]]  # semantic name -> params (see docs/contracts.md)
    document: Mapping[str, Any] = field(repr=False, default_factory=dict)  # merged contract

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(f"contract {self.id!r} has no rule {rule_id!r}")

    def rules_in(self, area: RuleArea) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.area == area)

    def has_semantic(self, name: str) -> bool:
        return name in self.semantics

    @property
    def url(self) -> str:
        return self.base_url.rstrip("/") + self.path
