"""Request validation as the contract states it: headers, model list, request schema.

Every rule a contract states about a request is already compiled into its request schema
(cross-field and per-model rules included) or declared as header / model data, so the
server validates by reading those, never by re-stating a rule in code. The answer is the
error the baseline asks for: 400 (404 ``model_not_found`` for a model a closed list does
not hold) with the offending parameter named.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from jsonschema.exceptions import ValidationError, best_match

from chatconform.contracts.model import Contract

Problem = tuple[int, str, str | None, str | None]  # status, message, param, code
_MAX_MESSAGE = 300


class RequestValidator(Protocol):
    def iter_errors(self, instance: Any) -> Any: ...


def header_limits(contract: Contract) -> list[tuple[str, int]]:
    """(lower-cased header name, max length) for each header length rule."""
    limits: list[tuple[str, int]] = []
    for rule in contract.rules_in("header"):
        if not rule.is_hard or rule.kind.lower() not in ("maxlength", "max_length"):
            continue
        name = rule.params.get("name") or rule.params.get("header") or rule.field
        if not name:
            name = rule.id.split("/")[1] if rule.id.count("/") >= 2 else ""
        limit = next(
            (
                rule.params[k]
                for k in ("maxLength", "max_length", "value", "limit")
                if isinstance(rule.params.get(k), int)
            ),
            None,
        )
        if name and limit is not None:
            limits.append((str(name).lower(), int(limit)))
    return limits


def check_request(
    contract: Contract,
    validator: RequestValidator,
    body: Mapping[str, Any],
    headers: Mapping[str, str],
    limits: Sequence[tuple[str, int]] | None = None,
) -> Problem | None:
    """The first stated rule ``body``/``headers`` break, or None for a valid request."""
    for name, limit in header_limits(contract) if limits is None else limits:
        value = headers.get(name)
        if value is not None and len(value) > limit:
            return (
                400,
                f"header {name} is {len(value)} characters long; at most {limit} are allowed",
                name,
                "invalid_header",
            )
    model = body.get("model")
    if contract.models.closed and isinstance(model, str) and model not in contract.models.ids:
        listed = ", ".join(contract.models.ids)
        return (
            404,
            f"the model {model!r} does not exist; available models: {listed}",
            "model",
            "model_not_found",
        )
    return schema_problem(validator, body)


def schema_problem(validator: RequestValidator, body: Mapping[str, Any]) -> Problem | None:
    """The best-matching request-schema error as a 400, or None."""
    error = best_match(validator.iter_errors(body))
    if error is None:
        return None
    return (400, _message(error), _param(error), _code(error))


def _param(error: ValidationError) -> str | None:
    path = _dotted(error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, Mapping):
        missing = [n for n in error.validator_value if n not in error.instance]
        if missing:
            return f"{path}.{missing[0]}" if path else str(missing[0])
    return path or None


def _dotted(path: Sequence[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _code(error: ValidationError) -> str:
    if error.validator == "required":
        return "missing_required_parameter"
    if error.validator == "type":
        return "invalid_type"
    return "invalid_value"


def _message(error: ValidationError) -> str:
    where = _param(error)
    text = error.message
    if len(text) > _MAX_MESSAGE:
        text = text[: _MAX_MESSAGE - 3] + "..."
    described = error.schema.get("description") if isinstance(error.schema, Mapping) else None
    if isinstance(described, str) and error.validator in ("not", "if", "then", "const"):
        text = f"{described} ({text})"
    return f"invalid request: {where}: {text}" if where else f"invalid request: {text}"
