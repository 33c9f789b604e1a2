"""The faceset export job: a training-set zip stored as the job's artifact."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage

from deepreview.core.errors import ApplicationError
from deepreview.facesets.export import faceset_export_zip
from deepreview.facesets.models import Faceset
from deepreview.jobs.models import Job
from deepreview_workers.pipeline.progress import ProgressCallback
from deepreview_workers.tasks.base import job_handler


@job_handler("faceset_export")
def faceset_export_job(job: Job, progress: ProgressCallback) -> dict:
    faceset = Faceset.objects.filter(pk=job.params.get("faceset_id")).first()
    if faceset is None:
        raise ApplicationError("The faceset was deleted before it could be exported.")
    with tempfile.TemporaryDirectory(dir=settings.FILE_UPLOAD_TEMP_DIR) as tmp:
        zip_path = Path(tmp) / "faceset.zip"
        summary = faceset_export_zip(faceset=faceset, out_path=zip_path, progress=progress)
        name = f"projects/{faceset.project_id}/facesets/{faceset.pk}/exports/job-{job.pk}.zip"
        default_storage.delete(name)  # a retried attempt replaces its partial file
        with zip_path.open("rb") as handle:
            stored = default_storage.save(name, File(handle))
        size = zip_path.stat().st_size
    return {
        **summary,
        "artifact": stored,
        "bytes": size,
        "summary_message": f"{summary['faces']} faces exported ({size / 1024**2:.1f} MiB)",
    }
