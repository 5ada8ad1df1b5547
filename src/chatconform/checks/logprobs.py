"""Checks of the logprobs area: ``logprobs`` and ``top_logprobs``.

Gateways often pass ``logprobs: true`` through to a backend that drops it, or return
the legacy completions shape (``tokens`` / ``token_logprobs``) instead of the chat one.
Either way the client asked for per-token probabilities and got none it can read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chatconform.checks._effects import cited, content_of, int_of, semantic_applies
from chatconform.engine.exchange import Exchange
from chatconform.engine.failures import CheckFailed, CheckSkipped
from chatconform.engine.message import assembled_choices, request_body
from chatconform.engine.registry import CheckContext, check

BASELINE_LOGPROBS = "baseline: Generation semantics (logprobs)"
SHAPE = "{token: str, logprob: number <= 0, bytes: [int] | null, top_logprobs: [...]}"


def _entries(exchange: Exchange) -> list[tuple[int, Any]]:
    """(choice index, logprobs.content) for every choice that produced text."""
    out: list[tuple[int, Any]] = []
    for position, choice in enumerate(assembled_choices(exchange)):
        text = content_of(choice)
        if not isinstance(text, str) or not text:
            continue  # nothing generated as text, so no tokens to describe
        logprobs = choice.get("logprobs")
        out.append((position, logprobs.get("content") if isinstance(logprobs, Mapping) else None))
    if not out:
        raise CheckSkipped("no choice produced text content")
    return out


def _logprob_problem(value: Any) -> str:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return f"logprob {value!r} is not a number"
    return f"logprob {value} > 0" if value > 0 else ""


def _entry_problem(entry: Any) -> str:
    if not isinstance(entry, Mapping):
        return f"entry {entry!r} is not an object"
    if not isinstance(entry.get("token"), str):
        return f"token {entry.get('token')!r} is not a string"
    problem = _logprob_problem(entry.get("logprob"))
    if problem:
        return problem
    if "bytes" not in entry:
        return "no bytes"
    raw = entry["bytes"]
    if raw is not None and not (
        isinstance(raw, list) and all(int_of(b) is not None and 0 <= b <= 255 for b in raw)
    ):
        return f"bytes {raw!r} is not a list of byte values or null"
    if not isinstance(entry.get("top_logprobs"), list):
        return f"top_logprobs {entry.get('top_logprobs')!r} is not a list"
    return ""


@check(
    area="logprobs",
    enforces=("semantic/logprobs",),
    citation=f"{BASELINE_LOGPROBS}: choices[i].logprobs.content entries",
    applies=semantic_applies("logprobs", "logprobs", when=lambda b, _: b["logprobs"] is True),
)
def logprobs_present_and_shaped(ctx: CheckContext, exchange: Exchange) -> None:
    """With ``logprobs: true``, every choice carries ``logprobs.content`` entries shaped
    ``{token, logprob <= 0, bytes, top_logprobs}``."""
    for position, content in _entries(exchange):
        if not isinstance(content, list) or not content:
            raise CheckFailed(
                "logprobs accepted but not returned",
                received=f"choices[{position}].logprobs.content {content!r}",
                expected=f"a non-empty list of {SHAPE} ({cited(ctx, 'logprobs')})",
                rule="semantic/logprobs",
            )
        for number, entry in enumerate(content):
            problem = _entry_problem(entry)
            if problem:
                raise CheckFailed(
                    f"malformed logprobs entry: {problem}",
                    received=f"choices[{position}].logprobs.content[{number}] = {entry!r}",
                    expected=f"{SHAPE} ({cited(ctx, 'logprobs')})",
                    rule="semantic/logprobs",
                )
        _note_token_mismatch(ctx, exchange, position, content)


def _note_token_mismatch(
    ctx: CheckContext, exchange: Exchange, position: int, content: list[Any]
) -> None:
    """Tokens that do not spell the content point at logprobs of another generation."""
    text = content_of(assembled_choices(exchange)[position])
    tokens = "".join(e["token"] for e in content)
    if isinstance(text, str) and tokens != text:
        ctx.observe(
            f"choices[{position}]: logprobs tokens spell {tokens[:60]!r}, content is {text[:60]!r}",
            probe=exchange.probe.id,
            check="logprobs_present_and_shaped",
        )


def _top_k(body: Mapping[str, Any]) -> int | None:
    k = int_of(body.get("top_logprobs"))
    return k if body.get("logprobs") is True and k is not None and k >= 0 else None


@check(
    area="logprobs",
    enforces=("semantic/logprobs", "semantic/logprobs/top"),
    citation=f"{BASELINE_LOGPROBS}: with top_logprobs k, each entry has k alternatives",
    applies=semantic_applies(
        "logprobs", "logprobs", "top_logprobs", when=lambda b, _: _top_k(b) is not None
    ),
)
def top_logprobs_count(ctx: CheckContext, exchange: Exchange) -> None:
    """With ``top_logprobs: k``, each entry's ``top_logprobs`` holds k alternatives, each
    with a string token and a logprob <= 0."""
    k = _top_k(request_body(exchange))
    counted = 0
    for position, content in _entries(exchange):
        for number, entry in enumerate(content if isinstance(content, list) else ()):
            tops = entry.get("top_logprobs") if isinstance(entry, Mapping) else None
            if not isinstance(tops, list):
                continue  # logprobs_present_and_shaped reports it
            counted += 1
            where = f"choices[{position}].logprobs.content[{number}].top_logprobs"
            problem = "" if len(tops) == k else f"{len(tops)} items"
            for top in tops:
                if problem:
                    break
                if not isinstance(top, Mapping) or not isinstance(top.get("token"), str):
                    problem = f"item {top!r} has no string token"
                else:
                    problem = _logprob_problem(top.get("logprob"))
            if problem:
                raise CheckFailed(
                    f"top_logprobs {k} accepted but not honoured: {problem}",
                    received=f"{where} = {tops!r}",
                    expected=f"{k} items {{token, logprob <= 0}} ({cited(ctx, 'logprobs')})",
                    rule="semantic/logprobs/top",
                )
    if not counted:
        raise CheckSkipped("no logprobs entries to count (see logprobs_present_and_shaped)")
