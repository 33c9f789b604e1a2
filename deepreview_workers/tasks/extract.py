"""The extraction job: faces of one video (or one segment of it) into a faceset."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage

from deepreview.core.errors import ApplicationError
from deepreview.core.storage import faceset_folder, storage_delete_tree
from deepreview.facesets import services as faceset_services
from deepreview.facesets.models import Faceset
from deepreview.jobs.models import Job
from deepreview.media import services as media_services
from deepreview.media.models import MediaItem
from deepreview_workers.pipeline.extract import ExtractOptions, extract_media
from deepreview_workers.pipeline.progress import ProgressCallback, scaled
from deepreview_workers.pipeline.video_io import MediaRejected
from deepreview_workers.tasks.base import job_handler

OPTION_NAMES = (
    "sampling",
    "every_n",
    "target_fps",
    "min_face_size",
    "min_confidence",
    "margin",
    "crop_size",
    "embedder",
    "device",
    "start_frame",
    "end_frame",
    "embed_interval_seconds",
    "redetect_seconds",
)


@job_handler("extract")
def extract_job(job: Job, progress: ProgressCallback) -> dict:
    item = MediaItem.objects.filter(pk=job.media_id).first()
    faceset = Faceset.objects.filter(pk=job.params.get("faceset_id")).first()
    if item is None or faceset is None:
        raise ApplicationError("The media item or faceset was deleted before extraction ran.")
    options = ExtractOptions(**{k: job.params[k] for k in OPTION_NAMES if k in job.params})
    with (
        media_services.media_local_path(item) as source,
        tempfile.TemporaryDirectory(dir=settings.FILE_UPLOAD_TEMP_DIR) as tmp,
    ):
        out_dir = Path(tmp)
        try:
            result = extract_media(
                source,
                out_dir,
                options=options,
                progress=scaled(progress, 0.0, 0.9),
                sha256=item.sha256,  # known from the upload: no second read to hash it
            )
        except MediaRejected as exc:
            raise ApplicationError(exc.message) from None
        progress(0.9, f"Saving {len(result.faces)} faces")
        saved = faceset_services.faceset_add_extracted(
            faceset=faceset, media=item, job=job, faces=result.faces, out_dir=out_dir
        )
        segment = f"_{options.start_frame:07d}" if options.start_frame else ""
        folder = f"projects/{faceset.project_id}/facesets/{faceset.pk}/{item.pk}"
        name = f"{folder}/alignments{segment}.json"
        with result.alignments_path.open("rb") as handle:
            default_storage.delete(name)
            stored = default_storage.save(name, File(handle))
    if not Faceset.objects.filter(pk=faceset.pk).exists():  # deleted while this ran
        storage_delete_tree(faceset_folder(faceset.project_id, faceset.pk))
        raise ApplicationError("The faceset was deleted while extraction ran; nothing was kept.")
    summary = result.summary.as_dict()
    summary.update(faces_saved=saved, alignments=stored)
    sampled = summary.get("frames_sampled", 0)
    summary["summary_message"] = (
        f"{saved} faces from {sampled} sampled frames"
        if saved
        else f"No faces found in {sampled} sampled frames"
    )
    return summary
