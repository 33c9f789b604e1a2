"""Swap conversion jobs: convert a video with a trained model, or preview one frame.

What they load and record (the model's stored checkpoint, the video's cached faces of
every frame, the fake and its ground truth) is in :mod:`deepreview.swaps.jobs`.
"""

from __future__ import annotations

from pathlib import Path

from deepreview.core.errors import ApplicationError
from deepreview.core.storage import scratch_dir
from deepreview.jobs.kinds import JobDone, SwapConvertResult, SwapPreviewResult
from deepreview.jobs.models import Job
from deepreview.media.models import MediaItem
from deepreview.media.services import media_local_path
from deepreview.swaps import jobs as swap_jobs
from deepreview.swaps.models import SwapModel
from deepreview.swaps.services import CONVERT_JOB, PREVIEW_JOB
from deepreview_workers.pipeline.alignments import read_alignments
from deepreview_workers.pipeline.extract import ExtractOptions, extract_media
from deepreview_workers.pipeline.frames import read_frame
from deepreview_workers.pipeline.progress import ProgressCallback, scaled
from deepreview_workers.pipeline.swap.convert import (
    ConvertOptions,
    convert_video,
    preview_frame,
    side_by_side_jpeg,
    target_embeddings,
)
from deepreview_workers.pipeline.swap.errors import SwapInputError
from deepreview_workers.pipeline.swap.models import checkpoint_path
from deepreview_workers.tasks.handlers import job_handler, user_errors


def _convert_options(job: Job) -> ConvertOptions:
    try:
        return ConvertOptions(direction=job.params["direction"], **job.params.get("options", {}))
    except (SwapInputError, TypeError) as exc:
        raise ApplicationError(f"Invalid conversion options: {exc}") from None


def _prepare(
    job: Job,
    model: SwapModel,
    item: MediaItem,
    source: Path,
    work: Path,
    progress: ProgressCallback,
) -> Path:
    """The checkpoint into ``work/model`` and the faces of every frame (found once per
    video); refuses a target face that is not the identity the model replaces."""
    swap_jobs.swap_checkpoint_get(model=model, target=checkpoint_path(work / "model"))

    def extract() -> Path:
        options = ExtractOptions(sampling="all", masks=(), embed_interval_seconds=2.0)
        result = extract_media(
            source, work / "extract", options=options, progress=progress, sha256=item.sha256
        )
        return result.alignments_path

    alignments = swap_jobs.swap_full_alignments(
        item=item, local=work / "alignments_all.json", extract=extract, progress=progress
    )
    with user_errors(SwapInputError):
        vectors = target_embeddings(read_alignments(alignments), swap_jobs.swap_job_track(job))
    swap_jobs.swap_identity_check(model=model, job=job, embeddings=vectors)
    return alignments


@job_handler(CONVERT_JOB)
def swap_convert_job(job: Job, progress: ProgressCallback) -> JobDone[SwapConvertResult]:
    model, item = swap_jobs.swap_job_model(job), swap_jobs.swap_job_video(job)
    options = _convert_options(job)
    with media_local_path(item) as source, scratch_dir() as work:
        alignments = _prepare(job, model, item, source, work, scaled(progress, 0.0, 0.5))
        with user_errors(SwapInputError):
            result = convert_video(
                source,
                alignments,
                work / "model",
                work / "converted.mp4",
                options,
                track=swap_jobs.swap_job_track(job),
                progress=scaled(progress, 0.5, 0.97),
            )
        progress(0.97, "Adding the fake to the project")
        return swap_jobs.swap_convert_record(
            model=model, source=item, job=job, result=result, options=options.to_json()
        )


@job_handler(PREVIEW_JOB)
def swap_preview_job(job: Job, progress: ProgressCallback) -> JobDone[SwapPreviewResult]:
    model, item = swap_jobs.swap_job_model(job), swap_jobs.swap_job_video(job)
    options = _convert_options(job)
    frame = int(job.params["frame"])
    with media_local_path(item) as source, scratch_dir() as work:
        alignments = _prepare(job, model, item, source, work, scaled(progress, 0.0, 0.8))
        track = swap_jobs.swap_job_track(job)
        with user_errors(SwapInputError):
            converted = preview_frame(
                source, alignments, frame, work / "model", options, track=track
            )
            jpeg = side_by_side_jpeg(read_frame(source, frame), converted.rgb)
    return swap_jobs.swap_preview_record(
        model=model, job=job, frame=frame, jpeg=jpeg, box=converted.box
    )
