"""Dataset export and import jobs: thin wrappers around deepreview.exports."""

from __future__ import annotations

from deepreview.core.storage import scratch_dir, stored_local_path
from deepreview.exports import jobs as dataset_jobs
from deepreview.exports import services
from deepreview.exports.importer import IMPORT_JOB, dataset_import, import_job_record
from deepreview.jobs.kinds import DatasetExportResult, DatasetImportResult, JobDone
from deepreview.jobs.models import Job
from deepreview_workers.pipeline.dataset.splits import SplitError
from deepreview_workers.pipeline.progress import ProgressCallback
from deepreview_workers.tasks.handlers import job_handler, user_errors


@job_handler(services.EXPORT_JOB)
def dataset_export_job(job: Job, progress: ProgressCallback) -> JobDone[DatasetExportResult]:
    export = dataset_jobs.dataset_export_job_export(job)
    with scratch_dir() as work:
        zip_path = work / "export.zip"
        with user_errors(SplitError):  # labels changed since the preview
            summary = services.export_build(export=export, out_zip=zip_path, progress=progress)
        progress(0.99, "Storing the zip")
        services.export_record(export=export, zip_path=zip_path, summary=summary)
    return dataset_jobs.dataset_export_result(export=export, summary=summary)


@job_handler(IMPORT_JOB)
def dataset_import_job(job: Job, progress: ProgressCallback) -> JobDone[DatasetImportResult]:
    record = import_job_record(job)
    with stored_local_path(record.upload) as zip_path:
        summary = dataset_import(record=record, zip_path=zip_path, progress=progress)
    return dataset_jobs.dataset_import_result(record=record, summary=summary)
