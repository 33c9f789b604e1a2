"""Thin Celery tasks: claim a job, call the pipeline with a progress adapter, save."""

# Importing the modules registers their job handlers.
from deepreview_workers.tasks import (  # noqa: F401
    dataset,
    detection,
    extract,
    faceset_export,
    probe,
    selftest,
    swap,
)
from deepreview_workers.tasks.base import run_job, sweep_stale_jobs  # noqa: F401
