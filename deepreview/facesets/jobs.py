"""The faceset jobs' side of the app: what extraction and faceset export load and record.

The tasks (``deepreview_workers.tasks.extract``, ``.faceset_export``) call these and
the pipeline.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from deepreview.core.errors import ApplicationError
from deepreview.core.storage import faceset_folder, storage_delete_tree, storage_put
from deepreview.facesets.models import Faceset
from deepreview.facesets.services import faceset_add_extracted, faceset_add_imported
from deepreview.jobs.kinds import ExtractResult, FacesetExportResult, FacesetImportResult, JobDone
from deepreview.jobs.models import Job
from deepreview.media.models import MediaItem

if TYPE_CHECKING:  # the pipeline's result; the web host need not load torch
    from deepreview_workers.pipeline.extract import ExtractionResult
    from deepreview_workers.pipeline.foreign_faces import ForeignImportResult


def extract_job_inputs(job: Job) -> tuple[MediaItem, Faceset]:
    item = MediaItem.objects.filter(pk=job.media_id).first()
    faceset = Faceset.objects.filter(pk=job.params.get("faceset_id")).first()
    if item is None or faceset is None:
        raise ApplicationError("The media item or faceset was deleted before extraction ran.")
    return item, faceset


def extract_record(
    *,
    faceset: Faceset,
    item: MediaItem,
    job: Job,
    result: ExtractionResult,
    out_dir: Path,
    start_frame: int,
) -> JobDone[ExtractResult]:
    """Add the faces to the faceset and store the alignments file (one per segment);
    keeps nothing when the faceset was deleted while the job ran."""
    saved = faceset_add_extracted(
        faceset=faceset, media=item, job=job, faces=result.faces, out_dir=out_dir
    )
    segment = f"_{start_frame:07d}" if start_frame else ""
    folder = f"{faceset_folder(faceset.project_id, faceset.pk)}/{item.pk}"
    stored = storage_put(result.alignments_path, f"{folder}/alignments{segment}.json")
    if not Faceset.objects.filter(pk=faceset.pk).exists():  # deleted while this ran
        storage_delete_tree(faceset_folder(faceset.project_id, faceset.pk))
        raise ApplicationError("The faceset was deleted while extraction ran; nothing was kept.")
    summary = result.summary.as_dict()
    summary.update(faces_saved=saved, alignments=stored)
    sampled = summary.get("frames_sampled", 0)
    message = (
        f"{saved} faces from {sampled} sampled frames"
        if saved
        else f"No faces found in {sampled} sampled frames"
    )
    return JobDone(summary, message=message)


def faceset_export_job_faceset(job: Job) -> Faceset:
    faceset = Faceset.objects.filter(pk=job.params.get("faceset_id")).first()
    if faceset is None:
        raise ApplicationError("The faceset was deleted before it could be exported.")
    return faceset


def faceset_export_record(
    *, faceset: Faceset, job: Job, zip_path: Path, summary: dict
) -> JobDone[FacesetExportResult]:
    """Store the zip as the job's artifact (a retried attempt replaces its partial file)."""
    name = f"{faceset_folder(faceset.project_id, faceset.pk)}/exports/job-{job.pk}.zip"
    stored = storage_put(zip_path, name)
    size = zip_path.stat().st_size
    return JobDone(
        {
            **summary,
            "artifact": stored,
            "bytes": size,
        },
        message=f"{summary['faces']} faces exported ({size / 1024**2:.1f} MiB)",
    )


def faceset_import_job_inputs(job: Job) -> tuple[Faceset, str, str]:
    """The faceset, the stored upload's name and the format of an import job."""
    faceset = Faceset.objects.filter(pk=job.params.get("faceset_id")).first()
    if faceset is None or not job.params.get("upload"):
        raise ApplicationError("The faceset was deleted before its import ran.")
    return faceset, job.params["upload"], job.params.get("format", "auto")


def faceset_import_record(
    *, faceset: Faceset, job: Job, result: ForeignImportResult
) -> JobDone[FacesetImportResult]:
    """Add the converted faces to the faceset; keeps nothing when it was deleted meanwhile."""
    saved = faceset_add_imported(
        faceset=faceset, job=job, sources=result.sources, summary=result.summary
    )
    if not Faceset.objects.filter(pk=faceset.pk).exists():
        storage_delete_tree(faceset_folder(faceset.project_id, faceset.pk))
        raise ApplicationError("The faceset was deleted while the import ran; nothing was kept.")
    skipped = sum(result.summary["skipped"].values())
    message = f"{saved} faces imported" + (f", {skipped} skipped" if skipped else "")
    return JobDone({**result.summary, "faces_saved": saved}, message=message)
