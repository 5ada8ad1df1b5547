"""Load a contract by id: validate the file, merge it over its parent, compile it once.

Everything that reads contract files goes through here, so a broken file fails in one
place with one kind of message (``file: /json/pointer: what is wrong``) and every other
layer gets the same frozen ``Contract`` object for the life of the process.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, best_match

from chatconform._paths import data_dir
from chatconform.contracts._compile import Compiler
from chatconform.contracts._merge import merge
from chatconform.contracts.errors import ContractError, UnknownContract, pointer
from chatconform.contracts.model import Contract

META_SCHEMA_ID = "https://chatconform.dev/contracts/meta/contract.schema.json"


def contracts_dir() -> Path:
    return data_dir("contracts")


def _display(path: Path) -> str:
    """The file as a person looks for it: ``contracts/anyfast.json`` inside the project."""
    try:
        return str(path.resolve().relative_to(contracts_dir().resolve().parent))
    except ValueError:
        return str(path)


@functools.cache
def _meta_validator() -> Draft202012Validator:
    meta = json.loads((contracts_dir() / "meta" / "contract.schema.json").read_text("utf-8"))
    Draft202012Validator.check_schema(meta)
    return Draft202012Validator(meta)


def _read(path: Path) -> dict[str, Any]:
    shown = _display(path)
    try:
        raw = json.loads(path.read_text("utf-8"))
    except OSError as error:
        raise ContractError(shown, "/", f"cannot read: {error.strerror or error}") from error
    except json.JSONDecodeError as error:
        raise ContractError(
            shown, "/", f"not JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        ) from error
    fault = best_match(_meta_validator().iter_errors(raw))
    if fault is not None:
        raise ContractError(shown, pointer(*fault.absolute_path), fault.message)
    if not isinstance(raw, dict):  # the meta-schema already said so; this is for mypy
        raise ContractError(shown, "/", "a contract is a JSON object")
    if raw["id"] != path.stem:
        raise ContractError(shown, "/id", f"id {raw['id']!r} differs from the file name")
    if not str(raw["$id"]).endswith(f"/{raw['id']}.json"):
        raise ContractError(shown, "/$id", f"$id must end with /{raw['id']}.json")
    if raw["id"] != "baseline" and "extends" not in raw and not raw.get("abstract"):
        raise ContractError(shown, "/extends", "every contract but the baseline extends one")
    return raw


def _cites(node: Any, at: str = "") -> Iterator[tuple[str, Mapping[str, Any]]]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            here = at + pointer(key)
            if key in ("cite", "x-cite", "required_cite") and isinstance(value, Mapping):
                yield here, value
            else:
                yield from _cites(value, here)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _cites(value, f"{at}/{index}")


def _check_merged(shown: str, own: Mapping[str, Any], merged: Mapping[str, Any]) -> None:
    """What the meta-schema cannot say: cites name a declared source, schemas are valid
    JSON Schema, a runnable contract names its key variable and a model."""
    sources = set(merged.get("sources", {})) | {"baseline"}
    for where, cite in _cites(own):
        if cite.get("source") not in sources:
            raise ContractError(
                shown,
                where + "/source",
                f"unknown source {cite.get('source')!r}; declared: {', '.join(sorted(sources))}",
            )
    for name, spec in merged.get("request", {}).get("fields", {}).items():
        try:
            Draft202012Validator.check_schema(spec.get("schema", {}))
        except SchemaError as error:
            where = f"/request/fields{pointer(name)}/schema" + pointer(*error.absolute_path)
            raise ContractError(shown, where, f"not a valid JSON Schema: {error.message}") from None
    if merged.get("abstract"):
        return
    if not merged.get("auth", {}).get("api_key_env"):
        raise ContractError(
            shown, "/auth/api_key_env", "a runnable contract names its key variable"
        )
    models = merged.get("models", {})
    if not models.get("default"):
        raise ContractError(shown, "/models/default", "a runnable contract names a default model")
    if models.get("closed") and models["default"] not in models.get("ids", []):
        raise ContractError(shown, "/models/default", "the default model is not in the closed list")


def _build(path: Path, stack: tuple[str, ...] = ()) -> Contract:
    shown = _display(path)
    raw = _read(path)
    parent: Contract | None = None
    if "extends" in raw:
        parent_id = str(raw["extends"])
        if parent_id in (*stack, raw["id"]):
            raise ContractError(shown, "/extends", f"inheritance cycle through {parent_id!r}")
        sibling = path.parent / f"{parent_id}.json"
        if path.parent.resolve() != contracts_dir().resolve() and sibling.is_file():
            parent = _build(sibling, (*stack, raw["id"]))
        else:
            try:
                parent = load_contract(parent_id)
            except UnknownContract as error:
                raise ContractError(shown, "/extends", str(error)) from None
    merged = merge(dict(parent.document) if parent else {}, raw)
    _check_merged(shown, raw, merged)
    try:
        return Compiler(merged, raw, parent).contract()
    except (ValueError, KeyError, TypeError) as error:
        raise ContractError(shown, "/", f"cannot compile: {error}") from error


def _ids() -> dict[str, bool]:
    """Every contract id in the data directory, with whether it is abstract."""
    out: dict[str, bool] = {}
    for path in sorted(contracts_dir().glob("*.json")):
        try:
            out[path.stem] = bool(json.loads(path.read_text("utf-8")).get("abstract", False))
        except (OSError, ValueError):
            out[path.stem] = False
    return out


def contract_ids(include_abstract: bool = False) -> list[str]:
    """The ids of the bundled contracts, sorted; the abstract baseline only on request."""
    return [cid for cid, abstract in _ids().items() if include_abstract or not abstract]


@functools.cache
def load_contract(contract_id: str) -> Contract:
    """The compiled contract ``contract_id`` (validated, merged over its parent; cached)."""
    path = contracts_dir() / f"{contract_id}.json"
    if not path.is_file() or "/" in contract_id:
        raise UnknownContract(contract_id, _ids())
    return _build(path)


def load_contract_file(path: Path) -> Contract:
    """Compile the contract in ``path`` (not cached). Its parent is looked up beside it
    first, then among the bundled contracts."""
    return _build(Path(path))


@dataclass(frozen=True)
class Validators:
    """Draft 2020-12 validators of a contract's four schemas, built once per contract."""

    request: Draft202012Validator
    response: Draft202012Validator
    chunk: Draft202012Validator
    error: Draft202012Validator


_VALIDATORS: dict[int, tuple[Contract, Validators]] = {}


def validators_for(contract: Contract) -> Validators:
    """The (cached) validators of ``contract``'s request, response, chunk and error schemas."""
    cached = _VALIDATORS.get(id(contract))
    if cached is not None and cached[0] is contract:
        return cached[1]
    built = Validators(
        request=Draft202012Validator(contract.request_schema),
        response=Draft202012Validator(contract.response_schema),
        chunk=Draft202012Validator(contract.chunk_schema),
        error=Draft202012Validator(contract.error_schema),
    )
    _VALIDATORS[id(contract)] = (contract, built)
    return built
