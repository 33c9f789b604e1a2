"""The job state machine. Every change is a conditional UPDATE on status.

queued -> running -> succeeded | failed | cancelled; queued -> cancelled.
A worker that lost a race (the job was cancelled or swept meanwhile) finds
zero rows updated and drops its result instead of overwriting the state.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from deepreview.core.errors import ApplicationError
from deepreview.jobs.kinds import job_queue
from deepreview.jobs.models import FINAL_STATUSES, Job, JobStatus
from deepreview.jobs.signals import job_finished

logger = logging.getLogger(__name__)

RUN_JOB_TASK = "deepreview.run_job"


def _enqueue(job: Job) -> None:
    # After commit, so the worker never looks for a row that is not there yet.
    transaction.on_commit(
        lambda: current_app.send_task(RUN_JOB_TASK, args=[job.pk], queue=job.queue)
    )


def job_create(
    *,
    project_id: int,
    kind: str,
    queue: str | None = None,
    params: dict | None = None,
    media_id: int | None = None,
    created_by: AbstractBaseUser | None = None,
    retry_of: Job | None = None,
) -> Job:
    """Create a job and queue it once the transaction commits. Its queue is the kind's
    (``deepreview.jobs.kinds``) unless ``queue`` overrides it."""
    job = Job.objects.create(
        project_id=project_id,
        kind=kind,
        queue=queue or job_queue(kind),
        params=params or {},
        media_id=media_id,
        created_by=created_by if created_by and created_by.is_authenticated else None,
        retry_of=retry_of,
        message="Waiting for a worker",
    )
    _enqueue(job)
    return job


def job_claim(*, job_id: int, worker_host: str, worker_pid: int, device: str) -> Job | None:
    """Mark the job running for this worker; None when it must not run.

    A job found "running" is a redelivery after its worker died (acks_late):
    it is claimed again until JOB_MAX_ATTEMPTS, then failed with the reason.
    """
    now = timezone.now()
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status in FINAL_STATUSES:
            return None
        if job.cancel_requested:
            _set_final(job_id, JobStatus.CANCELLED, message="Cancelled before it ran")
            return None
        if job.attempts >= settings.JOB_MAX_ATTEMPTS:
            _set_final(
                job_id,
                JobStatus.FAILED,
                message="Worker lost",
                error=(
                    f"The worker running this job stopped {job.attempts} times "
                    f"(last: {job.worker_host or 'unknown host'}); it was not started again. "
                    "Retry is safe: the job starts over from the beginning."
                ),
            )
            return None
        redelivered = job.status == JobStatus.RUNNING
        Job.objects.filter(pk=job_id).update(
            status=JobStatus.RUNNING,
            attempts=F("attempts") + 1,
            started_at=job.started_at or now,
            heartbeat_at=now,
            worker_host=worker_host,
            worker_pid=worker_pid,
            device=device,
            message="Restarted after the worker was lost" if redelivered else "Started",
            error="",
        )
    return Job.objects.get(pk=job_id)


def job_report_progress(*, job_id: int, fraction: float, message: str) -> bool:
    """Record progress (also the heartbeat). Returns True when cancel was requested."""
    now = timezone.now()
    fraction = min(max(fraction, 0.0), 1.0)
    row = Job.objects.filter(pk=job_id).values("started_at", "cancel_requested", "status").first()
    if row is None or row["status"] != JobStatus.RUNNING:
        return True  # swept or cancelled meanwhile: stop working on it
    eta = None
    if row["started_at"] and fraction > 0.01:
        elapsed = (now - row["started_at"]).total_seconds()
        eta = elapsed / fraction * (1.0 - fraction)
    Job.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(
        progress=fraction, message=message[:500], eta_seconds=eta, heartbeat_at=now
    )
    return row["cancel_requested"]


def job_cancel_requested(*, job_id: int) -> bool:
    """Whether someone asked the job to stop (the flag ``job_report_progress`` returns),
    for work that stops cleanly between steps rather than at a progress report."""
    return Job.objects.filter(pk=job_id, cancel_requested=True).exists()


def _set_final(
    job_id: int, status: str, *, only_from: tuple[str, ...] | None = None, **fields
) -> bool:  # noqa: ANN003
    qs = Job.objects.filter(pk=job_id).exclude(status__in=FINAL_STATUSES)
    if only_from:
        qs = qs.filter(status__in=only_from)
    fields.setdefault("eta_seconds", None)
    updated = qs.update(status=status, finished_at=timezone.now(), **fields) == 1
    if updated:
        transaction.on_commit(lambda: _announce_finished(job_id, status))
    return updated


def _announce_finished(job_id: int, status: str) -> None:
    row = Job.objects.filter(pk=job_id).values_list("project_id", "kind").first()
    if row is None:
        return
    project_id, kind = row
    # Robust: a listener's fault is logged (django.dispatch) and never fails the job.
    job_finished.send_robust(
        sender=Job, job_id=job_id, project_id=project_id, kind=kind, status=status
    )


def job_succeed(*, job_id: int, result: dict, message: str = "Done") -> bool:
    return _set_final(
        job_id,
        JobStatus.SUCCEEDED,
        only_from=(JobStatus.RUNNING,),
        result=result,
        progress=1.0,
        message=message,
    )


def job_fail(*, job_id: int, error: str, retry_safe: bool = True, message: str = "Failed") -> bool:
    return _set_final(
        job_id, JobStatus.FAILED, error=error, retry_safe=retry_safe, message=message[:500]
    )


def job_mark_cancelled(*, job_id: int) -> bool:
    return _set_final(job_id, JobStatus.CANCELLED, message="Cancelled")


def job_request_cancel(*, job: Job) -> Job:
    """Queued jobs are cancelled at once; running ones stop at their next progress report."""
    if job.status in FINAL_STATUSES:
        raise ApplicationError(
            f"The job already {job.status}; there is nothing to cancel.",
            code="job_finished",
            status=409,
        )
    Job.objects.filter(pk=job.pk).update(cancel_requested=True)
    if not _set_final(
        job.pk, JobStatus.CANCELLED, only_from=(JobStatus.QUEUED,), message="Cancelled"
    ):
        Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(message="Cancelling…")
    job.refresh_from_db()
    return job


def job_retry(*, job: Job, user: AbstractBaseUser) -> Job:
    if job.status not in (JobStatus.FAILED, JobStatus.CANCELLED):
        raise ApplicationError(
            f"Only failed or cancelled jobs can be retried; this one is {job.status}.",
            code="job_not_retryable",
            status=409,
        )
    return job_create(
        project_id=job.project_id,
        kind=job.kind,
        queue=job.queue,
        params=job.params,
        media_id=job.media_id,
        created_by=user,
        retry_of=job,
    )


def job_sweep_stale(*, timeout_seconds: int | None = None) -> int:
    """Fail running jobs whose heartbeat stopped; returns how many were failed.

    Progress reports are the heartbeat, so a job silent for longer than the
    timeout has lost its worker (killed, machine gone, network cut).
    """
    timeout = timeout_seconds if timeout_seconds is not None else settings.JOB_HEARTBEAT_TIMEOUT
    cutoff = timezone.now() - timedelta(seconds=timeout)
    swept = 0
    stale = Job.objects.filter(status=JobStatus.RUNNING, heartbeat_at__lt=cutoff)
    for job in stale.only("pk", "worker_host", "cancel_requested", "heartbeat_at"):
        if job.cancel_requested:
            done = job_mark_cancelled(job_id=job.pk)
        else:
            silent = int((timezone.now() - job.heartbeat_at).total_seconds())
            done = _set_final(
                job.pk,
                JobStatus.FAILED,
                only_from=(JobStatus.RUNNING,),
                message="Worker lost",
                error=(
                    f"No progress from worker {job.worker_host or '?'} for {silent} s: it was "
                    "probably killed or lost its connection. Retry is safe: the job starts over."
                ),
                retry_safe=True,
            )
        if done:
            swept += 1
            logger.warning("Swept stale job %s", job.pk)
    return swept


def job_fail_orphans(*, worker_host: str) -> int:
    """Fail jobs a worker of this name was running when it died.

    Called when a worker starts: worker names are unique among live workers,
    so a job still "running" under this name lost its process.
    """
    orphans = Job.objects.filter(status=JobStatus.RUNNING, worker_host=worker_host)
    count = 0
    for job_id in orphans.values_list("pk", flat=True):
        count += _set_final(
            job_id,
            JobStatus.FAILED,
            only_from=(JobStatus.RUNNING,),
            message="Worker restarted",
            error=(
                f"Worker {worker_host} restarted while running this job. "
                "Retry is safe: the job starts over."
            ),
        )
    return count
