"""Django settings. Everything configurable comes from the environment (see README).

The defaults run the whole app embedded: SQLite, local media storage and a
filesystem Celery broker, so no external service is needed.
"""

from pathlib import Path

import dj_database_url

from deepreview.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
# A source checkout keeps its data in <repo>/var; an installed package (BASE_DIR is then
# site-packages) keeps it in ./var under the directory the app is started from.
_DEFAULT_DATA_DIR = BASE_DIR / "var" if (BASE_DIR / "manage.py").is_file() else Path("var")
DATA_DIR = Path(env_str("DEEPREVIEW_DATA_DIR", str(_DEFAULT_DATA_DIR))).resolve()

DEBUG = env_bool("DEEPREVIEW_DEBUG", False)
# A secret is mandatory outside debug; the development key is never used in production.
SECRET_KEY = env_str(
    "DEEPREVIEW_SECRET_KEY",
    "dev-insecure-key-only-for-debug" if DEBUG else None,
    hint="required when DEEPREVIEW_DEBUG is off; for local development set DEEPREVIEW_DEBUG=true",
)
ALLOWED_HOSTS = env_list("DEEPREVIEW_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DEEPREVIEW_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "deepreview.core",
    "deepreview.projects",
    "deepreview.media",
    "deepreview.jobs",
    "deepreview.facesets",
    "deepreview.swaps",
    "deepreview.detection",
    "deepreview.review",
    "deepreview.exports",
    "deepreview.demo",
    "deepreview.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "deepreview.core.middleware.ApplicationErrorMiddleware",
    "deepreview.core.middleware.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "deepreview.urls"
WSGI_APPLICATION = "deepreview.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- database -------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'deepreview.sqlite3'}"),
        conn_max_age=env_int("DEEPREVIEW_DB_CONN_MAX_AGE", 0),
        # A kept connection is checked before reuse, so a restarted Postgres costs one retry.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web and worker write concurrently: WAL plus immediate transactions avoid
    # "database is locked" under the embedded default.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "project-list-page"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- static files: app static, including the built frontend ----------------
# frontend/build.mjs writes the bundle into deepreview/web/static/, so it travels as
# package data and the app-directories finder serves it.
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"

# --- media storage -----------------------------------------------------------
MEDIA_ROOT = DATA_DIR / "media"
# Never served directly: every file goes through a permission-checked view.
MEDIA_URL = "/files/raw/"
STORAGE_BACKEND = env_str("DEEPREVIEW_STORAGE", "local")
if STORAGE_BACKEND == "s3":
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("DEEPREVIEW_S3_BUCKET"),
            "endpoint_url": env_str("DEEPREVIEW_S3_ENDPOINT_URL", "") or None,
            "access_key": env_str("DEEPREVIEW_S3_ACCESS_KEY", "") or None,
            "secret_key": env_str("DEEPREVIEW_S3_SECRET_KEY", "") or None,
            "region_name": env_str("DEEPREVIEW_S3_REGION", "") or None,
            # Browsers fetch presigned URLs; they may need a different host than workers.
            "custom_domain": None,
            "url_protocol": "https:",
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": env_int("DEEPREVIEW_S3_URL_EXPIRE", 600),
            "file_overwrite": False,
        },
    }
elif STORAGE_BACKEND == "local":
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT), "base_url": MEDIA_URL},
    }
else:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"DEEPREVIEW_STORAGE={STORAGE_BACKEND!r}: use 'local' or 's3'.")
S3_PUBLIC_ENDPOINT_URL = env_str("DEEPREVIEW_S3_PUBLIC_ENDPOINT_URL", "")


def _origin(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


# Scripts from this site only; inline styles are allowed (Plotly and the API docs set
# them); media may come from the S3 host browsers fetch presigned URLs from.
_MEDIA_HOSTS = (
    " ".join(
        filter(None, {_origin(S3_PUBLIC_ENDPOINT_URL or env_str("DEEPREVIEW_S3_ENDPOINT_URL", ""))})
    )
    if STORAGE_BACKEND == "s3"
    else ""
)
CONTENT_SECURITY_POLICY = env_str(
    "DEEPREVIEW_CONTENT_SECURITY_POLICY",
    "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            f"img-src 'self' data: blob: {_MEDIA_HOSTS}".strip(),
            f"media-src 'self' blob: {_MEDIA_HOSTS}".strip(),
            f"connect-src 'self' {_MEDIA_HOSTS}".strip(),
            "worker-src 'self' blob:",
            "font-src 'self' data:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    ),
)
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- uploads -----------------------------------------------------------------
MAX_UPLOAD_BYTES = env_int("DEEPREVIEW_MAX_UPLOAD_BYTES", 2 * 1024**3)
# Larger uploads are hashed and probed by their probe job, not in the request.
PROBE_IN_REQUEST_MAX_BYTES = env_int("DEEPREVIEW_PROBE_IN_REQUEST_MAX_BYTES", 256 * 1024**2)
FILE_UPLOAD_TEMP_DIR = str(DATA_DIR / "tmp")
# Uploads stream to a temporary file in chunks, never into memory; the size
# limit is enforced while the body arrives.
FILE_UPLOAD_HANDLERS = [
    "deepreview.media.upload_handlers.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
ALLOWED_VIDEO_CODECS = env_list("DEEPREVIEW_ALLOWED_VIDEO_CODECS", [])  # empty: pipeline default
SPRITE_MAX_TILES = env_int("DEEPREVIEW_SPRITE_MAX_TILES", 240)
# The installation's C2PA signing key (made on first use; back it up, README "Provenance").
# Every worker that converts or probes must see the same folder.
PROVENANCE_DIR = Path(env_str("DEEPREVIEW_PROVENANCE_DIR", "") or DATA_DIR / "provenance").resolve()
# Real media kept outside the repository (nothing borrowed is committed): `load_demo`
# fills the demo project from it when it is there; the tests and benches read it too.
SHARED_MEDIA_DIR = Path(
    env_str("DEEPREVIEW_SHARED_MEDIA", "") or BASE_DIR.parent / "shared" / "media"
).resolve()
# The demo's swap model trains this many iterations (a few minutes on a 2-core CPU).
DEMO_SWAP_ITERATIONS = env_int("DEEPREVIEW_DEMO_SWAP_ITERATIONS", 2000)

# --- celery ------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = DATA_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }
else:
    # Long jobs (training) must not be redelivered while still running; dead
    # workers are detected by the job heartbeat sweep instead.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("DEEPREVIEW_BROKER_VISIBILITY_TIMEOUT", 12 * 3600)
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "cpu"
CELERY_TASK_ALWAYS_EAGER = env_bool("DEEPREVIEW_CELERY_EAGER", False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE = {
    "sweep-stale-jobs": {
        "task": "deepreview.sweep_stale_jobs",
        "schedule": env_int("DEEPREVIEW_JOB_SWEEP_INTERVAL", 60),
        "options": {"queue": "io"},
    },
    # Files a job wrote after its project or faceset was deleted.
    "sweep-orphan-files": {
        "task": "deepreview.sweep_orphan_files",
        "schedule": env_int("DEEPREVIEW_STORAGE_SWEEP_INTERVAL", 3600),
        "options": {"queue": "io"},
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")

# --- jobs --------------------------------------------------------------------
JOB_HEARTBEAT_TIMEOUT = env_int("DEEPREVIEW_JOB_HEARTBEAT_TIMEOUT", 300)
JOB_MAX_ATTEMPTS = env_int("DEEPREVIEW_JOB_MAX_ATTEMPTS", 3)
JOB_PROGRESS_MIN_INTERVAL = float(env_str("DEEPREVIEW_JOB_PROGRESS_INTERVAL", "0.5"))

# --- API ---------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_METADATA_CLASS": "deepreview.core.metadata.EndpointMetadata",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first so an anonymous API call answers 401 with WWW-Authenticate.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "deepreview.core.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "deepreview.core.exceptions.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "deepreview API",
    "DESCRIPTION": "Projects, media, jobs, facesets, swap models, detection and review.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Every operation documents the error answers it can give, in the one error shape.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "deepreview.core.schema.document_error_responses",
    ],
    # Several models have a "status": name each choice set once.
    "ENUM_NAME_OVERRIDES": {
        "JobStatusEnum": "deepreview.jobs.models.JobStatus",
        "MediaStatusEnum": "deepreview.media.models.MediaStatus",
        "SwapStatusEnum": "deepreview.swaps.models.SwapStatus",
        "ReviewLabelEnum": "deepreview.review.models.ReviewLabel",
        "GoldLabelEnum": [("real", "Real"), ("fake", "Fake")],
    },
}

# --- security (production: DEBUG off) -----------------------------------------
# Cookies only over HTTPS outside debug; a plain-HTTP trial deployment on a
# host other than localhost sets DEEPREVIEW_SECURE_COOKIES=false.
SESSION_COOKIE_SECURE = env_bool("DEEPREVIEW_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("DEEPREVIEW_SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("DEEPREVIEW_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if env_bool("DEEPREVIEW_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("DEEPREVIEW_LOG_LEVEL", "INFO")},
}
