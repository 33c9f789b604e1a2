"""A failed or cancelled import leaves no project behind."""

from __future__ import annotations

from deepreview.jobs.models import JobStatus
from deepreview.jobs.signals import job_finished


def _discard_failed_import(
    sender: object, *, job_id: int, kind: str, status: str, **kwargs: object
) -> None:
    from deepreview.exports.importer import IMPORT_JOB, import_discard

    if kind == IMPORT_JOB and status in (JobStatus.FAILED, JobStatus.CANCELLED):
        import_discard(job_id=job_id, status=status)


job_finished.connect(_discard_failed_import, dispatch_uid="deepreview.exports.discard_import")
