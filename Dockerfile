# syntax=docker/dockerfile:1
# deepreview: one image for web, migrate, Celery workers and beat.
#   docker build -t deepreview .
# Stage 1 builds the TypeScript/CSS bundle; stage 2 is the Python app.

# ---- frontend ------------------------------------------------------------------
FROM node:20-bookworm-slim AS frontend
WORKDIR /build/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

# ---- app -----------------------------------------------------------------------
FROM python:3.11-slim AS app

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

# Dependencies first, read from pyproject.toml, so code edits do not reinstall them.
COPY pyproject.toml ./
# The "ml" extra (torch, facenet-pytorch, dlib) is what workers run; web shares the image.
RUN python -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; print('\n'.join(p['dependencies'] + p['optional-dependencies']['ml']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# GPU worker: torch arrives in a later issue. Its CUDA wheels will come from a
# build arg such as TORCH_INDEX_URL (https://download.pytorch.org/whl/cu124),
# installed here before the app; CPU images keep the PyPI default.

COPY . .
COPY --from=frontend /build/frontend/dist ./frontend/dist

# Editable install: the package is importable from /app itself, so settings'
# BASE_DIR is /app and frontend/dist and var/ resolve there, as in development.
RUN pip install --no-deps -e . \
    && mkdir -p "$DEEPREVIEW_DATA_DIR/tmp" "$DEEPREVIEW_DATA_DIR/media" \
    && DEEPREVIEW_SECRET_KEY=build-only-not-a-secret python manage.py collectstatic --noinput \
    && chown -R deepreview:deepreview "$DEEPREVIEW_DATA_DIR"

USER deepreview
EXPOSE 8000

CMD ["gunicorn", "deepreview.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "120", "--access-logfile", "-"]
