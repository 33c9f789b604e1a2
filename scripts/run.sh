#!/usr/bin/env bash
# The first command: set up, migrate, load the demo and run the app embedded:
# SQLite, local media storage and a Celery worker on a filesystem broker.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

export DEEPREVIEW_DEBUG="${DEEPREVIEW_DEBUG:-true}"
PORT="${PORT:-8000}"
PY=.venv/bin/python

echo "==> migrating the database"
$PY manage.py migrate --noinput >/dev/null
$PY manage.py collectstatic --noinput >/dev/null
echo "==> loading the demo project"
$PY manage.py load_demo

echo "==> starting the worker"
.venv/bin/celery -A deepreview worker -B -Q cpu,io,gpu --concurrency 1 -n embedded@%h \
  --loglevel INFO --logfile var/worker.log &
WORKER=$!
trap 'kill $WORKER 2>/dev/null; wait $WORKER 2>/dev/null' EXIT INT TERM

cat <<MSG

  deepreview is running at http://127.0.0.1:${PORT}/
  Sign in as demo-owner / deepreview-demo (owner) or demo-reviewer / deepreview-demo (reviewer);
  demo-admin / deepreview-demo opens /admin/. API docs: http://127.0.0.1:${PORT}/api/docs/
  Worker log: var/worker.log. Stop with Ctrl-C.

MSG
$PY manage.py runserver "0.0.0.0:${PORT}" --noreload
