"""Checks of the semantics area: parameters an endpoint may accept and then ignore.

A 2xx answer only proves the request parsed. Whether ``max_tokens``, ``stop``, a JSON
mode or ``seed`` did anything shows only in the answer, so these checks read effects:
token counts from ``usage``, the finish reason, the content. Where the answer cannot
show the effect (the model stopped before the bound), a check skips rather than passes.
"""

from __future__ import annotations

from jsonschema.exceptions import SchemaError

from chatconform.checks._effects import (
    around_stop,
    bound_applies,
    bounds_in_force,
    choices_n,
    cited,
    content_of,
    fingerprint,
    format_type,
    int_of,
    json_contents,
    max_tokens_applies,
    measure,
    overridden,
    positive_int,
    request_schema,
    schema_errors,
    semantic_applies,
    stop_sequences,
)
from chatconform.checks._tool_calls import cut_arguments
from chatconform.engine.exchange import Exchange
from chatconform.engine.failures import CheckFailed, CheckSkipped
from chatconform.engine.message import assembled_choices, request_body
from chatconform.engine.registry import CheckContext, check

# -- bounds ------------------------------------------------------------------------------


@check(
    area="semantics",
    enforces=("semantic/max_tokens",),
    citation="baseline: Generation semantics (max_tokens); contract semantics.max_tokens",
    applies=max_tokens_applies,
)
def max_tokens_honoured(ctx: CheckContext, exchange: Exchange) -> None:
    """The output does not exceed ``max_tokens`` as the contract counts it."""
    body = request_body(exchange)
    counts = str(ctx.contract.semantics["max_tokens"].get("counts", "output"))
    tokens, account = measure(exchange, counts)
    limit = body["max_tokens"] * choices_n(body)
    if tokens > limit:
        raise CheckFailed(
            "max_tokens accepted but not honoured",
            received=account,
            expected=f"<= {limit} ({cited(ctx, 'max_tokens')}: max_tokens counts {counts})",
            rule="semantic/max_tokens",
        )


@check(
    area="semantics",
    enforces=("semantic/max_completion_tokens",),
    citation="contract semantics.max_completion_tokens (answer + reasoning)",
    applies=semantic_applies(
        "max_completion_tokens",
        "max_completion_tokens",
        when=lambda b, _: positive_int(b["max_completion_tokens"]) is not None,
    ),
)
def max_completion_tokens_honoured(ctx: CheckContext, exchange: Exchange) -> None:
    """Answer plus reasoning tokens do not exceed ``max_completion_tokens``."""
    body = request_body(exchange)
    tokens, account = measure(exchange, "output")
    limit = body["max_completion_tokens"] * choices_n(body)
    if tokens > limit:
        raise CheckFailed(
            "max_completion_tokens accepted but not honoured",
            received=account,
            expected=f"<= {limit} ({cited(ctx, 'max_completion_tokens')}: answer + reasoning)",
            rule="semantic/max_completion_tokens",
        )


@check(
    area="semantics",
    enforces=(
        "semantic/max_tokens",
        "semantic/max_completion_tokens",
        "semantic/max_tokens/length",
        "semantic/max_completion_tokens/length",
    ),
    citation="baseline: Generation semantics (a cut gives finish_reason length)",
    applies=bound_applies,
)
def length_when_cut(ctx: CheckContext, exchange: Exchange) -> None:
    """When the bound cut the output, ``finish_reason`` is ``length``.

    Only a probe whose prompt asks for far more than its bound (``params["expects_cut"]``)
    makes the cut certain, or an output at the bound whose tool call's arguments stop
    mid-JSON: that one visibly continued. Elsewhere an output exactly as long as the bound
    may be a natural end that happens to fit, so ``stop`` there is not evidence of a cut.
    """
    body = request_body(exchange)
    choices = assembled_choices(exchange)
    if choices_n(body) != 1 or len(choices) != 1:
        raise CheckSkipped("usage sums every choice: the cut of one choice is not known")
    certain = exchange.probe.params.get("expects_cut") is True
    unknown: list[str] = []
    for field, bound, counts in bounds_in_force(ctx, body):
        try:
            tokens, account = measure(exchange, counts)
        except CheckSkipped as skip:
            unknown.append(skip.reason)
            continue
        if tokens > bound:
            raise CheckSkipped(f"the output exceeded {field} ({account}): see {field}_honoured")
        if tokens < bound:
            continue
        finish = choices[0].get("finish_reason")
        if finish == "length":
            return
        cut_call = cut_arguments(choices[0])
        if not certain and cut_call is None:
            raise CheckSkipped(
                f"ended exactly at the bound ({account}, {field} = {bound}) with "
                f"finish_reason {finish!r}: a cut cannot be told from a natural end"
            )
        why = (
            f"a tool call's arguments stop mid-JSON ({cut_call!r}) at {field} = {bound}"
            if cut_call is not None
            else f"the prompt asks for far more than {field} = {bound} allows"
        )
        raise CheckFailed(
            f"output cut at {field} but finish_reason is not length",
            received=f"finish_reason {finish!r} after {account}",
            expected=f'"length": {why}, so the bound cut it (baseline: Generation semantics)',
            rule=f"semantic/{field}/length",
        )
    if certain and not unknown and choices[0].get("finish_reason") == "length":
        return  # cut below the bound as usage counts it: still reported as a cut
    raise CheckSkipped("; ".join(unknown) or "the output stopped before reaching its bound")


@check(
    area="semantics",
    enforces=("semantic/max_completion_tokens",),
    citation="contract semantics.max_completion_tokens.overrides_max_tokens",
    applies=semantic_applies(
        "max_completion_tokens",
        "max_tokens",
        "max_completion_tokens",
        when=lambda b, p: (
            overridden(b, p)
            and positive_int(b["max_tokens"]) is not None
            and b["max_tokens"] < b["max_completion_tokens"]
        ),
    ),
)
def max_completion_tokens_overrides(ctx: CheckContext, exchange: Exchange) -> None:
    """With both bounds set, the output is not cut at the (ignored) ``max_tokens``."""
    body = request_body(exchange)
    small, large = body["max_tokens"], body["max_completion_tokens"]
    counts = str(ctx.contract.semantics.get("max_tokens", {}).get("counts", "output"))
    tokens, account = measure(exchange, counts)
    completion, _ = measure(exchange, "output")
    if tokens > small * choices_n(body):
        return
    finishes = [c.get("finish_reason") for c in assembled_choices(exchange)]
    if "length" in finishes and completion < large * choices_n(body):
        raise CheckFailed(
            "output cut at max_tokens although max_completion_tokens overrides it",
            received=f"finish_reason 'length' after {account} (max_tokens {small})",
            expected=f"max_tokens ignored, output bounded by max_completion_tokens {large} "
            f"({cited(ctx, 'max_completion_tokens')})",
            rule="semantic/max_completion_tokens",
        )
    raise CheckSkipped(f"the model stopped by itself within max_tokens ({account})")


# -- stop, JSON modes, seed --------------------------------------------------------------


@check(
    area="semantics",
    enforces=("semantic/stop", "semantic/stop/finish"),
    citation="baseline: Generation semantics (stop); contract semantics.stop",
    applies=semantic_applies("stop", "stop", when=lambda b, _: bool(stop_sequences(b))),
)
def stop_sequence_honoured(ctx: CheckContext, exchange: Exchange) -> None:
    """No stop sequence in the content; stopping early gives ``finish_reason: stop``.

    A probe may name the text its prompt asked for (``params["full_text"]``): without
    the word before the stop sequence in the content, the model never reached it and
    the check skips; without the last word, generation ended early and so must say
    ``stop`` (or ``length`` when the bound cut it first).
    """
    stops = stop_sequences(request_body(exchange))
    texts = [(c, content_of(c)) for c in assembled_choices(exchange)]
    texts = [(c, t) for c, t in texts if isinstance(t, str)]
    if not texts:
        raise CheckSkipped("no choice carries text content")
    for _, text in texts:
        for stop in stops:
            if stop in text:
                raise CheckFailed(
                    "stop sequence accepted but returned in the content",
                    received=text,
                    expected=f"content without {stop!r} ({cited(ctx, 'stop')})",
                    rule="semantic/stop",
                )
    asked = str(exchange.probe.params.get("full_text", ""))
    if not asked:
        return
    before, last = around_stop(asked, stops)
    if before and not any(before.lower() in text.lower() for _, text in texts):
        raise CheckSkipped(f"the model did not reach the stop sequence (no {before!r})")
    for choice, text in texts:
        _note_partial_stop(ctx, exchange, text, stops)
        finish = choice.get("finish_reason")
        if last.lower() not in text.lower() and finish not in ("stop", "length"):
            raise CheckFailed(
                "stopped on a stop sequence without finish_reason stop",
                received=f"finish_reason {finish!r}, content {text!r}",
                expected='"stop" (baseline: stopping on one gives finish_reason stop)',
                rule="semantic/stop/finish",
            )


def _note_partial_stop(ctx: CheckContext, exchange: Exchange, text: str, stops: list[str]) -> None:
    """A content ending in the start of a stop sequence is a leak worth reporting."""
    tail = text.rstrip()
    for stop in stops:
        if any(tail.endswith(stop[:k]) for k in range(2, len(stop))):
            ctx.observe(
                f"content ends with the start of stop sequence {stop!r}: {tail[-20:]!r}",
                probe=exchange.probe.id,
                check="stop_sequence_honoured",
            )


@check(
    area="semantics",
    enforces=("semantic/json_object",),
    citation='baseline: Generation semantics (response_format {"type": "json_object"})',
    applies=semantic_applies(
        "json_object", "response_format", when=lambda b, _: format_type(b) == "json_object"
    ),
)
def json_object_content(ctx: CheckContext, exchange: Exchange) -> None:
    """With ``response_format`` ``json_object``, the content parses as a JSON object."""
    for text, value in json_contents(exchange, "semantic/json_object"):
        if not isinstance(value, dict):
            raise CheckFailed(
                "json_object accepted but the content is JSON of another type",
                received=text,
                expected=f"a JSON object ({cited(ctx, 'json_object')})",
                rule="semantic/json_object",
            )


@check(
    area="semantics",
    enforces=("semantic/json_schema",),
    citation="baseline: Generation semantics (json_schema, where documented)",
    applies=semantic_applies(
        "json_schema",
        "response_format",
        when=lambda b, _: format_type(b) == "json_schema" and isinstance(request_schema(b), dict),
    ),
)
def json_schema_content(ctx: CheckContext, exchange: Exchange) -> None:
    """With ``response_format`` ``json_schema``, the content validates against it."""
    schema = request_schema(request_body(exchange))
    for text, value in json_contents(exchange, "semantic/json_schema"):
        try:
            errors = schema_errors(schema, value)
        except SchemaError as error:
            raise CheckSkipped(f"the request's schema is invalid: {error.message}") from None
        if errors:
            raise CheckFailed(
                "json_schema accepted but the content does not validate",
                received=f"{text}  [{'; '.join(errors[:3])}]",
                expected=f"valid against the request's schema ({cited(ctx, 'json_schema')})",
                rule="semantic/json_schema",
            )


@check(
    area="semantics",
    enforces=("semantic/seed",),
    citation="contract semantics.seed (e.g. powertokens-qwen#seed: 用于复现生成结果)",
    applies=semantic_applies("seed", "seed", when=lambda b, _: int_of(b["seed"]) is not None),
)
def seed_repeatable(ctx: CheckContext, exchange: Exchange) -> None:
    """The same request with the same ``seed``, sent again, gives the same content."""
    if not exchange.related:
        raise CheckSkipped("the request was sent once: no repeat to compare")
    first = [content_of(c) for c in assembled_choices(exchange)]
    backend = fingerprint(exchange)
    for number, repeat in enumerate(exchange.related, start=1):
        if repeat.transport_error or not repeat.response.is_success:
            raise CheckSkipped(f"repeat {number} did not succeed (status {repeat.response.status})")
        if fingerprint(repeat) != backend:
            raise CheckSkipped("system_fingerprint changed between sends: another backend")
        again = [content_of(c) for c in assembled_choices(repeat)]
        if again != first:
            raise CheckFailed(
                "seed accepted but the output is not repeatable",
                received=f"first {first!r}; repeat {number} {again!r}",
                expected=f"identical content for identical requests ({cited(ctx, 'seed')})",
                rule="semantic/seed",
            )
