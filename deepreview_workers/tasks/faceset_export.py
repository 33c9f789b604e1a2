"""The faceset export job: a training-set zip stored as the job's artifact."""

from __future__ import annotations

from deepreview.core.storage import scratch_dir
from deepreview.facesets import jobs as faceset_jobs
from deepreview.facesets.export import faceset_export_zip
from deepreview.jobs.kinds import FacesetExportResult, JobDone
from deepreview.jobs.models import Job
from deepreview_workers.pipeline.progress import ProgressCallback
from deepreview_workers.tasks.handlers import job_handler


@job_handler("faceset_export")
def faceset_export_job(job: Job, progress: ProgressCallback) -> JobDone[FacesetExportResult]:
    faceset = faceset_jobs.faceset_export_job_faceset(job)
    with scratch_dir() as work:
        zip_path = work / "faceset.zip"
        summary = faceset_export_zip(faceset=faceset, out_path=zip_path, progress=progress)
        return faceset_jobs.faceset_export_record(
            faceset=faceset, job=job, zip_path=zip_path, summary=summary
        )
