"""The detection jobs' side of the app: what they load and what they record.

The tasks (``deepreview_workers.tasks.detection``) call these and the pipeline.
Training data comes from the project's labeled videos: faces from frames spread over
each real video, and from the *manipulated* frames of each fake the project made (its
ground truth says which), so no untouched frame of a fake is ever labeled fake.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from deepreview.core.errors import ApplicationError
from deepreview.core.storage import storage_get, stored_local_path
from deepreview.detection.models import Detector
from deepreview.detection.services import (
    detection_record,
    detector_record_training,
    labeled_videos,
)
from deepreview.exports.models import DatasetExport
from deepreview.jobs.kinds import DetectorTrainResult, DetectResult, JobDone
from deepreview.jobs.models import Job
from deepreview.media.models import MediaItem, Origin
from deepreview.media.services import media_local_path
from deepreview_workers.pipeline.detection.dataset import LabeledVideo
from deepreview_workers.pipeline.progress import Cancelled

if TYPE_CHECKING:  # the pipeline's results; the web host need not load torch
    from deepreview_workers.pipeline.detection.train import TrainResult
    from deepreview_workers.pipeline.detection.video import VideoDetection

FACES_PER_FRAME = 2  # the largest faces of a real frame; a fake's swapped face is one


def detect_job_inputs(job: Job) -> tuple[MediaItem, Detector | None]:
    """The video and the project's detector (None: the built-in one or signals alone)."""
    item = MediaItem.objects.filter(pk=job.media_id).first()
    if item is None:
        raise ApplicationError("The video was deleted before detection ran.")
    detector = None
    if job.params.get("detector_id") is not None:
        detector = Detector.objects.filter(pk=job.params["detector_id"]).first()
        if detector is None or not detector.checkpoint:
            raise ApplicationError("The detector was deleted or lost its checkpoint.")
    return item, detector


def detect_record(
    *, item: MediaItem, detector: Detector | None, job: Job, result: VideoDetection, work: Path
) -> JobDone[DetectResult]:
    json_path = work / "detection.json"
    json_path.write_text(result.to_json(), encoding="utf-8")
    run = detection_record(
        item=item, detector=detector, job=job, result=result.as_dict(), json_path=json_path
    )
    if result.status != "ok":
        message = result.message
    elif result.score_confident is None:
        message = f"Signals measured on {result.frames_with_faces} frames with faces"
    else:
        message = (
            f"Score {result.score_confident:.2f} ({result.label}) on "
            f"{result.frames_with_faces} frames with faces"
        )
    return JobDone(
        {
            "run": run.pk,
            "status": result.status,
            "score": run.score_confident,
            "label": run.label,
            "seconds": result.seconds,
        },
        message=message,
    )


def detector_job_detector(job: Job) -> Detector:
    detector = Detector.objects.filter(pk=job.params.get("detector_id")).first()
    if detector is None:
        raise ApplicationError("The detector was deleted before training ran.")
    return detector


@contextmanager
def detector_training_failures(detector: Detector) -> Iterator[None]:
    """A run that cannot train (bad options, unusable data, a deleted export) or is
    cancelled leaves the detector failed, or ready on its earlier checkpoint."""
    try:
        yield
    except (ValueError, ApplicationError, Cancelled) as exc:  # TrainingDataError included
        detector_record_training(detector_id=detector.pk, checkpoint=None, result=None, failed=True)
        if isinstance(exc, ValueError):
            raise ApplicationError(str(exc)) from None
        raise


def detector_training_export(
    *, detector: Detector, job: Job, work: Path
) -> tuple[Path | None, dict]:
    """The dataset export to train on, as a local zip, and what the training set says
    of it; (None, {}) to train on the project's labeled videos instead."""
    export_id = job.params.get("export_id")
    if export_id is None:
        return None, {}
    export = DatasetExport.objects.filter(project=detector.project, pk=export_id).first()
    if export is None or not export.artifact:
        raise ApplicationError("The dataset export to train on was deleted.")
    # A dataset export already holds the face crops and their splits.
    zip_path = storage_get(export.artifact, work / "export.zip")
    about = {
        "export": export.pk,
        "export_name": export.name,
        "manifest_sha256": export.manifest_sha256,
    }
    return zip_path, about


def _identity(item: MediaItem) -> str:
    """Who a video shows; a fake counts as its source video's person, so a fake and its
    original always land on the same side of the identity-disjoint split."""
    conversion = getattr(item, "conversion", None)
    if conversion is not None and conversion.source_media is not None:
        item = conversion.source_media
    return item.identity.name if item.identity else f"media-{item.pk}"


def _frames_to_sample(item: MediaItem, count: int) -> list[int]:
    conversion = getattr(item, "conversion", None)
    if conversion is not None:
        pool = [f for first, last in conversion.manipulated_ranges for f in range(first, last + 1)]
    else:
        pool = list(range(item.frame_count or 0))
    if len(pool) <= count:
        return pool
    step = len(pool) / count
    return [pool[int(i * step)] for i in range(count)]


def detector_training_videos(*, detector: Detector, frames_per_video: int) -> list[LabeledVideo]:
    """The project's labeled videos, for the pipeline to cut training faces from."""
    videos = labeled_videos(detector.project).select_related(
        "identity", "conversion__source_media__identity"
    )
    return [
        LabeledVideo(
            key=str(item.pk),
            name=item.name,
            label="fake" if item.origin == Origin.FAKE else "real",
            identity=_identity(item),
            frames=frozenset(_frames_to_sample(item, frames_per_video)),
            faces_per_frame=1 if item.origin == Origin.FAKE else FACES_PER_FRAME,
            local_path=partial(media_local_path, item),
            ground_truth=_ground_truth(item),
        )
        for item in videos
    ]


def _ground_truth(item: MediaItem) -> Callable[[], AbstractContextManager[Path]] | None:
    """The conversion's mask zip, for a fake the project made itself."""
    conversion = getattr(item, "conversion", None)
    if conversion is None or not conversion.masks:
        return None
    return partial(stored_local_path, conversion.masks)


def detector_training_record(
    *, detector: Detector, checkpoint: Path, result: TrainResult, data: dict
) -> JobDone[DetectorTrainResult]:
    """Keep the trained checkpoint and what training measured on the detector."""
    summary = {
        "threshold": result.threshold,
        "history": list(result.history),
        # The kept epoch's raw figures (as charted), and what calibration made of them.
        "best": {**result.best, **result.calibration_report()},
        "data": {**data, "dataset": result.dataset, "split": result.split},
    }
    detector_record_training(detector_id=detector.pk, checkpoint=checkpoint, result=summary)
    auc = (result.best.get("val") or {}).get("auc")
    faces = data.get("faces", (result.dataset or {}).get("faces", 0))
    return JobDone(
        {
            "best_epoch": result.best_epoch,
            "threshold": result.threshold,
            "faces": faces,
            "seconds": result.seconds,
            "device": result.device,
        },
        message=f"Best epoch {result.best_epoch}: validation AUC "
        f"{'n/a' if auc is None else f'{auc:.3f}'} on {faces} faces",
    )
