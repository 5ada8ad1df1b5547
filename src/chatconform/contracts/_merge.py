"""Inheritance: a contract file is merged over its parent, never copied from it.

Maps merge as a JSON Merge Patch (RFC 7396: objects merge key by key, ``null`` deletes a
key, anything else replaces), so a vendor restates only what its page says. Lists of
named rules merge by id, so a vendor can replace one inherited rule without restating
the others. ``documented`` is never inherited: it is what this page documents.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

Doc = dict[str, Any]

# Keys that describe the file itself, not its rules: the child's value or nothing.
_OWN_KEYS = ("$schema", "$id", "$comment", "id", "extends", "title")


def merge_patch(target: Any, patch: Any) -> Any:
    """``target`` with ``patch`` applied as an RFC 7396 merge patch (inputs untouched)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result: Doc = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def cross_field_key(entry: Doc) -> str:
    """The identity of a cross-field rule: its explicit id, else one built from its data."""
    if "id" in entry:
        return str(entry["id"])
    kind = entry.get("kind", "")
    if kind == "exclusive":
        return f"request/{'+'.join(entry.get('fields', []))}/exclusive"
    if kind == "requires":
        return f"request/{entry.get('field', '')}/requires"
    if kind == "required_if":
        names = "+".join(entry.get("then_required", []))
        return f"request/{entry.get('where', '')}.{names}/required_if"
    return f"request/{entry.get('where', '')}.{entry.get('field', '')}/{kind}"


def per_model_key(entry: Doc) -> str:
    return f"{entry.get('kind')}:{entry.get('field')}:{','.join(entry.get('models', []))}"


def _merge_by(parent: list[Doc], child: list[Doc], key: Callable[[Doc], str]) -> list[Doc]:
    merged = {key(e): copy.deepcopy(e) for e in parent}
    for entry in child:
        merged[key(entry)] = copy.deepcopy(entry)
    return list(merged.values())


def merge(parent: Doc, child: Doc) -> Doc:
    """The child contract file merged over its (already merged) parent document."""
    result: Doc = {k: v for k, v in copy.deepcopy(parent).items() if k not in _OWN_KEYS}
    result["abstract"] = bool(child.get("abstract", False))
    for key, value in child.items():
        if key in _OWN_KEYS:
            result[key] = copy.deepcopy(value)
        elif key == "headers":
            result[key] = _merge_by(result.get(key, []), value, lambda h: str(h["name"]))
        elif key == "behaviour":
            result[key] = _merge_by(result.get(key, []), value, lambda b: str(b["id"]))
        elif key == "request":
            result[key] = _merge_request(result.get(key, {}), value)
        elif key != "abstract":
            result[key] = merge_patch(result.get(key), value)
    if "documented" not in child.get("request", {}):
        result.setdefault("request", {})["documented"] = []
    return result


def _merge_request(parent: Doc, child: Doc) -> Doc:
    result = copy.deepcopy(parent)
    for key, value in child.items():
        if key == "cross_field":
            result[key] = _merge_by(result.get(key, []), value, cross_field_key)
        elif key == "per_model":
            result[key] = _merge_by(result.get(key, []), value, per_model_key)
        elif key in ("documented", "required"):
            result[key] = copy.deepcopy(value)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result
