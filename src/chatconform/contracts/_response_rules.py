"""Rules from the response schemas: one per constraint keyword, as for requests.

The response checks name the exact field and keyword an answer breaks
(``response/created/maximum``, ``response/choices[].message.role/const``) and the fault
catalogue breaks them one at a time. Those names are worth something only if the
contract holds a cited rule under each, so the completion schema gives
``response/<path>/<keyword>`` rules and the chunk schema ``stream/chunk/<path>/<keyword>``
rules. The walk follows ``$ref`` into the ``$defs`` (and vendor ``extras``) that state a
constraint, so each rule points at the place a person edits, not at an inlined copy.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import Any

from chatconform.contracts._derive import RULE_KEYWORDS, Found, join, nearest
from chatconform.contracts._rulebook import RuleBook
from chatconform.contracts._schemas import response_view, title_of
from chatconform.contracts.errors import pointer
from chatconform.contracts.model import RuleArea

# Compiled schema name -> rule id prefix (the area is its first segment).
PREFIXES = {"completion": "response", "chunk": "stream/chunk"}
_DEFS = "#/response/$defs/"
_UNIONS = ("anyOf", "oneOf")
_MAX_DEPTH = 24  # a $ref cycle in a contract must end the walk, not hang the loader


def register(book: RuleBook, semantics: Collection[str]) -> None:
    """Add the response and chunk rules of ``book``'s contract (its semantics decide which
    ``x-semantic`` properties it states)."""
    response, origins = response_view(book.doc.get("response", {}), semantics)
    for name, prefix in PREFIXES.items():
        area: RuleArea = "response" if prefix == "response" else "stream"
        label = "" if area == "response" else "chunk "
        for found in walk(response, origins, name):
            rid = rule_id(prefix, found)
            if rid in book.rules:  # two union branches stating the same keyword
                continue
            # A constraint without its own x-cite is cited by its schema's (the baseline
            # section on non-streamed or streamed responses).
            cited = nearest(book.doc, found.pointer, "x-cite") is not None
            params = {found.keyword: found.value}
            book._add(
                rid,
                area,
                found.keyword,
                found.path,
                params,
                found.pointer,
                found.strength,
                title=label + title_of(found.path or "body", found.keyword, params),
                cite_ptr=None if cited else f"/response/{name}/x-cite",
            )


def rule_id(prefix: str, found: Found) -> str:
    """``response/choices[].index/minimum``; a keyword of the body itself (its ``type``)
    is ``response/type``."""
    return f"{prefix}/{found.path}/{found.keyword}" if found.path else f"{prefix}/{found.keyword}"


def walk(
    response: Mapping[str, Any], origins: Mapping[tuple[str, str], str], name: str
) -> Iterator[Found]:
    """Every constraint of the ``name`` schema (``completion``, ``chunk``) in the response
    section ``response`` (extras merged, see ``_schemas.response_view``)."""
    yield from _walk(response, origins, response.get(name), "", f"/response/{name}", None, False, 0)


def _walk(
    response: Mapping[str, Any],
    origins: Mapping[tuple[str, str], str],
    node: Any,
    path: str,
    ptr: str,
    location: str | None,  # the $defs entry ``node`` is, where extras may have added to it
    in_union: bool,
    depth: int,
) -> Iterator[Found]:
    if not isinstance(node, Mapping) or depth > _MAX_DEPTH:
        return
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith(_DEFS):
        target = ref[len(_DEFS) :].replace("~1", "/").replace("~0", "~")
        defs = response.get("$defs", {})
        yield from _walk(
            response,
            origins,
            defs.get(target),
            path,
            "/response/$defs" + pointer(target),
            target,
            in_union,
            depth + 1,
        )
    implied = "enum" in node or "const" in node
    for keyword in RULE_KEYWORDS:
        if keyword not in node or (keyword == "type" and (implied or in_union)):
            continue  # enum/const fix the type; a branch's type only picks the branch
        yield Found(path, keyword, node[keyword], f"{ptr}/{keyword}", "hard")
    for index, prop in enumerate(node.get("required", [])):
        yield Found(join(path, prop), "required", prop, f"{ptr}/required/{index}", "hard")
    for prop, sub in node.get("properties", {}).items():
        here = origins.get((location, prop)) if location else None
        sub_ptr = here or f"{ptr}/properties{pointer(prop)}"
        yield from _walk(response, origins, sub, join(path, prop), sub_ptr, None, False, depth + 1)
    if "items" in node:
        yield from _walk(
            response, origins, node["items"], f"{path}[]", f"{ptr}/items", None, False, depth + 1
        )
    for key in _UNIONS:
        for index, branch in enumerate(node.get(key, [])):
            yield from _walk(
                response, origins, branch, path, f"{ptr}/{key}/{index}", None, True, depth + 1
            )
