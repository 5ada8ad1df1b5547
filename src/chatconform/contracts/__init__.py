"""Contracts: vendor pages as JSON Schema data, loaded, validated and compiled once."""

from chatconform.contracts.errors import ContractError, UnknownContract
from chatconform.contracts.loader import (
    Validators,
    contract_ids,
    load_contract,
    load_contract_file,
    validators_for,
)
from chatconform.contracts.model import Citation, Contract, FieldSpec, ModelSet, Rule, Source

__all__ = [
    "Citation",
    "Contract",
    "ContractError",
    "FieldSpec",
    "ModelSet",
    "Rule",
    "Source",
    "UnknownContract",
    "Validators",
    "contract_ids",
    "load_contract",
    "load_contract_file",
    "validators_for",
]
