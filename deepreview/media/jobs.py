"""The probe job's side of the app: the item it works on, how it fails, what it reports.

The task (``deepreview_workers.tasks.probe``) calls these, the media services and the
pipeline.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from deepreview.core.errors import ApplicationError
from deepreview.jobs.kinds import JobDone, ProbeResult
from deepreview.jobs.models import Job
from deepreview.media.models import MediaItem
from deepreview.media.services import media_mark_failed
from deepreview_workers.pipeline.video_io import MediaRejected, PreviewResult


def probe_job_item(job: Job) -> MediaItem:
    item = MediaItem.objects.filter(pk=job.media_id).first()
    if item is None:
        raise ApplicationError("The media item was deleted before its previews were made.")
    return item


@contextmanager
def probe_failures(item: MediaItem) -> Iterator[None]:
    """A probe that fails marks the item failed, with a reason a user can act on."""
    try:
        yield
    except MediaRejected as exc:
        media_mark_failed(media_id=item.pk)
        raise ApplicationError(exc.message) from None
    except ApplicationError:  # a large upload that is not media, or a duplicate (removed)
        media_mark_failed(media_id=item.pk)
        raise
    except FileNotFoundError:
        media_mark_failed(media_id=item.pk)
        raise ApplicationError(
            "The stored original is missing; delete the item and upload it again."
        ) from None


def probe_result(previews: PreviewResult) -> JobDone[ProbeResult]:
    return JobDone(
        {
            "frames_decoded": previews.frames_decoded,
            "sprite_tiles": len(previews.sprite.frame_indices) if previews.sprite else 0,
            "proxy": previews.proxy_path is not None,
        }
    )
