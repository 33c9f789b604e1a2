"""The committed OpenAPI schema (frontend/openapi.json) is the one the code serves:
the frontend's TypeScript types are generated from it, so a stale file would let the
browser code and the API drift apart."""

from __future__ import annotations

import json
from pathlib import Path

from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "frontend" / "openapi.json"


def test_committed_schema_is_current():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    served = json.loads(OpenApiJsonRenderer().render(schema, renderer_context={}))
    committed = json.loads(SCHEMA_FILE.read_text())
    assert served == committed, (
        "frontend/openapi.json is stale: run scripts/api_schema.sh and rebuild the frontend"
    )
