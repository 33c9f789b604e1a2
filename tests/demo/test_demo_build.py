"""The demo build's rules without a worker: a failed step says so and is retried from
the API; a finished job moves the build on; a project that is not the demo has none.

The whole build through a real worker, page by page in a browser, is
tests/browser/test_demo.py.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from deepreview.demo import services as demo_services
from deepreview.jobs import services as job_services
from deepreview.jobs.models import Job
from deepreview.projects.models import Project
from tests.conftest import client_for
from tests.media_paths import SHARED_MEDIA, needs_shared_media

pytestmark = needs_shared_media


@pytest.fixture
def demo(db, settings) -> Project:
    settings.SHARED_MEDIA_DIR = SHARED_MEDIA
    call_command("load_demo", stdout=StringIO(), stderr=StringIO())
    return Project.objects.get(name=demo_services.DEMO_PROJECT)


def _steps(project: Project) -> dict[str, dict]:
    return {s["name"]: s for s in demo_services.demo_status(project=project)["steps"]}


def test_a_failed_step_says_why_and_is_retried_from_the_api(
    demo, django_capture_on_commit_callbacks
):
    probe = Job.objects.filter(project=demo, kind="probe").order_by("id").first()
    job_services.job_claim(job_id=probe.pk, worker_host="w", worker_pid=1, device="cpu")
    with django_capture_on_commit_callbacks(execute=True):
        job_services.job_fail(job_id=probe.pk, error="Decoder crashed on frame 3\ntraceback")
    media = _steps(demo)["media"]
    assert media["status"] == "failed"
    assert media["message"] == "This step failed: Decoder crashed on frame 3"

    owner = demo.memberships.get(role="owner").user
    reviewer = demo.memberships.filter(role="reviewer").first().user
    url = reverse("demo-retry", args=[demo.pk])
    assert client_for(reviewer).post(url).status_code == 403  # curators retry
    response = client_for(owner).post(url)
    assert response.status_code == 201
    [retried] = response.json()
    assert Job.objects.get(pk=retried["id"]).retry_of_id == probe.pk
    assert _steps(demo)["media"]["status"] == "running"
    # Retrying again finds nothing left to retry.
    assert client_for(owner).post(url).json() == []


def test_a_finished_job_moves_the_build_on(demo, django_capture_on_commit_callbacks, monkeypatch):
    calls = []
    monkeypatch.setattr(demo_services, "demo_advance", lambda project: calls.append(project.pk))
    probe = Job.objects.filter(project=demo, kind="probe").first()
    job_services.job_claim(job_id=probe.pk, worker_host="w", worker_pid=1, device="cpu")
    with django_capture_on_commit_callbacks(execute=True):
        job_services.job_succeed(job_id=probe.pk, result={})
    assert calls == [demo.pk]


def test_the_status_api_is_for_the_demo_only(demo, team):
    viewer = team.users["viewer"]
    response = client_for(viewer).get(reverse("demo-list", args=[team.project.pk]))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_demo"
    owner = demo.memberships.get(role="owner").user
    body = client_for(owner).get(reverse("demo-list", args=[demo.pk])).json()
    assert [s["name"] for s in body["steps"]] == [s.name for s in demo_services.STEPS]
    assert body["has_media"] is True and body["complete"] is False
