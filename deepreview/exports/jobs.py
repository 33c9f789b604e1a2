"""The dataset jobs' side of the app: what export and import jobs load and report.

Building (``services.export_build``) and importing (``importer.dataset_import``) stay
in the app: the ``deepreview export`` and ``import`` commands run the same bodies
in-process, without a worker.
"""

from __future__ import annotations

from deepreview.core.errors import ApplicationError
from deepreview.exports.models import DatasetExport, DatasetImport
from deepreview.jobs.kinds import DatasetExportResult, DatasetImportResult, JobDone
from deepreview.jobs.models import Job


def dataset_export_job_export(job: Job) -> DatasetExport:
    export = (
        DatasetExport.objects.filter(pk=job.params.get("export_id"))
        .select_related("project")
        .first()
    )
    if export is None:
        raise ApplicationError("The export was deleted before it was built.")
    return export


def dataset_export_result(*, export: DatasetExport, summary: dict) -> JobDone[DatasetExportResult]:
    size = summary["bytes"] / 1024**2
    return JobDone(
        {
            **summary,
            "export": export.pk,
        },
        message=f"{summary['faces']} faces from {summary['videos']} videos, "
        f"{summary['files']} files ({size:.1f} MiB); manifest {summary['manifest_sha256'][:12]}",
    )


def dataset_import_result(*, record: DatasetImport, summary: dict) -> JobDone[DatasetImportResult]:
    return JobDone(
        {
            **summary,
            "import": record.pk,
        },
        message=f"Imported {summary['videos']} videos and {summary['faces']} faces",
    )
