"""Project-wide checks: migrations, schema, deploy settings, required services."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from tests.media_paths import SHARED_MEDIA, needs_shared_media

REPO = Path(__file__).resolve().parent.parent


def test_migrations_are_complete(db):
    call_command("makemigrations", "--check", "--dry-run", stdout=StringIO())


def test_openapi_schema_generates_without_warnings(db):
    from drf_spectacular.drainage import GENERATOR_STATS

    GENERATOR_STATS.reset()
    out = StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        call_command("spectacular", "--fail-on-warn", "--validate", stdout=out)
    assert "openapi: 3" in out.getvalue()
    assert "/api/projects/{project_pk}/media/" in out.getvalue()


def test_schema_and_offline_docs_are_served(client, django_user_model):
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    # Swagger UI's assets come from drf-spectacular-sidecar, not a CDN.
    assert b"cdn" not in docs.content.lower() and b"/static/drf_spectacular_sidecar" in docs.content


def _bare_environment() -> dict[str, str]:
    """The process environment without our settings or test-only switches."""
    dropped = ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
    return {
        k: v for k, v in os.environ.items() if not k.startswith("DEEPREVIEW_") and k not in dropped
    }


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = _bare_environment()
    env.update(
        DJANGO_SETTINGS_MODULE="deepreview.settings",
        DEEPREVIEW_DEBUG="false",
        DEEPREVIEW_SECRET_KEY="x" * 20 + "a-long-random-production-secret-key-9f8e7d6c5b4a",
        DEEPREVIEW_ALLOWED_HOSTS="review.example.org",
        DEEPREVIEW_DATA_DIR=str(tmp_path),
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret(tmp_path):
    env = _bare_environment()
    env.update(DJANGO_SETTINGS_MODULE="deepreview.settings", DEEPREVIEW_DATA_DIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "DEEPREVIEW_SECRET_KEY" in result.stderr


def test_ci_services_are_the_real_ones_when_asked_for():
    """CI sets DEEPREVIEW_REQUIRE_SERVICES: then Postgres and Redis must be in use."""
    if os.environ.get("DEEPREVIEW_REQUIRE_SERVICES") != "1":
        pytest.skip("plain developer run: embedded SQLite and filesystem broker")
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    import redis

    assert redis.Redis.from_url(settings.CELERY_BROKER_URL).ping()


def test_demo_without_shared_media_is_empty_and_says_how_to_add_media(
    db, django_user_model, settings, tmp_path
):
    from deepreview.demo.services import demo_status
    from deepreview.media.models import MediaItem
    from deepreview.projects.models import Project

    settings.SHARED_MEDIA_DIR = tmp_path / "no-shared-media"
    call_command("load_demo", stdout=StringIO(), stderr=StringIO())
    call_command("load_demo", stdout=StringIO(), stderr=StringIO())
    project = Project.objects.get(name__startswith="Demo")
    assert project.memberships.count() == 3  # the owner and two reviewers
    assert not MediaItem.objects.filter(project=project).exists()
    assert "DEEPREVIEW_SHARED_MEDIA" in project.description
    assert "upload" in project.description
    assert django_user_model.objects.get(username="demo-owner").check_password("deepreview-demo")
    # Nothing to build, and the build says so instead of waiting forever.
    state = demo_status(project=project)
    assert state["has_media"] is False and state["complete"] is False
    assert not project.jobs.exists()


@needs_shared_media
def test_demo_command_loads_the_shared_media_once_and_names_sources(db, settings, tmp_path):
    from deepreview.demo.services import DEMO_MEDIA, demo_status
    from deepreview.jobs.models import Job
    from deepreview.media.models import MediaItem
    from deepreview.projects.models import Project

    settings.SHARED_MEDIA_DIR = tmp_path / "no-shared-media"  # first an empty demo
    call_command("load_demo", stdout=StringIO(), stderr=StringIO())
    settings.SHARED_MEDIA_DIR = SHARED_MEDIA
    call_command("load_demo", stdout=StringIO())
    call_command("load_demo", stdout=StringIO())
    project = Project.objects.get(name__startswith="Demo")
    assert project.memberships.count() == 3
    media = MediaItem.objects.filter(project=project)
    assert media.count() == len(DEMO_MEDIA) == 8
    assert project.identities.count() == len({m.identity for m in DEMO_MEDIA}) == 7
    assert media.filter(origin="fake").count() == 1  # an external fake, scored beside the reals
    # Each file is probed once; the build waits for the probes (no worker runs here).
    assert Job.objects.filter(project=project, kind="probe").count() == 8
    assert Job.objects.filter(project=project).exclude(kind="probe").count() == 0
    steps = {s["name"]: s["status"] for s in demo_status(project=project)["steps"]}
    assert steps["media"] == "running" and steps["facesets"] == "waiting"
    # The description names every file's source and licence, as SOURCES.md gives them.
    description = project.description
    assert "DEEPREVIEW_SHARED_MEDIA" not in description
    for item in media:
        assert item.name in description
    for source in ("OpenTalker/SadTalker", "Reform-to/congress-photos", "ColorYourDream/FaceSwap"):
        assert source in description
    assert "17 U.S.C. 105" in description and "public domain" in description
    assert "no entry in SOURCES.md" not in description
