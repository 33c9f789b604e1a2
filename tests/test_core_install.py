"""The web app and API run on a core install (no ``ml`` extra); ML jobs then fail with
a message that names the extra. A host without the extra is made real by
tests/without_ml/sitecustomize.py: torch, cv2, dlib and the rest fail to import there."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from deepreview.jobs import services
from deepreview.jobs.models import Job
from deepreview_workers.extras import ML_MODULES
from tests.conftest import start_worker, wait_for
from tests.media_paths import REPO_ROOT

WITHOUT_ML = str(REPO_ROOT / "tests" / "without_ml")

# Modules of the web package that run only on workers: none (job bodies live in
# deepreview_workers/); everything under deepreview/ must import without the extra.
WORKER_ONLY_MODULES: set[str] = set()

WEB_APP = f"""
import importlib, pkgutil, sys
import django
django.setup()
from django.test import Client
from django.test.utils import setup_test_environment
from django.urls import get_resolver

import deepreview

get_resolver().url_patterns  # imports every view, serializer and service behind a URL
for info in pkgutil.walk_packages(deepreview.__path__, "deepreview."):
    if ".migrations" not in info.name and info.name not in {sorted(WORKER_ONLY_MODULES)!r}:
        importlib.import_module(info.name)
setup_test_environment()
schema = Client().get("/api/schema/")
assert schema.status_code == 200, schema.status_code
loaded = sorted({{name.split(".")[0] for name in sys.modules}} & set({sorted(ML_MODULES)!r}))
print("ml modules loaded:", loaded)
"""


def without_ml_env() -> dict[str, str]:
    path = os.pathsep.join(filter(None, [WITHOUT_ML, os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, "DJANGO_SETTINGS_MODULE": "tests.settings"}


def test_the_blocker_really_blocks():
    run = subprocess.run(
        [sys.executable, "-c", "import cv2"], env=without_ml_env(), capture_output=True, text=True
    )
    assert run.returncode != 0 and "No module named 'cv2'" in run.stderr


def test_web_app_and_schema_import_nothing_from_the_ml_extra():
    run = subprocess.run(
        [sys.executable, "-c", WEB_APP],
        env=without_ml_env(),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "ml modules loaded: []" in run.stdout


@pytest.mark.worker
def test_ml_job_on_a_worker_without_the_extra_names_it(transactional_db, team, tmp_path, settings):
    worker = start_worker(tmp_path, settings.MEDIA_ROOT, env={"PYTHONPATH": WITHOUT_ML})
    try:
        assert "unavailable: no " in worker.log()  # the worker says so when it starts
        extract = services.job_create(
            project_id=team.project.pk, kind="extract", queue="cpu", params={}
        )
        probe_like = services.job_create(
            project_id=team.project.pk, kind="selftest", queue="cpu", params={"seconds": 0.2}
        )
        wait_for(
            lambda: (
                Job.objects.filter(
                    pk__in=[extract.pk, probe_like.pk], status__in=["failed", "succeeded"]
                ).count()
                == 2
            ),
            90,
            message="both jobs to finish",
        )
    finally:
        worker.process.terminate()
        worker.process.wait(timeout=30)
    extract.refresh_from_db()
    assert extract.status == "failed" and extract.retry_safe
    assert "pip install 'deepreview[ml]'" in extract.error and "'extract' job" in extract.error
    # Jobs that need nothing from the extra still run there.
    assert Job.objects.get(pk=probe_like.pk).status == "succeeded"
