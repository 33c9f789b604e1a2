"""OpenAPI schema additions: the error answers every operation can give.

Every API error has one shape (``deepreview.core.exceptions``): ``{"error": {"code",
"message", "fields"?}}``. Each operation documents it for the statuses any endpoint may
answer: invalid input, signed out, a role too low, not found (or not yours), a method the
endpoint lacks, a conflict with someone's save, a body too large or of the wrong type.
"""

from __future__ import annotations

from typing import Any

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
            "additionalProperties": True,  # e.g. "current" on a 409, "suggestion"
        }
    },
}
ERROR_STATUSES = {
    "400": "Invalid input; the message (and fields) say what to change.",
    "401": "Not signed in: send a token (Authorization: Token ...) or a session.",
    "403": "Your role in the project is too low for this.",
    "404": "No such object in this project (or the project is not yours).",
    "405": "This endpoint does not take that method.",
    "409": "Someone saved first, or the object is busy; the body says which.",
    "413": "The upload is larger than the server accepts.",
    "415": "The body's content type is not one this endpoint reads.",
}


def document_error_responses(result: dict, generator: Any, request: Any, public: bool) -> dict:
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            for status, description in ERROR_STATUSES.items():
                responses.setdefault(status, {"description": description, "content": error})
    return result
