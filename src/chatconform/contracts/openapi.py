"""Export a compiled contract as an OpenAPI 3.1 description.

Other tools speak OpenAPI, not our contract format: schemathesis generates positive and
negative cases from it, and a vendor can read it in any viewer. The export is derived
from the compiled contract only, so it can never state a rule the contract does not.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from chatconform.contracts.model import Contract

_ERROR_STATUSES = {
    "400": "The request breaks a stated rule, or its JSON is malformed.",
    "401": "The bearer token is missing or wrong.",
    "404": "The model is not listed.",
    "422": "The request breaks a stated rule (tolerated in place of 400).",
}


# Before OpenAPI 3.2's itemSchema, an event-stream ``schema`` describes one event, and
# tools read an event as the object the SSE parsing algorithm gives (schemathesis:
# ``{"data", "event", "id"?, "retry"?}``), not as its data string. The data is a chunk
# (JSON, validated by ``contentSchema``) or the final ``[DONE]`` marker. An ``event:``
# name breaks no stated rule, so any string is allowed there.
STREAM_EVENT: dict[str, Any] = {
    "type": "object",
    "required": ["data"],
    "properties": {
        "data": {
            "anyOf": [
                {"const": "[DONE]"},
                {
                    "contentMediaType": "application/json",
                    "contentSchema": {"$ref": "#/components/schemas/Chunk"},
                },
            ]
        },
        "event": {"type": "string"},
        "id": {"type": "string"},
        "retry": {"type": "integer", "minimum": 0},
    },
}


def _plain(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A schema object for embedding: no ``$schema``/``$id`` (they would re-base refs)."""
    return {k: copy.deepcopy(v) for k, v in schema.items() if k not in ("$schema", "$id")}


def export_openapi(contract: Contract) -> dict[str, Any]:
    """OpenAPI 3.1 for ``contract``'s chat-completions operation."""
    error = {
        "description": "",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    responses: dict[str, Any] = {
        "200": {
            "description": "A completion (JSON), or a stream of chunks when stream is true.",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Completion"}},
                "text/event-stream": {"schema": {"$ref": "#/components/schemas/StreamEvent"}},
            },
        }
    }
    for status, text in _ERROR_STATUSES.items():
        responses[status] = {**copy.deepcopy(error), "description": text}
    parameters = [
        {
            "name": header["name"],
            "in": "header",
            "required": False,
            "schema": dict(header.get("schema", {"type": "string"})),
            "description": str(header.get("cite", {}).get("quote", "")),
        }
        for header in contract.document.get("headers", [])
    ]
    operation: dict[str, Any] = {
        "operationId": "createChatCompletion",
        "summary": f"Chat completions ({contract.title})",
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Request"}}},
        },
        "responses": responses,
        "security": [{"bearer": []}],
    }
    if parameters:
        operation["parameters"] = parameters
    servers = [{"url": contract.base_url}] if contract.base_url else []
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": contract.title,
            "version": "1",
            "description": f"Exported from the chatconform contract {contract.id!r}.",
        },
        "paths": {contract.path: {"post": operation}},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Request": _plain(contract.request_schema),
                "Completion": _plain(contract.response_schema),
                "Chunk": _plain(contract.chunk_schema),
                "StreamEvent": copy.deepcopy(STREAM_EVENT),
                "Error": _plain(contract.error_schema),
            },
        },
    }
    if servers:
        doc["servers"] = servers
    return doc
