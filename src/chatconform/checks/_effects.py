"""Shared reading of requests and answers for the "accepted but ignored" checks.

The semantics, tools, logprobs and reasoning checks all ask the same questions: does
the contract state this semantic, does the request carry the parameter, what did the
answer produce (tokens, text, JSON). Answering them once keeps each check a few lines.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from jsonschema.validators import Draft202012Validator, validator_for

from chatconform.engine.exchange import Exchange
from chatconform.engine.failures import CheckFailed, CheckSkipped
from chatconform.engine.message import assembled_choices, assembled_usage, request_body
from chatconform.engine.prompts import semantic
from chatconform.engine.registry import Applies, CheckContext

BodyTest = Callable[[dict[str, Any], Mapping[str, Any]], bool]


def semantic_applies(name: str, *fields: str, when: BodyTest | None = None) -> Applies:
    """Applies to a 2xx exchange when the contract has semantic ``name`` and the request
    carries every one of ``fields`` (and ``when(body, semantic params)`` holds)."""

    def applies(ctx: CheckContext, exchange: Exchange) -> bool:
        params = semantic(ctx.contract, name)
        if params is None or exchange.transport_error or not exchange.response.is_success:
            return False
        body = request_body(exchange)
        if any(body.get(f) is None for f in fields):
            return False
        return when is None or when(body, params)

    return applies


def cited(ctx: CheckContext, name: str) -> str:
    """Where the contract states semantic ``name``: ``source#field``, or ``baseline``."""
    cite = ctx.contract.semantics.get(name, {}).get("cite")
    if isinstance(cite, Mapping) and cite.get("source"):
        return f"{cite['source']}#{cite.get('field', name)}"
    return "baseline"


def positive_int(value: Any) -> int | None:
    """``value`` when it is an integer >= 1 (a bound a valid request may carry)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    return None


def content_of(choice: Mapping[str, Any]) -> Any:
    message = choice.get("message")
    return message.get("content") if isinstance(message, Mapping) else None


def overridden(body: Mapping[str, Any], params: Mapping[str, Any]) -> bool:
    return (
        bool(params.get("overrides_max_tokens"))
        and positive_int(body.get("max_completion_tokens")) is not None
    )


def max_tokens_in_force(ctx: CheckContext, body: Mapping[str, Any]) -> bool:
    """``max_tokens`` binds unless a documented override is in the same request."""
    if positive_int(body.get("max_tokens")) is None:
        return False
    override = semantic(ctx.contract, "max_completion_tokens")
    return override is None or not overridden(body, override)


# -- token accounting --------------------------------------------------------------------


def int_of(value: Any) -> int | None:
    """``value`` when it is an integer (JSON ``true`` is not a count)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def measure(exchange: Exchange, counts: str) -> tuple[int, str]:
    """Output tokens as ``counts`` defines them, with a readable account of the sum."""
    usage = assembled_usage(exchange) or {}
    completion = int_of(usage.get("completion_tokens"))
    if completion is None:
        raise CheckSkipped("the answer reports no usage.completion_tokens to count")
    if counts != "answer":
        return completion, f"completion_tokens {completion}"
    details = usage.get("completion_tokens_details")
    reasoning = int_of(details.get("reasoning_tokens")) if isinstance(details, Mapping) else None
    if reasoning is not None:
        answer = completion - reasoning
        return answer, f"{answer} answer tokens (completion {completion} - reasoning {reasoning})"
    if any(reasoning_text(c) for c in assembled_choices(exchange)):
        raise CheckSkipped(
            "the bound counts answer tokens only, the answer carries reasoning and "
            "usage does not give completion_tokens_details.reasoning_tokens"
        )
    return completion, f"completion_tokens {completion} (no reasoning)"


def reasoning_text(choice: Mapping[str, Any]) -> str:
    message = choice.get("message")
    text = message.get("reasoning_content") if isinstance(message, Mapping) else None
    return text if isinstance(text, str) else ""


def choices_n(body: Mapping[str, Any]) -> int:
    return positive_int(body.get("n")) or 1


def bounds_in_force(ctx: CheckContext, body: Mapping[str, Any]) -> list[tuple[str, int, str]]:
    """The output bounds in force: (field, bound, what it counts)."""
    found: list[tuple[str, int, str]] = []
    mct = positive_int(body.get("max_completion_tokens"))
    if mct is not None and semantic(ctx.contract, "max_completion_tokens") is not None:
        found.append(("max_completion_tokens", mct, "output"))
    max_tokens = semantic(ctx.contract, "max_tokens")
    if max_tokens is not None and max_tokens_in_force(ctx, body):
        counts = str(max_tokens.get("counts", "output"))
        found.append(("max_tokens", body["max_tokens"], counts))
    return found


def bound_applies(ctx: CheckContext, exchange: Exchange) -> bool:
    if exchange.transport_error or not exchange.response.is_success:
        return False
    return bool(bounds_in_force(ctx, request_body(exchange)))


def max_tokens_applies(ctx: CheckContext, exchange: Exchange) -> bool:
    return bound_applies(ctx, exchange) and any(
        field == "max_tokens" for field, _, _ in bounds_in_force(ctx, request_body(exchange))
    )


def stop_sequences(body: Mapping[str, Any]) -> list[str]:
    stop = body.get("stop")
    items = [stop] if isinstance(stop, str) else stop if isinstance(stop, list) else []
    return [s for s in items if isinstance(s, str) and s]


def around_stop(asked: str, stops: list[str]) -> tuple[str, str]:
    """The word of ``asked`` just before its first stop sequence, and its last word."""
    cut = min((asked.find(s) for s in stops if s in asked), default=-1)
    words_before = asked[:cut].split() if cut >= 0 else []
    words = asked.split()
    return (words_before[-1] if words_before else ""), (words[-1] if words else "")


def json_contents(exchange: Exchange, rule: str) -> list[tuple[str, Any]]:
    """(content, parsed) for every choice not cut by the bound; a failure if unparsable."""
    out: list[tuple[str, Any]] = []
    for choice in assembled_choices(exchange):
        text = content_of(choice)
        if choice.get("finish_reason") == "length":
            continue
        if not isinstance(text, str):
            raise CheckFailed(
                "JSON mode accepted but no content returned",
                received=f"content {text!r}",
                expected="a JSON document in message.content",
                rule=rule,
            )
        try:
            out.append((text, json.loads(text)))
        except ValueError as error:
            hint = " (wrapped in a Markdown fence)" if text.lstrip().startswith("```") else ""
            raise CheckFailed(
                f"JSON mode accepted but the content is not JSON{hint}",
                received=text,
                expected=f"content that parses as JSON ({error})",
                rule=rule,
            ) from None
    if not out:
        raise CheckSkipped("every choice was cut by the token bound before the JSON closed")
    return out


def format_type(body: Mapping[str, Any]) -> Any:
    fmt = body.get("response_format")
    return fmt.get("type") if isinstance(fmt, Mapping) else fmt


def request_schema(body: Mapping[str, Any]) -> Any:
    fmt = body.get("response_format")
    spec = fmt.get("json_schema") if isinstance(fmt, Mapping) else None
    return spec.get("schema") if isinstance(spec, Mapping) else None


def schema_errors(schema: Mapping[str, Any], instance: Any) -> list[str]:
    """Readable validation errors of ``instance`` against ``schema`` (draft from $schema)."""
    cls = validator_for(schema, default=Draft202012Validator)
    cls.check_schema(schema)
    errors = sorted(
        cls(schema).iter_errors(instance), key=lambda e: [str(p) for p in e.absolute_path]
    )
    return [f"at /{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]


def fingerprint(exchange: Exchange) -> Any:
    body = exchange.response.json
    return body.get("system_fingerprint") if isinstance(body, dict) else None
