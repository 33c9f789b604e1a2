"""The probe job: poster, timeline sprite sheet, frame timestamps and, when the
original does not play in browsers, an H.264 proxy, all from one decode; then the
file's C2PA manifest, verified and summarised on the item."""

from __future__ import annotations

from django.conf import settings

from deepreview.core.storage import scratch_dir
from deepreview.jobs.kinds import JobDone, ProbeResult
from deepreview.jobs.models import Job
from deepreview.media import jobs as media_jobs
from deepreview.media import services as media_services
from deepreview.media.provenance import media_provenance_check
from deepreview_workers.pipeline.progress import ProgressCallback
from deepreview_workers.pipeline.video_io import render_previews
from deepreview_workers.tasks.handlers import job_handler


@job_handler("probe")
def probe_job(job: Job, progress: ProgressCallback) -> JobDone[ProbeResult]:
    item = media_jobs.probe_job_item(job)
    progress(0.0, "Decoding")
    with (
        media_jobs.probe_failures(item),
        media_services.media_local_path(item) as source,
        scratch_dir() as out_dir,
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
        item = media_services.media_save_previews(item=item, previews=previews)
        media_provenance_check(item=item, path=source)
    return media_jobs.probe_result(previews)
