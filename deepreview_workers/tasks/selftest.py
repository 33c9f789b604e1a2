"""A worker self-test job: reports progress for a set time, optionally fails.

Operators queue it (admin or `manage.py worker_selftest`) to see that workers
on each queue are alive, report progress and honour cancel; the job-lifecycle
tests use it because its timing is exact.
"""

from __future__ import annotations

import time

from deepreview.core.errors import ApplicationError
from deepreview.jobs.kinds import JobDone, SelftestResult
from deepreview.jobs.models import Job
from deepreview_workers.pipeline.progress import ProgressCallback
from deepreview_workers.tasks.handlers import job_handler


@job_handler("selftest")
def selftest_job(job: Job, progress: ProgressCallback) -> JobDone[SelftestResult]:
    seconds = float(job.params.get("seconds", 2.0))
    steps = max(int(job.params.get("steps", 20)), 1)
    fail_at = job.params.get("fail_at")  # fraction at which to fail, for checks
    for step in range(steps + 1):
        fraction = step / steps
        if fail_at is not None and fraction >= float(fail_at):
            raise ApplicationError(f"Self-test failed on purpose at {fraction:.0%}.")
        progress(fraction, f"Self-test step {step}/{steps}")
        if step < steps:
            time.sleep(seconds / steps)
    return JobDone({"steps": steps, "seconds": seconds})
