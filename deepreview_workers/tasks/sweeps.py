"""Housekeeping: the periodic sweeps (settings.CELERY_BEAT_SCHEDULE) and, when a worker
starts, failing the jobs a previous run of it left running."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_ready

from deepreview.core.storage import storage_sweep_orphans
from deepreview.jobs import services as job_services

logger = logging.getLogger(__name__)


@shared_task(name="deepreview.sweep_stale_jobs", ignore_result=True)
def sweep_stale_jobs() -> int:
    return job_services.job_sweep_stale()


@shared_task(name="deepreview.sweep_orphan_files", ignore_result=True)
def sweep_orphan_files() -> int:
    return storage_sweep_orphans()


@worker_ready.connect
def _fail_orphaned_jobs(sender: object = None, **kwargs: object) -> None:
    hostname = getattr(sender, "hostname", None)
    if hostname:
        failed = job_services.job_fail_orphans(worker_host=hostname)
        if failed:
            logger.warning("Failed %s job(s) left running by a previous %s", failed, hostname)
