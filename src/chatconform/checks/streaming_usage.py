"""Checks of usage in a streamed answer: the usage chunk and what it may not carry.

``stream_options.include_usage`` (baseline) asks for one usage chunk right before
``[DONE]``; without it no chunk carries usage; a vendor's ``chunk_include_usage``
(contract semantic) asks for usage in every chunk. Each is its own rule.
"""

from __future__ import annotations

from collections.abc import Mapping

from chatconform.checks._stream import (
    CITATION,
    fail,
    objects,
    option,
    usage_faults,
    wants_chunk_usage,
    wants_no_usage,
    wants_usage,
)
from chatconform.engine.exchange import Exchange
from chatconform.engine.failures import CheckFailed
from chatconform.engine.registry import CheckContext, check


@check(
    area="streaming",
    enforces=("stream/include-usage", "semantic/include_usage"),
    citation=CITATION,
    applies=wants_usage,
)
def stream_include_usage(ctx: CheckContext, exchange: Exchange) -> None:
    """With include_usage, one usage chunk with `choices: []` comes right before [DONE]."""
    chunks = objects(exchange)
    expected = (
        'one chunk with "choices": [] and a usage object (integers >= 0, total_tokens'
        " = prompt_tokens + completion_tokens) right before [DONE]"
    )
    carriers = [(w, c) for w, c in chunks if c.get("usage") is not None]
    if ctx.contract.has_semantic("chunk_include_usage") and option(exchange, "chunk_include_usage"):
        carriers = carriers[-1:]  # every chunk carries usage by request: judge the last one
    if not carriers:
        raise CheckFailed(
            "no usage chunk although include_usage was requested",
            received=f"{len(chunks)} chunk(s), none with a non-null usage",
            expected=expected,
            rule="stream/include-usage",
        )
    faults: list[str] = []
    if len(carriers) > 1:
        faults.append(f"{len(carriers)} chunks carry usage: " + ", ".join(w for w, _ in carriers))
    where, last = carriers[-1]
    if last is not chunks[-1][1]:
        faults.append(f"the usage chunk ({where}) is followed by {chunks[-1][0]}")
    if last.get("choices") != []:
        faults.append(f"the usage chunk ({where}) has choices = {last.get('choices')!r}")
    faults += [f"{where}: {fault}" for fault in usage_faults(last.get("usage"))]
    fail("the usage chunk breaks the include_usage rule", faults, expected, "stream/include-usage")


@check(
    area="streaming",
    enforces=("stream/no-usage-without-option",),
    citation=CITATION,
    applies=wants_no_usage,
)
def stream_no_usage_without_option(ctx: CheckContext, exchange: Exchange) -> None:
    """Without include_usage (or chunk_include_usage), no chunk carries usage."""
    faults = [
        f"{where}: usage = {chunk['usage']!r}"
        for where, chunk in objects(exchange)
        if chunk.get("usage") is not None
    ]
    fail(
        "chunks carry usage that was not requested",
        faults,
        "usage null or absent in every chunk when stream_options.include_usage is not true",
        "stream/no-usage-without-option",
    )


@check(
    area="streaming",
    enforces=("semantic/chunk_include_usage",),
    citation="contract semantic chunk_include_usage (stream_options.chunk_include_usage)",
    applies=wants_chunk_usage,
)
def stream_chunk_include_usage(ctx: CheckContext, exchange: Exchange) -> None:
    """With chunk_include_usage, every content chunk carries usage, never decreasing."""
    faults: list[str] = []
    previous: tuple[str, int] | None = None
    for where, chunk in objects(exchange):
        usage = chunk.get("usage")
        if not isinstance(usage, Mapping):
            if chunk.get("choices"):
                faults.append(f"{where}: usage = {usage!r}")
            continue
        tokens = usage.get("completion_tokens")
        if not isinstance(tokens, int) or isinstance(tokens, bool):
            faults.append(f"{where}: usage.completion_tokens = {tokens!r}")
            continue
        if previous is not None and tokens < previous[1]:
            faults.append(
                f"{where}: completion_tokens {tokens} after {previous[1]} at {previous[0]}"
            )
        previous = (where, tokens)
    fail(
        "a chunk breaks chunk_include_usage",
        faults,
        "a usage object in every chunk with choices, completion_tokens never decreasing",
        "semantic/chunk_include_usage",
    )
