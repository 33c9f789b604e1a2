"""The probe job: poster, timeline sprite sheet, frame timestamps and, when the
original does not play in browsers, an H.264 proxy, all from one decode."""

from __future__ import annotations

import tempfile

from django.conf import settings

from deepreview.core.errors import ApplicationError
from deepreview.jobs.models import Job
from deepreview.media import services as media_services
from deepreview.media.models import MediaItem
from deepreview_workers.pipeline.progress import ProgressCallback
from deepreview_workers.pipeline.video_io import MediaRejected, render_previews
from deepreview_workers.tasks.base import job_handler


@job_handler("probe")
def probe_job(job: Job, progress: ProgressCallback) -> dict:
    item = MediaItem.objects.filter(pk=job.media_id).first()
    if item is None:
        raise ApplicationError("The media item was deleted before its previews were made.")
    progress(0.0, "Decoding")
    try:
        with (
            media_services.media_local_path(item) as source,
            tempfile.TemporaryDirectory(dir=settings.FILE_UPLOAD_TEMP_DIR) as out_dir,
        ):
            if media_services.media_is_unprobed(item):  # a large upload: checked here
                progress(0.0, "Hashing and probing the upload")
                item = media_services.media_complete_probe(item=item, path=source)
            previews = render_previews(
                source,
                out_dir,
                every_n_frames=job.params.get("every_n_frames"),
                max_tiles=job.params.get("max_tiles") or settings.SPRITE_MAX_TILES,
                progress=progress,
            )
            media_services.media_save_previews(item=item, previews=previews)
    except MediaRejected as exc:
        media_services.media_mark_failed(media_id=item.pk)
        raise ApplicationError(exc.message) from None
    except ApplicationError:  # a large upload that is not media, or a duplicate (removed)
        media_services.media_mark_failed(media_id=item.pk)
        raise
    except FileNotFoundError:
        media_services.media_mark_failed(media_id=item.pk)
        raise ApplicationError(
            "The stored original is missing; delete the item and upload it again."
        ) from None
    return {
        "frames_decoded": previews.frames_decoded,
        "sprite_tiles": len(previews.sprite.frame_indices) if previews.sprite else 0,
        "proxy": previews.proxy_path is not None,
    }
