"""Settings for the test suite: the app's settings with a test secret and a
scratch data folder. DATABASE_URL and CELERY_BROKER_URL pass through, so CI
runs the suite on Postgres and Redis."""

import os
from pathlib import Path

os.environ.setdefault(
    "DEEPREVIEW_SECRET_KEY", "tests-only-secret-key-not-for-production-use-0123456789"
)
os.environ.setdefault(
    "DEEPREVIEW_DATA_DIR", str(Path(__file__).resolve().parent.parent / "var" / "test")
)

from deepreview.settings import *  # noqa: E402, F403
from deepreview.settings import DATA_DIR, DATABASES  # noqa: E402

# Tests speak plain HTTP to the test client and live server.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests
JOB_PROGRESS_MIN_INTERVAL = 0.2
(DATA_DIR / "static").mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is absent

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory: worker processes started by the tests open the same database.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-db.sqlite3")}

# The worker processes the tests start store media where the test put it.
if os.environ.get("DEEPREVIEW_TEST_MEDIA_ROOT"):
    MEDIA_ROOT = os.environ["DEEPREVIEW_TEST_MEDIA_ROOT"]
    STORAGES["default"] = {  # noqa: F405
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": "/files/raw/"},
    }
