#!/usr/bin/env bash
# Writes the OpenAPI schema the frontend's TypeScript types are generated from
# (frontend/openapi.json; `npm run build` turns it into src/api/schema.d.ts).
# tests/api/test_schema_file.py fails while the committed file is stale.
set -euo pipefail
cd "$(dirname "$0")/.."
DEEPREVIEW_DEBUG="${DEEPREVIEW_DEBUG:-true}" .venv/bin/python manage.py spectacular \
  --format openapi-json --file frontend/openapi.json
echo "wrote frontend/openapi.json"
