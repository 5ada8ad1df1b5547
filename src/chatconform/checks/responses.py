"""Checks of the non-streamed answer (``chat.completion``), one named check per fault.

A single schema verdict says "the response is invalid"; an engineer at the vendor wants
"``created`` is in milliseconds". So each field the baseline names has its own check and
rule id, and ``response_schema`` reports only what the contract's response schema adds
beyond them (tool calls, logprobs, vendor fields): every failure names one rule.
The baseline lists ``id``, ``object``, ``created``, ``model``, ``choices``, ``usage``,
``index``, ``role`` and ``finish_reason`` as parts of every answer, so the named checks
judge their presence too.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from chatconform.checks._completion import (
    CITATION,
    MISSING,
    Field,
    choices,
    completion,
    documented,
    faults,
    is_answer,
    is_error_object,
    is_int,
    messages,
    reasoning_documented,
    rule_id,
    schema_at,
    undocumented,
)
from chatconform.contracts import validators_for
from chatconform.engine.exchange import Exchange
from chatconform.engine.failures import CheckFailed, CheckSkipped
from chatconform.engine.message import request_body
from chatconform.engine.registry import CheckContext, CheckFn, check

FINISH_REASONS = ("stop", "length", "tool_calls", "content_filter")
# 2020-01-01 and 2100-01-01 UTC: a Unix-seconds timestamp of a live answer lies between.
CREATED_MIN, CREATED_MAX = 1_577_836_800, 4_102_444_800

ID = Field("id", "id: a non-empty string")
OBJECT = Field("object", 'object: "chat.completion"')
CREATED = Field("created", "created: an integer, Unix seconds (between 2020 and 2100)")
MODEL = Field("model", "model: a non-empty string")
CHOICES = Field("choices", "choices: a non-empty array")
INDEX = Field("choices[].index", "choices[i].index: i")
ROLE = Field("choices[].message.role", 'message.role: "assistant"')
CONTENT = Field("choices[].message.content", "message.content: a string or null")
FINISH = Field("choices[].finish_reason", "finish_reason: one of " + ", ".join(FINISH_REASONS))
USAGE = Field("usage", "usage: {prompt_tokens, completion_tokens, total_tokens} integers >= 0")
REASONING = Field("choices[].message.reasoning_content", "message.reasoning_content: a string")
CACHED = Field("usage.prompt_tokens_details.cached_tokens", "cached_tokens: an integer >= 0")
COUNTS = ("prompt_tokens", "completion_tokens", "total_tokens")

# What the named checks report: every fault inside these subtrees, and the presence, type
# and size of these containers (their other members are left to ``response_schema``).
_OWNED_TREES = (
    *(f.path for f in (ID, OBJECT, CREATED, MODEL, INDEX, ROLE, CONTENT, FINISH, REASONING)),
    *(f"usage.{name}" for name in COUNTS),
    "usage.prompt_tokens_details",
)
_OWNED_NODES = ("choices", "usage")


def _owned(path: str) -> bool:
    return path in _OWNED_NODES or any(
        path == p or path.startswith((p + ".", p + "[")) for p in _OWNED_TREES
    )


def _answer_check(*enforces: str) -> Callable[[CheckFn], CheckFn]:
    return check(area="response", enforces=enforces, citation=CITATION, applies=is_answer)


@_answer_check("response/content-type-json")
def response_content_type(ctx: CheckContext, exchange: Exchange) -> None:
    """A non-streamed answer is ``application/json`` and its body parses as JSON."""
    response = exchange.response
    expected = f"Content-Type: application/json with a JSON body ({CITATION})"
    if response.content_type != "application/json":
        label = response.headers.get("content-type", "(none)")
        raise CheckFailed(
            "Answer is not labelled JSON",
            received=f"Content-Type {label!r}",
            expected=expected,
            rule="response/content-type-json",
        )
    if response.json is None:
        raise CheckFailed(
            "Answer body is not JSON",
            received=response.body.decode("utf-8", "replace"),
            expected=expected,
            rule="response/content-type-json",
        )


@_answer_check("response/*")
def response_schema(ctx: CheckContext, exchange: Exchange) -> None:
    """The answer validates against the contract's response schema where no named check looks."""
    body = exchange.response.json
    if body is None:
        raise CheckSkipped("the body is not JSON: response_content_type reports it")
    if is_error_object(body):
        raise CheckSkipped("the 2xx body is an error object: no_error_with_200 reports it")
    if not ctx.contract.response_schema:
        raise CheckSkipped(f"contract {ctx.contract.id!r} has no response schema")
    found = [
        (where, path, kind, error)
        for error in validators_for(ctx.contract).response.iter_errors(body)
        for path, kind, where in faults(error)
        if not _owned(path)
    ]
    if found:
        where, path, kind, error = min(found, key=lambda f: (f[0], f[2]))
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        stated = json.dumps(error.validator_value, ensure_ascii=False)
        raise CheckFailed(
            f"Response breaks the schema at {where}",
            received=f"{error.message}{more}",
            expected=f"{kind}: {stated} (contract {ctx.contract.id!r} response schema)",
            rule=rule_id(ctx, path, kind),
        )


@_answer_check("response/id/*")
def response_id(ctx: CheckContext, exchange: Exchange) -> None:
    """``id`` is a non-empty string."""
    value = completion(exchange).get("id", MISSING)
    if value is MISSING:
        ID.fail(ctx, "Response has no id", value, "required")
    if not isinstance(value, str):
        ID.fail(ctx, "id is not a string", value, "type")
    if not value:
        ID.fail(ctx, "id is empty", value, "minLength")


@_answer_check("response/object/*")
def response_object(ctx: CheckContext, exchange: Exchange) -> None:
    """``object`` is ``"chat.completion"``."""
    value = completion(exchange).get("object", MISSING)
    if value is MISSING:
        OBJECT.fail(ctx, "Response has no object", value, "required")
    if value != "chat.completion":
        OBJECT.fail(ctx, "object is not chat.completion", value, "const", "enum")


@_answer_check("response/created/*")
def response_created(ctx: CheckContext, exchange: Exchange) -> None:
    """``created`` is an integer count of Unix seconds (not a float, not milliseconds)."""
    value = completion(exchange).get("created", MISSING)
    if value is MISSING:
        CREATED.fail(ctx, "Response has no created", value, "required")
    if not is_int(value):
        what = "a float" if isinstance(value, float) else "not an integer"
        CREATED.fail(ctx, f"created is {what}", value, "type")
    if not CREATED_MIN <= value < CREATED_MAX:
        millis = CREATED_MIN <= value // 1000 < CREATED_MAX
        title = "created is in milliseconds" if millis else "created is not a plausible Unix time"
        CREATED.fail(ctx, title, value, "minimum" if value < CREATED_MIN else "maximum")


@_answer_check("response/model/*")
def response_model(ctx: CheckContext, exchange: Exchange) -> None:
    """``model`` is a non-empty string (a different model than requested is observed)."""
    value = completion(exchange).get("model", MISSING)
    if value is MISSING:
        MODEL.fail(ctx, "Response has no model", value, "required")
    if not isinstance(value, str) or not value:
        MODEL.fail(ctx, "model is not a non-empty string", value, "type")
    asked = request_body(exchange).get("model")
    if isinstance(asked, str) and value != asked:
        ctx.observe(
            f"answer names model {value!r}, the request asked for {asked!r}",
            probe=exchange.probe.id,
            check="response_model",
        )


@_answer_check("response/choices/*")
def choices_present(ctx: CheckContext, exchange: Exchange) -> None:
    """``choices`` is a non-empty array."""
    value = completion(exchange).get("choices", MISSING)
    if value is MISSING:
        CHOICES.fail(ctx, "Response has no choices", value, "required")
    if not isinstance(value, list):
        CHOICES.fail(ctx, "choices is not an array", value, "type")
    if not value:
        CHOICES.fail(ctx, "choices is empty", value, "minItems")


@_answer_check("response/choices-index", "response/choices[].index/*")
def choice_index(ctx: CheckContext, exchange: Exchange) -> None:
    """``choices[i].index`` equals ``i``."""
    for i, choice in choices(completion(exchange)):
        value = choice.get("index", MISSING)
        if value is MISSING:
            INDEX.fail(ctx, f"choices[{i}].index is absent", value, "required")
        if value != i or not is_int(value):
            raise CheckFailed(
                f"choices[{i}].index is not its position",
                received=json.dumps(value),
                expected=f"choices[{i}].index: {i} ({CITATION})",
                rule="response/choices-index",
            )


@_answer_check("response/choices[].message.role/*")
def message_role(ctx: CheckContext, exchange: Exchange) -> None:
    """``choices[i].message.role`` is ``"assistant"``."""
    for i, message in messages(completion(exchange)):
        value = message.get("role", MISSING)
        if value is MISSING:
            ROLE.fail(ctx, f"choices[{i}].message.role is absent", value, "required")
        if value != "assistant":
            ROLE.fail(ctx, f"choices[{i}].message.role is not assistant", value, "const", "enum")


@_answer_check("response/choices[].message.content/*")
def message_content_type(ctx: CheckContext, exchange: Exchange) -> None:
    """``choices[i].message.content`` is a string or null."""
    # Absence is judged only where the contract requires the key: several OpenAI-compatible
    # servers omit it beside tool calls, and the baseline states its type, not its presence.
    required = any("content" in n.get("required", ()) for n in schema_at(ctx, "choices[].message"))
    for i, message in messages(completion(exchange)):
        value = message.get("content", MISSING)
        if value is MISSING and required:
            CONTENT.fail(ctx, f"choices[{i}].message.content is absent", value, "required")
        if value is not MISSING and value is not None and not isinstance(value, str):
            CONTENT.fail(
                ctx, f"choices[{i}].message.content is not a string or null", value, "type"
            )


@_answer_check("response/choices[].finish_reason/*")
def finish_reason_valid(ctx: CheckContext, exchange: Exchange) -> None:
    """``choices[i].finish_reason`` is one of stop, length, tool_calls, content_filter."""
    stated = [v for n in schema_at(ctx, "choices[].finish_reason") for v in n.get("enum", ())]
    allowed = tuple(v for v in stated if v is not None) or FINISH_REASONS
    field = Field(FINISH.path, "finish_reason: one of " + ", ".join(map(str, allowed)))
    for i, choice in choices(completion(exchange)):
        value = choice.get("finish_reason", MISSING)
        if value is MISSING:
            field.fail(ctx, f"choices[{i}].finish_reason is absent", value, "required")
        if value not in allowed:
            field.fail(ctx, f"choices[{i}].finish_reason is not a stated reason", value, "enum")


@_answer_check("response/usage-sum", "response/usage/*", "response/usage.*")
def usage_present_and_sums(ctx: CheckContext, exchange: Exchange) -> None:
    """``usage`` counts are integers >= 0 and ``total_tokens`` is their sum."""
    usage = completion(exchange).get("usage", MISSING)
    if usage is MISSING:
        USAGE.fail(ctx, "Response has no usage", usage, "required")
    if not isinstance(usage, dict):
        USAGE.fail(ctx, "usage is not an object", usage, "type")
    for name in COUNTS:
        value, count = usage.get(name, MISSING), Field(f"usage.{name}", USAGE.states)
        if value is MISSING:
            count.fail(ctx, f"usage.{name} is absent", value, "required")
        if not is_int(value):
            count.fail(ctx, f"usage.{name} is not an integer", value, "type")
        if value < 0:
            count.fail(ctx, f"usage.{name} is negative", value, "minimum")
    prompt, answer, total = (usage[name] for name in COUNTS)
    if total != prompt + answer:
        raise CheckFailed(
            "usage.total_tokens is not prompt_tokens + completion_tokens",
            received=f"prompt_tokens {prompt} + completion_tokens {answer} = "
            f"{prompt + answer}, total_tokens {total}",
            expected=f"total_tokens = prompt_tokens + completion_tokens ({CITATION})",
            rule="response/usage-sum",
        )


@_answer_check(f"response/{REASONING.path}/*", "response/usage.prompt_tokens_details*")
def vendor_extras_typed(ctx: CheckContext, exchange: Exchange) -> None:
    """Vendor fields the contract documents are typed right; undocumented ones are observed."""
    body = completion(exchange)
    if reasoning_documented(ctx):
        for i, message in messages(body):
            value = message.get("reasoning_content")
            # null is how several servers say "no reasoning" (thinking off): not a type fault.
            if value is not None and not isinstance(value, str):
                REASONING.fail(
                    ctx, f"choices[{i}].message.reasoning_content is not a string", value, "type"
                )
    usage = body.get("usage")
    details = usage.get("prompt_tokens_details") if isinstance(usage, dict) else None
    if details is not None and "cached_tokens" in (
        documented(ctx, "usage.prompt_tokens_details") or ()
    ):
        cached = details.get("cached_tokens") if isinstance(details, dict) else details
        if cached is not None and not is_int(cached):
            CACHED.fail(
                ctx, "usage.prompt_tokens_details.cached_tokens is not an integer", cached, "type"
            )
        if isinstance(cached, int) and cached < 0:
            CACHED.fail(
                ctx,
                "usage.prompt_tokens_details.cached_tokens is negative",
                cached,
                "minimum",
                "type",
            )
    extra = undocumented(ctx, body)
    if extra:
        ctx.observe(
            f"undocumented response fields: {', '.join(extra)}",
            probe=exchange.probe.id,
            check="vendor_extras_typed",
        )
