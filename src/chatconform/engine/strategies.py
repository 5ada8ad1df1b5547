"""Request generation from a compiled contract: hypothesis strategies and a seeded twin.

One body of generation logic serves two sources of choices. Under hypothesis
(:func:`valid_requests`, :func:`invalid_requests`) every choice is a draw, so failures
shrink: optional fields drop out, values move to their first option, a broken bound moves
back to the bound. The planner needs the same requests reproducibly across runs and
hypothesis versions (cassettes key on bodies), so :func:`seeded_valid` and
:func:`seeded_invalid` make the same choices from a seeded ``random.Random``.

hypothesis-jsonschema is not used: it fails with current hypothesis and ignores
``dependentRequired`` (see the library notes). Validity is not left to a generic schema
walk either: every drawn body is checked against the contract's own request validator and
repaired toward the minimal request, so a "valid" draw is valid by construction.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from hypothesis import strategies as st
from jsonschema import ValidationError

from chatconform.contracts.model import Contract, Rule
from chatconform.engine import _generate as gen

T = TypeVar("T")


class Chooser(Protocol):
    """Where generation gets its choices; the first option is the simplest."""

    def integer(self, lo: int, hi: int) -> int: ...

    def number(self, lo: float, hi: float) -> float: ...

    def boolean(self) -> bool: ...

    def pick(self, options: Sequence[T]) -> T: ...


class RandomChooser:
    """Choices from a seeded ``random.Random``: reproducible across runs and versions."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def integer(self, lo: int, hi: int) -> int:
        return self._rng.randint(lo, hi)

    def number(self, lo: float, hi: float) -> float:
        return self._rng.uniform(lo, hi)

    def boolean(self) -> bool:
        return self._rng.random() < 0.5

    def pick(self, options: Sequence[T]) -> T:
        return options[self._rng.randrange(len(options))]


class DrawChooser:
    """Choices drawn from hypothesis, so a failing request shrinks to a minimal one."""

    def __init__(self, draw: Callable[[st.SearchStrategy[Any]], Any]) -> None:
        self._draw = draw

    def integer(self, lo: int, hi: int) -> int:
        value: int = self._draw(st.integers(lo, hi))
        return value

    def number(self, lo: float, hi: float) -> float:
        value: float = self._draw(st.floats(lo, hi, allow_nan=False, allow_infinity=False))
        return value

    def boolean(self) -> bool:
        value: bool = self._draw(st.booleans())
        return value

    def pick(self, options: Sequence[T]) -> T:
        value: T = self._draw(st.sampled_from(options))
        return value


# -- hypothesis ---------------------------------------------------------------------------


def valid_requests(contract: Contract, model: str) -> st.SearchStrategy[dict[str, Any]]:
    """Bodies that satisfy every rule of ``contract`` for ``model``: documented fields only,
    values inside hard (and advised) bounds, a tiny output bound always set."""

    @st.composite
    def strategy(draw: Callable[[st.SearchStrategy[Any]], Any]) -> dict[str, Any]:
        return gen.valid_body(contract, model, DrawChooser(draw))

    return strategy()


def invalid_requests(
    contract: Contract, model: str
) -> st.SearchStrategy[tuple[Rule, dict[str, Any]]]:
    """A valid body with exactly one hard rule broken, and that rule.

    Shrinks toward the contract's own minimal violation of the rule: no extra fields,
    the broken value at its closest to the bound.
    """
    rules = breakable_rules(contract, model)
    if not rules:
        return st.nothing()

    @st.composite
    def strategy(draw: Callable[[st.SearchStrategy[Any]], Any]) -> tuple[Rule, dict[str, Any]]:
        return invalid_body(contract, model, DrawChooser(draw), rules)

    return strategy()


# -- seeded -------------------------------------------------------------------------------


def _rng(contract: Contract, model: str, seed: int, kind: str) -> random.Random:
    # A string seed is hashed with SHA-512 by random.Random: stable across processes.
    return random.Random(f"{seed}:{contract.id}:{model}:{kind}")


def seeded_valid(contract: Contract, model: str, count: int, *, seed: int) -> list[dict[str, Any]]:
    """``count`` valid bodies, the same ones for the same arguments, distinct where possible."""
    chooser = RandomChooser(_rng(contract, model, seed, "valid"))
    return _distinct(lambda: gen.valid_body(contract, model, chooser), count)


def seeded_invalid(
    contract: Contract, model: str, count: int, *, seed: int
) -> list[tuple[Rule, dict[str, Any]]]:
    """``count`` bodies each breaking one hard rule, spread over the rules in turn."""
    rules = breakable_rules(contract, model)
    if not rules or count <= 0:
        return []
    chooser = RandomChooser(_rng(contract, model, seed, "invalid"))
    # A seeded shuffle then a walk spreads a small budget over many rules evenly.
    order = list(rules)
    random.Random(f"{seed}:{contract.id}:{model}:order").shuffle(order)
    out: list[tuple[Rule, dict[str, Any]]] = []
    for i in range(count):
        rule = order[i % len(order)]
        out.append(invalid_body(contract, model, chooser, [rule]))
    return out


def _distinct(make: Callable[[], dict[str, Any]], count: int) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    for _ in range(count * 4):
        if len(seen) == count:
            break
        body = make()
        if body not in seen:
            seen.append(body)
    distinct = len(seen)
    while len(seen) < count and distinct:  # a contract with few fields repeats bodies
        seen.append(copy.deepcopy(seen[len(seen) % distinct]))
    return seen


# -- invalid: one rule broken ---------------------------------------------------------------

Signature = frozenset[tuple[str, str, str]]


def signature(contract: Contract, body: Any) -> Signature:
    """What the request validator objects to, independent of list positions and values.

    A body breaks the same rule as the contract's own violation exactly when it draws the
    same objections (field path, keyword, schema location): that is how a moved value or
    an added field is checked not to break a second rule.
    """
    return frozenset(
        (_path(e.absolute_path), str(e.validator), _path(e.relative_schema_path))
        for e in gen.request_errors(contract, body)
    )


_CROSS_FIELD = frozenset({"exclusive", "requires", "required_if", "only_if"})


def explains(rule: Rule, error: ValidationError) -> bool:
    """Whether the request validator's ``error`` is the objection ``rule`` states.

    Keyword rules match on field path and keyword, looking into anyOf/oneOf branches
    (where the objection to a nested field sits); cross-field and per-model rules are
    compiled into ``allOf`` if/then and match there.
    """
    if rule.kind in _CROSS_FIELD or rule.area == "model":
        return "allOf" in error.absolute_schema_path and _cross_field_at(rule, error)
    if any(explains(rule, sub) for sub in error.context or ()):
        return True
    path = _dotted(error.absolute_path)
    if rule.kind == "required":
        parent, _, name = rule.field.rpartition(".")
        return error.validator == "required" and path == parent and repr(name) in error.message
    return path == rule.field and error.validator == rule.kind


def _cross_field_at(rule: Rule, error: ValidationError) -> bool:
    path, body, p = _dotted(error.absolute_path), error.instance, rule.params
    at_root = path == "" and isinstance(body, Mapping)
    if rule.kind == "exclusive":
        return at_root and all(f in body for f in p.get("fields", ()))
    if rule.kind == "requires":
        return (at_root and p.get("field") in body) or path in p.get("needs", {})
    if rule.area == "model":
        return (at_root and rule.field in body) or path == rule.field
    where = str(p.get("where", ""))  # required_if / only_if: inside one item of a list
    return bool(where) and path.startswith(where)


def rules_broken(contract: Contract, body: Any) -> list[Rule]:
    """The request rules of ``contract`` that ``body`` breaks, as the validator sees it."""
    found = gen.request_errors(contract, body)
    rules = [r for r in contract.rules if r.area in ("request", "model") and r.is_hard]
    return [r for r in rules if any(explains(r, e) for e in found)]


def _dotted(parts: Any) -> str:
    out = ""
    for part in parts:
        out += "[]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


def _path(parts: Any) -> str:
    return "/".join("[]" if isinstance(p, int) else str(p) for p in parts)


def _templates(contract: Contract, model: str) -> dict[str, list[tuple[dict[str, Any], Signature]]]:
    def make() -> dict[str, list[tuple[dict[str, Any], Signature]]]:
        from chatconform.contracts.violations import violations

        out: dict[str, list[tuple[dict[str, Any], Signature]]] = {}
        for v in violations(contract, model):
            if not (v.rule.is_hard and v.documented) or v.headers or not isinstance(v.body, dict):
                continue
            found = gen.request_errors(contract, v.body)
            if not found or not all(explains(v.rule, e) for e in found):
                continue  # invisible to the request schema, or breaking a second rule too
            sig = signature(contract, v.body)
            body = gen.cheap(contract, v.body)
            if signature(contract, body) != sig:
                body = copy.deepcopy(v.body)
            out.setdefault(v.rule.id, []).append((body, sig))
        return out

    templates: dict[str, list[tuple[dict[str, Any], Signature]]] = gen.cached(
        contract, model, "templates", make
    )
    return templates


def breakable_rules(contract: Contract, model: str) -> list[Rule]:
    """The hard, documented rules a generated invalid request can break for ``model``."""
    templates = _templates(contract, model)
    return [r for r in contract.rules if r.id in templates]


def invalid_body(
    contract: Contract, model: str, c: Chooser, rules: Sequence[Rule]
) -> tuple[Rule, dict[str, Any]]:
    rule = c.pick(rules)
    template, sig = c.pick(_templates(contract, model)[rule.id])
    body = copy.deepcopy(template)
    name = rule.field if rule.field in body else ""
    if name:
        moved = _move(rule.kind, body[name], c)
        if moved is not _KEEP and signature(contract, {**body, name: moved}) == sig:
            body[name] = moved
    extras = gen.valid_body(contract, model, c)
    related = _related(rule) | set(body) | gen.FIXED
    for group in _groups(extras):
        # JSON mode rewrites the prompt; a rejection must not be about that instead.
        json_mode = "response_format" in group and gen.wants_json(extras["response_format"])
        if group & related or json_mode or not c.boolean():
            continue
        trial = {**body, **{k: extras[k] for k in group}}
        if signature(contract, trial) == sig:
            body = trial
    return rule, body


_KEEP = object()
_WRONG_TYPES: tuple[Any, ...] = ("1", 1, 1.5, True, [], {}, None)


def _move(kind: str, value: Any, c: Chooser) -> Any:
    """``value`` moved further past the bound it breaks (first option: not moved)."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if number and kind in ("maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum"):
        step: float = c.integer(0, 1000) if isinstance(value, int) else round(c.number(0, 10), 2)
        return value + step if kind.endswith("aximum") else value - step
    if kind == "maxItems" and isinstance(value, list) and value:
        return value + [copy.deepcopy(value[-1]) for _ in range(c.integer(0, 3))]
    if kind == "maxLength" and isinstance(value, str):
        return value + "x" * c.integer(0, 64)
    if kind == "enum" and isinstance(value, str):
        return c.pick((value, "not-a-documented-value", value.upper() + "-X", "INVALID"))
    if kind == "type":
        return c.pick((value, *[w for w in _WRONG_TYPES if type(w) is not type(value)]))
    return _KEEP


def _related(rule: Rule) -> set[str]:
    p = rule.params
    names = {rule.field.split(".")[0].split("[")[0], str(p.get("field", ""))}
    names |= set(p.get("fields", ())) | set(p.get("needs", {}))
    return names - {""}


def _groups(extras: Mapping[str, Any]) -> list[frozenset[str]]:
    """The extra fields of a valid draw, grouped so coupled fields travel together."""
    out: list[frozenset[str]] = []
    seen: set[str] = set()
    for name in sorted(extras):
        if name in seen or name in gen.FIXED:
            continue
        group = next((g & set(extras) for g in gen.GROUPS if name in g), frozenset({name}))
        seen |= group
        out.append(frozenset(group))
    return out


__all__ = [
    "Chooser",
    "DrawChooser",
    "RandomChooser",
    "breakable_rules",
    "explains",
    "invalid_requests",
    "rules_broken",
    "seeded_invalid",
    "seeded_valid",
    "valid_requests",
]
