#!/usr/bin/env bash
# Re-makes the locks from pyproject.toml with `uv pip compile`, for CPython 3.11 on
# x86_64 Linux, with hashes. Run it after editing a dependency in pyproject.toml, then
# commit pyproject.toml and requirements/ together (tests/test_lock.py checks they agree).
#   scripts/lock.sh                   # keep every pin that still fits pyproject.toml
#   scripts/lock.sh --upgrade-package NAME   # move one package to its newest allowed version
#   scripts/lock.sh --upgrade         # move everything (read the diff before committing)
set -euo pipefail
cd "$(dirname "$0")/.."

UV="${UV:-$(command -v uv || echo .venv/bin/uv)}"
common=(--python-version 3.11 --python-platform x86_64-manylinux_2_28 --generate-hashes
        --constraint requirements/constraints.txt --no-emit-index-url --quiet "$@")

# Everything the test command and the workers install: runtime + ml + dev.
"$UV" pip compile pyproject.toml --extra ml --extra dev "${common[@]}" \
  --custom-compile-command scripts/lock.sh -o requirements/lock.txt
# What a deployed web + worker image runs: runtime + ml, no test tools (the Dockerfile).
"$UV" pip compile pyproject.toml --extra ml "${common[@]}" \
  --custom-compile-command scripts/lock.sh -o requirements/lock-worker.txt
# The web app and API alone (`pip install deepreview` without extras).
"$UV" pip compile pyproject.toml "${common[@]}" \
  --custom-compile-command scripts/lock.sh -o requirements/lock-web.txt
echo "locks written: requirements/lock.txt, lock-worker.txt, lock-web.txt"
