"""Rule registration for the compiler: ids, citations and origins.

A rule inherited unchanged keeps the citation and origin its parent gave it; a rule this
file states (its pointer, or its citation, is in this file's own text) is cited from
here. That is what lets a report say "baseline" or "anyfast" for each rule truthfully.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chatconform.contracts import _derive
from chatconform.contracts._schemas import title_of
from chatconform.contracts.model import Citation, Contract, Rule, RuleArea, Strength


class RuleBook:
    """The merged document, this file's own text, the parent, and the rules so far."""

    def __init__(self, merged: dict[str, Any], own: Mapping[str, Any], parent: Contract | None):
        self.doc = merged
        self.own = own
        self.parent = parent
        self.id = str(merged["id"])
        self.rules: dict[str, Rule] = {}
        self.inherited = {r.id: r for r in parent.rules} if parent else {}

    # -- citations and origins ---------------------------------------------------------
    def _cite(self, ptr: str) -> Citation:
        direct = _derive.resolve(self.doc, ptr) if _derive.exists(self.doc, ptr) else None
        if isinstance(direct, Mapping) and "source" in direct and "quote" in direct:
            raw: Mapping[str, Any] = direct  # ptr names the citation itself
        else:
            raw = (
                _derive.nearest(self.doc, ptr, "x-cite")
                or _derive.nearest(self.doc, ptr, "cite")
                or {}
            )
        return Citation(
            str(raw.get("source", "baseline")), str(raw.get("field", "")), str(raw.get("quote", ""))
        )

    def _stated_here(self, ptr: str, cite_ptr: str | None) -> bool:
        return _derive.exists(self.own, ptr) or (
            cite_ptr is not None and _derive.exists(self.own, cite_ptr)
        )

    def _add(
        self,
        rule_id: str,
        area: RuleArea,
        kind: str,
        field: str,
        params: Mapping[str, Any],
        ptr: str,
        strength: Strength = "hard",
        documented: bool = True,
        title: str = "",
        cite_ptr: str | None = None,
        stated: bool | None = None,
    ) -> None:
        """Register a rule; a rule this file does not state keeps its parent's citation.

        ``stated`` is given for list entries, whose index in the merged document is not
        their index in this file."""
        inherited = self.inherited.get(rule_id)
        here = self._stated_here(ptr, cite_ptr) if stated is None else stated
        if here or inherited is None:
            citation, origin = self._cite(cite_ptr or ptr), self.id
        else:
            citation, origin = inherited.citation, inherited.origin
        if rule_id in self.rules:
            raise ValueError(
                f"two rules with the id {rule_id!r} ({self.rules[rule_id].pointer} and {ptr})"
            )
        self.rules[rule_id] = Rule(
            id=rule_id,
            area=area,
            kind=kind,
            field=field,
            params=dict(params),
            citation=citation,
            strength=strength,
            pointer=ptr,
            origin=origin,
            title=title or title_of(field, kind, params),
            documented=documented,
        )

    def _add_found(self, found: _derive.Found, documented: bool) -> None:
        params = {found.keyword: found.value}
        self._add(found.rule_id, "request", found.keyword, found.path, params, found.pointer,
                  found.strength, documented)  # fmt: skip
