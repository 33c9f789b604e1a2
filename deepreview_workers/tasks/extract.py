"""The extraction job: faces of one video (or one segment of it) into a faceset."""

from __future__ import annotations

from deepreview.core.storage import scratch_dir
from deepreview.facesets import jobs as faceset_jobs
from deepreview.jobs.kinds import ExtractResult, JobDone
from deepreview.jobs.models import Job
from deepreview.media.services import media_local_path
from deepreview_workers.pipeline.extract import ExtractOptions, extract_media
from deepreview_workers.pipeline.options.spec import options_from_mapping
from deepreview_workers.pipeline.progress import ProgressCallback, scaled
from deepreview_workers.pipeline.video_io import MediaRejected
from deepreview_workers.tasks.handlers import job_handler, user_errors


@job_handler("extract")
def extract_job(job: Job, progress: ProgressCallback) -> JobDone[ExtractResult]:
    item, faceset = faceset_jobs.extract_job_inputs(job)
    options = options_from_mapping(ExtractOptions, job.params)  # other params are ignored
    with media_local_path(item) as source, scratch_dir() as out_dir:
        with user_errors(MediaRejected):
            result = extract_media(
                source,
                out_dir,
                options=options,
                progress=scaled(progress, 0.0, 0.9),
                sha256=item.sha256,  # known from the upload: no second read to hash it
            )
        progress(0.9, f"Saving {len(result.faces)} faces")
        return faceset_jobs.extract_record(
            faceset=faceset,
            item=item,
            job=job,
            result=result,
            out_dir=out_dir,
            start_frame=options.start_frame,
        )
