"""The faceset import job: a zip of faceswap or DeepFaceLab faces into a faceset."""

from __future__ import annotations

from deepreview.core.storage import scratch_dir, storage_get
from deepreview.facesets import jobs as faceset_jobs
from deepreview.jobs.kinds import FacesetImportResult, JobDone
from deepreview.jobs.models import Job
from deepreview_workers.pipeline.foreign_faces import (
    ForeignImportError,
    ImportOptions,
    import_foreign_faces,
)
from deepreview_workers.pipeline.progress import ProgressCallback, scaled
from deepreview_workers.tasks.handlers import job_handler, user_errors


@job_handler("faceset_import")
def faceset_import_job(job: Job, progress: ProgressCallback) -> JobDone[FacesetImportResult]:
    faceset, upload, format = faceset_jobs.faceset_import_job_inputs(job)
    with scratch_dir() as work:
        archive = storage_get(upload, work / "faces.zip")
        with user_errors(ForeignImportError):  # no readable face: the job's message says why
            result = import_foreign_faces(
                archive,
                work / "out",
                options=ImportOptions(format=format),
                progress=scaled(progress, 0.0, 0.9),
            )
        progress(0.9, f"Saving {result.summary['faces_imported']} faces")
        return faceset_jobs.faceset_import_record(faceset=faceset, job=job, result=result)
