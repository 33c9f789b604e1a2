# syntax=docker/dockerfile:1
# deepreview: one image for web, migrate, Celery workers and beat.
#   docker build -t deepreview .
# Stage 1 builds the TypeScript/CSS bundle; stage 2 is the Python app.
# Base images are pinned to exact versions.

# ---- frontend ------------------------------------------------------------------
FROM node:20.20.2-bookworm-slim AS frontend
WORKDIR /build/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

# ---- app -----------------------------------------------------------------------
FROM python:3.11.15-slim-bookworm AS app

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DEEPREVIEW_DATA_DIR=/app/var

# Shared libraries the opencv and av wheels load at import time.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgl1 libglib2.0-0 \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 1000 deepreview \
    && useradd --system --uid 1000 --gid deepreview --home-dir /app --shell /usr/sbin/nologin deepreview

WORKDIR /app

# Dependencies first, from the lock (scripts/lock.sh: every package pinned with its
# hashes, for CPython 3.11 on x86_64 Linux), so code edits do not reinstall them. The
# worker lock holds runtime + the "ml" extra (torch, facenet-pytorch, dlib: what workers
# run), no test tools; web shares the image. --no-deps: nothing outside the lock gets in.
# torch comes from PyPI as locked: its Linux wheels are CUDA builds with NVIDIA's runtime
# libraries as wheels (nvidia-*), so this one image serves CPU workers and GPU workers.
COPY requirements/lock-worker.txt requirements/lock-worker.txt
RUN pip install --require-hashes --no-deps -r requirements/lock-worker.txt

COPY . .
# frontend/build.mjs writes the bundle into deepreview/web/static/ (app static).
COPY --from=frontend /build/deepreview/web/static ./deepreview/web/static

# Editable install: the package is importable from /app itself, so settings'
# BASE_DIR is /app and var/ resolves there, as in development.
# --no-build-isolation builds it with the locked setuptools instead of fetching one;
# pip check then fails the build if the lock misses a dependency.
RUN pip install --no-deps --no-build-isolation -e . \
    && pip check \
    && mkdir -p "$DEEPREVIEW_DATA_DIR/tmp" "$DEEPREVIEW_DATA_DIR/media" "$DEEPREVIEW_DATA_DIR/provenance" \
    && DEEPREVIEW_SECRET_KEY=build-only-not-a-secret python manage.py collectstatic --noinput \
    && chown -R deepreview:deepreview "$DEEPREVIEW_DATA_DIR"

USER deepreview
EXPOSE 8000

CMD ["gunicorn", "deepreview.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "120", "--access-logfile", "-"]
