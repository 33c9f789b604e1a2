"""The job lifecycle through a real Celery worker process and the real broker
(Redis in CI, the filesystem broker otherwise)."""

from __future__ import annotations

import os
import signal

import pytest
from django.urls import reverse

from deepreview.jobs import services
from deepreview.jobs.models import Job
from deepreview.media.models import MediaItem
from tests.conftest import wait_for
from tests.media_paths import PD_CLIP, needs_shared_media

pytestmark = pytest.mark.worker


def job_status(job_id: int) -> str:
    return Job.objects.get(pk=job_id).status


def selftest(project, **params) -> Job:  # noqa: ANN001, ANN003
    return services.job_create(project_id=project.pk, kind="selftest", queue="cpu", params=params)


@needs_shared_media
def test_upload_probe_job_succeeds(team, api_as, celery_worker_process):
    with PD_CLIP.open("rb") as handle:
        body = (
            api_as("curator")
            .post(
                reverse("media-list", args=[team.project.pk]), {"file": handle}, format="multipart"
            )
            .json()
        )
    job = Job.objects.get(media_id=body["id"])
    wait_for(lambda: job_status(job.pk) in ("succeeded", "failed"), 120, message="probe job")
    job.refresh_from_db()
    assert job.status == "succeeded", job.error + celery_worker_process.log()[-3000:]
    assert job.progress == 1.0 and job.worker_host.startswith("test-") and job.device == "cpu"
    item = MediaItem.objects.get(pk=body["id"])
    assert item.status == "ready" and item.poster and item.sprite and item.frame_pts
    assert item.sprite_meta["frame_indices"][0] == 0
    detail = api_as("viewer").get(reverse("media-detail", args=[team.project.pk, item.pk])).json()
    poster = api_as("viewer").get(detail["poster_url"])
    assert poster.status_code == 200 and poster["Content-Type"] == "image/jpeg"
    pts = api_as("viewer").get(detail["frame_pts_url"])
    assert len(b"".join(pts.streaming_content if pts.streaming else [pts.content])) > 10


def test_failure_is_recorded_with_its_message(db, team, celery_worker_process):
    job = selftest(team.project, seconds=2, steps=4, fail_at=0.5)
    wait_for(lambda: job_status(job.pk) == "failed", 60, message="failure")
    job.refresh_from_db()
    assert "failed on purpose at 50%" in job.error
    assert 0.2 <= job.progress < 0.5


def test_cancel_stops_a_running_job(db, team, celery_worker_process):
    job = selftest(team.project, seconds=30, steps=300)
    wait_for(lambda: Job.objects.get(pk=job.pk).progress > 0.01, 60, message="progress")
    services.job_request_cancel(job=Job.objects.get(pk=job.pk))
    wait_for(lambda: job_status(job.pk) == "cancelled", 30, message="cancel")
    assert Job.objects.get(pk=job.pk).progress < 0.5


def test_killed_pool_process_requeues_the_job(db, team, celery_worker_process):
    job = selftest(team.project, seconds=4, steps=40)
    wait_for(lambda: Job.objects.get(pk=job.pk).progress > 0.1, 60, message="progress")
    os.kill(Job.objects.get(pk=job.pk).worker_pid, signal.SIGKILL)
    # acks_late + reject_on_worker_lost: the broker redelivers, the job starts over.
    wait_for(lambda: job_status(job.pk) == "succeeded", 90, message="requeued run")
    job.refresh_from_db()
    assert job.attempts == 2


def test_killed_worker_machine_is_swept_to_failed(db, team, celery_worker_process):
    job = selftest(team.project, seconds=30, steps=300)
    wait_for(lambda: Job.objects.get(pk=job.pk).progress > 0.01, 60, message="progress")
    celery_worker_process.kill_all()
    assert job_status(job.pk) == "running"
    wait_for(lambda: services.job_sweep_stale(timeout_seconds=1) == 1, 10, message="sweep")
    job.refresh_from_db()
    assert job.status == "failed"
    assert "probably killed" in job.error and job.retry_safe
