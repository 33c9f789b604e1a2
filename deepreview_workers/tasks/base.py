"""The one Celery task that runs every job kind, and the progress adapter.

A job kind registers a handler (:mod:`deepreview_workers.tasks.handlers`); the handler
gets the claimed Job and a progress callback and returns the result dict. The task owns
the lifecycle: claim, heartbeat, cancel, success or failure.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import traceback

from celery import shared_task
from django.conf import settings

from deepreview.core.errors import ApplicationError
from deepreview.jobs import services as job_services
from deepreview_workers.extras import missing_ml_message, missing_ml_module
from deepreview_workers.pipeline.progress import Cancelled
from deepreview_workers.tasks.handlers import UNAVAILABLE, handler_for, registered_job_kinds

logger = logging.getLogger(__name__)


class JobProgress:
    """Progress callback bound to one job: throttled writes, cancel checks.

    Writes at most every JOB_PROGRESS_MIN_INTERVAL seconds (they double as the
    heartbeat); raises Cancelled when the user asked to cancel. ``stop_requested`` reads
    the same cancel flag for loops that stop cleanly instead (swap training).
    """

    STOP_CHECK_SECONDS = 2.0

    def __init__(self, job_id: int, min_interval: float | None = None) -> None:
        self.job_id = job_id
        self.min_interval = (
            settings.JOB_PROGRESS_MIN_INTERVAL if min_interval is None else min_interval
        )
        self._last_write = 0.0
        self._last_stop_check = 0.0

    def stop_requested(self) -> bool:
        """The job's cancel flag, read at most every STOP_CHECK_SECONDS (cheap to ask
        once per training iteration)."""
        now = time.monotonic()
        if now - self._last_stop_check < self.STOP_CHECK_SECONDS:
            return False
        self._last_stop_check = now
        return job_services.job_cancel_requested(job_id=self.job_id)

    def __call__(self, fraction: float, message: str) -> None:
        now = time.monotonic()
        if now - self._last_write < self.min_interval and fraction < 1.0:
            return
        self._last_write = now
        if job_services.job_report_progress(job_id=self.job_id, fraction=fraction, message=message):
            raise Cancelled(f"Job {self.job_id} was cancelled")


def _worker_identity(task: object) -> str:
    hostname = getattr(getattr(task, "request", None), "hostname", None)
    return hostname or socket.gethostname()


@shared_task(
    name="deepreview.run_job",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
)
def run_job(self, job_id: int) -> None:  # noqa: ANN001
    job = job_services.job_claim(
        job_id=job_id,
        worker_host=_worker_identity(self),
        worker_pid=os.getpid(),
        device=os.environ.get("DEEPREVIEW_DEVICE", "cpu"),
    )
    if job is None:
        logger.info("Job %s is not runnable (finished, cancelled or gone); skipped", job_id)
        return
    handler = handler_for(job.kind)
    if handler is None:
        if UNAVAILABLE:
            error = missing_ml_message(sorted(set(UNAVAILABLE.values()))[0], f"A '{job.kind}' job")
        else:
            error = (
                f"This worker has no handler for job kind '{job.kind}'. "
                f"It knows: {', '.join(registered_job_kinds())}. Update the worker and retry."
            )
        job_services.job_fail(job_id=job_id, error=error, message=error[:200], retry_safe=True)
        return
    try:
        done = handler(job, JobProgress(job_id))
    except Cancelled:
        job_services.job_mark_cancelled(job_id=job_id)
    except ApplicationError as exc:
        job_services.job_fail(job_id=job_id, error=exc.message, message=exc.message[:200])
    except Exception as exc:  # the job records every failure; the worker lives on
        if module := missing_ml_module(exc):  # a host installed without the "ml" extra
            error = missing_ml_message(module, f"A '{job.kind}' job")
            job_services.job_fail(job_id=job_id, error=error, message=error[:200])
            return
        logger.exception("Job %s (%s) failed", job_id, job.kind)
        job_services.job_fail(
            job_id=job_id,
            error=f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc(limit=8)}",
            message=f"{type(exc).__name__}: {exc}"[:200],
        )
    else:
        # The result is stored; the message is the jobs table's line ("No faces found").
        job_services.job_succeed(job_id=job_id, result=dict(done.result), message=done.message)
