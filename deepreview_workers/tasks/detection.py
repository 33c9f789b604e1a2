"""Detection jobs: score a video and measure its signals; train a detector on the project.

What they load and record, and which faces of which videos train a detector, is in
:mod:`deepreview.detection.jobs`.
"""

from __future__ import annotations

from deepreview.core.errors import ApplicationError
from deepreview.core.storage import scratch_dir, storage_get
from deepreview.detection import jobs as detection_jobs
from deepreview.detection.services import DETECT_JOB, TRAIN_JOB
from deepreview.jobs.kinds import DetectorTrainResult, DetectResult, JobDone
from deepreview.jobs.models import Job
from deepreview.media.services import media_local_path
from deepreview_workers.pipeline.detection.builtin import load_builtin_detector
from deepreview_workers.pipeline.detection.checkpoint import CheckpointError, load_detector
from deepreview_workers.pipeline.detection.labeled_videos import cut_labeled_faces
from deepreview_workers.pipeline.detection.train import TrainOptions, train_detector
from deepreview_workers.pipeline.detection.video import DetectOptions, detect_video
from deepreview_workers.pipeline.options.detection import DetectorTrainJobOptions
from deepreview_workers.pipeline.progress import ProgressCallback, scaled
from deepreview_workers.pipeline.video_io import MediaRejected
from deepreview_workers.tasks.handlers import job_handler, user_errors


@job_handler(DETECT_JOB)
def detect_job(job: Job, progress: ProgressCallback) -> JobDone[DetectResult]:
    item, detector = detection_jobs.detect_job_inputs(job)
    try:
        options = DetectOptions.from_dict(job.params.get("options", {}))
    except ValueError as exc:
        raise ApplicationError(str(exc)) from None
    with media_local_path(item) as source, scratch_dir() as work:
        loaded = None
        with user_errors(CheckpointError):
            if detector is not None:
                checkpoint = storage_get(detector.checkpoint, work / "d.pt")
                loaded = load_detector(checkpoint, device=options.device)
            elif not job.params.get("signals_only"):
                loaded = load_builtin_detector(options.device)
        with user_errors(MediaRejected):
            result = detect_video(
                source, loaded, options=options, progress=scaled(progress, 0.0, 0.97)
            )
        return detection_jobs.detect_record(
            item=item, detector=detector, job=job, result=result, work=work
        )


@job_handler(TRAIN_JOB)
def detector_train_job(job: Job, progress: ProgressCallback) -> JobDone[DetectorTrainResult]:
    detector = detection_jobs.detector_job_detector(job)
    values = dict(detector.options)
    frames_per_video = int(values.pop("frames_per_video", DetectorTrainJobOptions.frames_per_video))
    with scratch_dir() as work:
        checkpoint = work / "detector.pt"
        with detection_jobs.detector_training_failures(detector):
            options = TrainOptions.from_dict({"arch": detector.arch, **values})
            data, about = detection_jobs.detector_training_export(
                detector=detector, job=job, work=work
            )
            if data is not None:
                progress(0.05, f"Training on the export “{about['export_name']}”")
            else:  # face crops of the project's labeled videos
                videos = detection_jobs.detector_training_videos(
                    detector=detector, frames_per_video=frames_per_video
                )
                data = work / "faces"
                about = cut_labeled_faces(
                    videos,
                    data,
                    size=options.size,
                    device=options.device,
                    progress=scaled(progress, 0.0, 0.3),
                )
            result = train_detector(data, checkpoint, options, progress=scaled(progress, 0.3, 1.0))
        return detection_jobs.detector_training_record(
            detector=detector, checkpoint=checkpoint, result=result, data=about
        )
