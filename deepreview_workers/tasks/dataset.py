"""Dataset export and import jobs: thin wrappers around deepreview.exports."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.conf import settings

from deepreview.core.errors import ApplicationError
from deepreview.exports import services
from deepreview.exports.importer import IMPORT_JOB, dataset_import, import_job_record
from deepreview.exports.models import DatasetExport
from deepreview.jobs.models import Job
from deepreview.media.services import stored_local_path
from deepreview_workers.pipeline.dataset.splits import SplitError
from deepreview_workers.pipeline.progress import ProgressCallback
from deepreview_workers.tasks.base import job_handler


@job_handler(services.EXPORT_JOB)
def dataset_export_job(job: Job, progress: ProgressCallback) -> dict:
    export = (
        DatasetExport.objects.filter(pk=job.params.get("export_id"))
        .select_related("project")
        .first()
    )
    if export is None:
        raise ApplicationError("The export was deleted before it was built.")
    with tempfile.TemporaryDirectory(dir=settings.FILE_UPLOAD_TEMP_DIR) as tmp:
        zip_path = Path(tmp) / "export.zip"
        try:
            summary = services.export_build(export=export, out_zip=zip_path, progress=progress)
        except SplitError as exc:  # labels changed since the preview
            raise ApplicationError(str(exc)) from None
        progress(0.99, "Storing the zip")
        services.export_record(export=export, zip_path=zip_path, summary=summary)
    size = summary["bytes"] / 1024**2
    return {
        **summary,
        "export": export.pk,
        "summary_message": f"{summary['faces']} faces from {summary['videos']} videos, "
        f"{summary['files']} files ({size:.1f} MiB); manifest {summary['manifest_sha256'][:12]}",
    }


@job_handler(IMPORT_JOB)
def dataset_import_job(job: Job, progress: ProgressCallback) -> dict:
    record = import_job_record(job)
    with stored_local_path(record.upload) as zip_path:
        summary = dataset_import(record=record, zip_path=zip_path, progress=progress)
    return {
        **summary,
        "import": record.pk,
        "summary_message": f"Imported {summary['videos']} videos and {summary['faces']} faces",
    }
