#!/usr/bin/env bash
# The second command: set up the same environment and run the whole test suite.
# DATABASE_URL / CELERY_BROKER_URL, when set, point the suite at Postgres / Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/ensure_browser.sh
echo "==> ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "==> pytest"
exec .venv/bin/python -m pytest "$@"
