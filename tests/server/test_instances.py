"""The instance generator gives values valid against the schemas clients send."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator

from chatconform.server.instances import instance_for

SCHEMAS: list[dict[str, Any]] = [
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    {
        "type": "object",
        "properties": {
            "n": {"type": "integer", "minimum": 3, "maximum": 5},
            "x": {"type": "number", "exclusiveMinimum": 10},
        },
        "required": ["n", "x"],
        "additionalProperties": False,
    },
    {
        "type": "object",
        "properties": {
            "tags": {
                "type": "array",
                "items": {"type": "string"},
                "minItems": 2,
                "uniqueItems": True,
            }
        },
    },
    {
        "type": "object",
        "properties": {
            "unit": {"enum": ["c", "f"]},
            "k": {"const": 3},
            "when": {"type": "string", "format": "date-time"},
        },
    },
    {
        "type": "object",
        "properties": {"v": {"anyOf": [{"type": "null"}, {"type": "integer", "multipleOf": 7}]}},
    },
    {
        "$defs": {
            "node": {
                "type": "object",
                "properties": {
                    "name": {"type": "string", "minLength": 8},
                    "child": {"$ref": "#/$defs/node"},
                },
                "required": ["name"],
            }
        },
        "$ref": "#/$defs/node",
    },
    {
        "type": "object",
        "allOf": [
            {"properties": {"a": {"type": "boolean"}}, "required": ["a"]},
            {"properties": {"b": {"type": ["null", "string"], "maxLength": 2}}, "required": ["b"]},
        ],
    },
    {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "string"}], "minItems": 2},
    {"type": "object", "minProperties": 2, "additionalProperties": {"type": "integer"}},
]


@pytest.mark.parametrize("schema", SCHEMAS)
def test_instance_is_valid(schema: dict[str, Any]) -> None:
    instance = instance_for(schema)
    Draft202012Validator(schema).validate(instance)
    assert instance_for(schema) == instance  # deterministic
