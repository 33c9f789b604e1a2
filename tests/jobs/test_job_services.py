"""The job state machine, without a worker: conditional updates and the sweep."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from deepreview.core.errors import ApplicationError
from deepreview.jobs import services
from deepreview.jobs.models import Job
from tests.factories import JobFactory, ProjectFactory


@pytest.fixture
def job(db):
    return JobFactory(project=ProjectFactory())


def claim(job_id: int):  # noqa: ANN201
    return services.job_claim(job_id=job_id, worker_host="w@test", worker_pid=1, device="cpu")


def test_claim_progress_succeed(job):
    claimed = claim(job.pk)
    assert claimed.status == "running" and claimed.attempts == 1 and claimed.started_at
    assert services.job_report_progress(job_id=job.pk, fraction=0.5, message="half") is False
    job.refresh_from_db()
    assert job.progress == 0.5 and job.message == "half" and job.heartbeat_at
    assert services.job_succeed(job_id=job.pk, result={"n": 1})
    job.refresh_from_db()
    assert (job.status, job.progress, job.result) == ("succeeded", 1.0, {"n": 1})
    assert job.finished_at >= job.started_at


def test_cancel_queued_is_immediate_and_worker_skips_it(job):
    services.job_request_cancel(job=job)
    job.refresh_from_db()
    assert job.status == "cancelled"
    assert claim(job.pk) is None


def test_cancel_running_is_seen_at_next_progress(job):
    claim(job.pk)
    services.job_request_cancel(job=Job.objects.get(pk=job.pk))
    assert Job.objects.get(pk=job.pk).status == "running"
    assert services.job_report_progress(job_id=job.pk, fraction=0.3, message="x") is True
    services.job_mark_cancelled(job_id=job.pk)
    assert Job.objects.get(pk=job.pk).status == "cancelled"


def test_late_success_never_overwrites_cancel(job):
    claim(job.pk)
    services.job_request_cancel(job=Job.objects.get(pk=job.pk))
    services.job_mark_cancelled(job_id=job.pk)
    assert services.job_succeed(job_id=job.pk, result={}) is False
    assert Job.objects.get(pk=job.pk).status == "cancelled"


def test_cancel_finished_job_is_a_conflict(job):
    claim(job.pk)
    services.job_succeed(job_id=job.pk, result={})
    with pytest.raises(ApplicationError) as err:
        services.job_request_cancel(job=Job.objects.get(pk=job.pk))
    assert err.value.status == 409


def test_redelivered_job_is_claimed_again_until_max_attempts(job, settings):
    settings.JOB_MAX_ATTEMPTS = 2
    assert claim(job.pk).attempts == 1
    again = claim(job.pk)  # the broker redelivered after the worker died
    assert again.attempts == 2 and again.message.startswith("Restarted")
    assert claim(job.pk) is None
    job.refresh_from_db()
    assert job.status == "failed"
    assert "stopped 2 times" in job.error and "Retry is safe" in job.error


def test_sweep_fails_jobs_whose_heartbeat_stopped(job):
    claim(job.pk)
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=600))
    fresh = JobFactory(project=job.project)
    claim(fresh.pk)
    assert services.job_sweep_stale(timeout_seconds=300) == 1
    job.refresh_from_db()
    assert job.status == "failed" and "No progress from worker w@test" in job.error
    assert job.retry_safe
    assert Job.objects.get(pk=fresh.pk).status == "running"


def test_restarted_worker_fails_the_jobs_it_left_running(job):
    claim(job.pk)
    other = JobFactory(project=job.project)
    services.job_claim(job_id=other.pk, worker_host="other@test", worker_pid=2, device="cpu")
    assert services.job_fail_orphans(worker_host="w@test") == 1
    job.refresh_from_db()
    assert job.status == "failed" and "restarted while running" in job.error
    assert Job.objects.get(pk=other.pk).status == "running"


def test_retry_creates_a_linked_job(job):
    claim(job.pk)
    services.job_fail(job_id=job.pk, error="boom")
    new = services.job_retry(job=Job.objects.get(pk=job.pk), user=None)
    assert new.retry_of_id == job.pk and new.status == "queued" and new.kind == job.kind


def test_retry_running_job_is_a_conflict(job):
    claim(job.pk)
    with pytest.raises(ApplicationError):
        services.job_retry(job=Job.objects.get(pk=job.pk), user=None)


def test_jobs_api_filters_and_shapes(team, api_as):
    JobFactory(project=team.project, status="failed", error="x")
    JobFactory(project=team.project, status="queued")
    JobFactory()  # another project's job never shows
    url = reverse("job-list", args=[team.project.pk])
    body = api_as("viewer").get(url).json()
    assert body["count"] == 2
    assert {"progress", "eta_seconds", "worker_host", "cancel_requested"} <= set(body["results"][0])
    failed = api_as("viewer").get(url, {"status": "failed"}).json()
    assert [j["status"] for j in failed["results"]] == ["failed"]


def test_api_errors_have_one_shape(team, api_as):
    job = JobFactory(project=team.project, status="succeeded")
    response = api_as("curator").post(reverse("job-cancel", args=[team.project.pk, job.pk]))
    assert response.status_code == 409
    assert set(response.json()["error"]) >= {"code", "message"}
    assert (
        api_as("anon").get(reverse("project-list")).json()["error"]["code"] == "not_authenticated"
    )
