#!/usr/bin/env bash
# Sets up everything both commands need: the virtual environment with the
# Python dependencies, the npm dependencies and the frontend build.
# Safe to run again: each step is skipped when its inputs have not changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null || PYTHON=python3
VENV=.venv
LOCK=requirements/lock.txt
STAMP="$VENV/.installed-$(cat "$LOCK" pyproject.toml | sha256sum | cut -c1-16)"

if [ ! -x "$VENV/bin/python" ]; then
  echo "==> creating virtual environment ($("$PYTHON" --version))"
  "$PYTHON" -m venv "$VENV"
fi
if [ ! -f "$STAMP" ]; then
  echo "==> installing Python dependencies from $LOCK"
  # Exact versions and hashes from the lock, never what the index offers today; the
  # project itself goes in editable and without dependencies (they are all in the lock).
  "$VENV/bin/python" -m pip install --quiet --require-hashes --no-deps -r "$LOCK"
  "$VENV/bin/python" -m pip install --quiet --no-deps --no-build-isolation -e .
  rm -f "$VENV"/.installed-* && touch "$STAMP"
fi

FRONT_STAMP="frontend/node_modules/.installed-$(sha256sum frontend/package-lock.json | cut -c1-16)"
if [ ! -f "$FRONT_STAMP" ]; then
  echo "==> installing npm dependencies"
  (cd frontend && npm ci --no-audit --no-fund --loglevel=error)
  touch "$FRONT_STAMP"
fi
echo "==> building the frontend"
(cd frontend && npm run --silent build)
