"""Failed rules and observations of one run, each tied to where it is stated.

A failure in ``summary.json`` names a rule id and the check that found it; a reader of
an evaluation needs the vendor, page, field and the page's own words, and one entry per
broken rule rather than one per probe. Observations are folded the same way and given
a kind (undocumented parameter accepted, extra response fields, 422 instead of 400...)
so they read as what they are: facts about a provider, never failures.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from chatconform.contracts.model import Contract

__all__ = [
    "FailedRule",
    "ObservationGroup",
    "citations",
    "failed_rules",
    "observation_groups",
    "request_text",
    "response_text",
]


@dataclass
class FailedRule:
    """One rule one check found broken, with the smallest request that shows it."""

    area: str
    rule: str
    check: str
    citations: list[dict[str, str]]  # vendor, page, field, quote, source
    message: str
    request: dict[str, Any]
    response: dict[str, Any]
    probes: list[str] = field(default_factory=list)


@dataclass
class ObservationGroup:
    """Something a provider does that breaks no stated rule, seen on one or more probes."""

    kind: str
    message: str
    rule: str
    probes: list[str] = field(default_factory=list)


def failed_rules(
    provider: str, failures: Sequence[Any], areas: Mapping[str, str]
) -> list[FailedRule]:
    """One entry per (area, rule, check), keeping the failure with the smallest request."""
    found: dict[tuple[str, str, str], FailedRule] = {}
    for failure in failures:
        if not isinstance(failure, dict):
            continue
        probe = str(failure.get("probe") or "")
        rule, check = str(failure.get("rule") or ""), str(failure.get("check") or "")
        key = (areas.get(probe, "other"), rule, check)
        request = _dict(failure.get("request"))
        entry = found.get(key)
        if entry is None or _size(request) < _size(entry.request):
            probes = entry.probes if entry else []
            entry = found[key] = FailedRule(
                area=key[0],
                rule=rule,
                check=check,
                citations=citations(provider, rule, str(failure.get("citation") or "")),
                message=str(failure.get("message") or ""),
                request=request,
                response=_dict(failure.get("response_excerpt")),
                probes=probes,
            )
        entry.probes.append(probe)
    return sorted(found.values(), key=lambda f: (f.area, f.rule, f.check))


def citations(provider: str, rule_ids: str, fallback: str) -> list[dict[str, str]]:
    """Vendor, page, field and quote of each rule (a check may name several, comma-joined)."""
    contract = _contract(provider)
    ids = [r for r in rule_ids.split(",") if r]
    cited = [c for c in (_cite(contract, r) for r in ids) if c] if contract is not None else []
    # A run of a contract this installation does not have: the run's own words.
    return cited or [{"rule": rule_ids, "vendor": "", "page": fallback, "field": "", "quote": ""}]


def _cite(contract: Contract, rule_id: str) -> dict[str, str] | None:
    try:
        rule = contract.rule(rule_id)
    except KeyError:
        return None
    source = contract.sources.get(rule.citation.source)
    return {
        "rule": rule_id,
        "vendor": source.vendor if source else rule.citation.source,
        "page": source.page if source else "",
        "field": rule.citation.field,
        "quote": rule.citation.quote,
    }


def observation_groups(provider: str, notes: Any) -> list[ObservationGroup]:
    """Observations with the same kind and message folded together, probes listed."""
    groups: dict[tuple[str, str], ObservationGroup] = {}
    for note in notes if isinstance(notes, list) else []:
        if not isinstance(note, dict):
            continue
        message, rule = str(note.get("message") or ""), str(note.get("rule") or "")
        kind = _kind(provider, note, message, rule)
        # Measured values (a first byte after 0.004 s) would make every note its own group.
        template = _NUMBER.sub("…", message)
        group = groups.setdefault((kind, template), ObservationGroup(kind, message, rule))
        if group.message != message:
            group.message = template
        group.probes.append(str(note.get("probe") or ""))
    return sorted(groups.values(), key=lambda g: (g.kind, g.message))


def _kind(provider: str, note: dict[str, Any], message: str, rule: str) -> str:
    if note.get("soft"):
        contract = _contract(provider)
        try:
            found = contract.rule(rule) if contract else None
        except KeyError:
            found = None
        if found is not None and not found.documented:
            return "undocumented parameter accepted"
        if found is not None and found.strength == "advice":
            return "advisory range not enforced"
        if found is not None and found.strength == "open":
            return "value outside an open list accepted"
        return "soft rule not enforced"
    if "answered 422" in message:
        return "422 instead of 400"
    check = str(note.get("check") or "")
    return _KINDS.get(check, check.replace("_", " ") or "note")


_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_KINDS = {
    "vendor_extras_typed": "extra response fields",
    "stream_chunk_schema": "extra chunk fields",
    "response_model": "model name differs from the request",
    "request_id_header_enforced": "request header",
    "stream_framing": "stream framing",
    "stream_done_last": "bytes after [DONE]",
    "stream_concat_content": "empty streamed content",
    "logprobs_present_and_shaped": "logprobs tokens differ from the content",
    "finish_reason_tool_calls": "tool_calls finish without tool calls",
    "reasoning_absent_when_off": "reasoning while thinking is off",
    "stop_sequence_honoured": "content ends with part of a stop sequence",
}


@lru_cache(maxsize=32)
def _contract(provider: str) -> Contract | None:
    from chatconform.contracts import load_contract

    try:
        return load_contract(provider)
    except Exception:  # an unknown or broken contract: citations fall back to the run's text
        return None


def _size(request: Mapping[str, Any]) -> int:
    return len(str(request.get("body") or "")) + len(str(request.get("url") or ""))


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


# Headers every client sends: noise in a reproduction, so left out of it.
_NOISE_HEADERS = frozenset(
    ("host", "accept", "accept-encoding", "connection", "user-agent", "content-length")
)
REQUEST_LIMIT = 3000
RESPONSE_LIMIT = 1200


def request_text(request: Mapping[str, Any]) -> str:
    """The request as an HTTP message a person can replay (credentials already redacted)."""
    lines = [f"{request.get('method') or 'POST'} {request.get('url') or ''}".rstrip()]
    headers = _dict(request.get("headers"))
    lines += [f"{k}: {v}" for k, v in headers.items() if k.lower() not in _NOISE_HEADERS]
    body = _pretty(str(request.get("body") or ""), REQUEST_LIMIT)
    return "\n".join(lines) + (f"\n\n{body}" if body else "")


def response_text(response: Mapping[str, Any]) -> str:
    """The response excerpt as status line, content type and (pretty) body."""
    if response.get("transport_error"):
        return f"no response: {response['transport_error']}"
    head = f"HTTP {response.get('status', '?')} {response.get('content_type') or ''}".rstrip()
    body = _pretty(str(response.get("body") or ""), RESPONSE_LIMIT)
    return head + (f"\n\n{body}" if body else "")


def _pretty(body: str, limit: int) -> str:
    try:
        text = json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        text = body
    return text if len(text) <= limit else text[:limit] + "\n… (cut)"
