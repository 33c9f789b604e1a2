"""Detection jobs: score a video and measure its signals; train a detector on the project.

Training data comes from the project's labeled videos: faces (30% margin crops, as
the detector sees them at inference) from frames spread over each real video, and
from the *manipulated* frames of each fake the project made (its ground truth says
which), so no untouched frame of a fake is ever labeled fake.
"""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

import cv2
from django.conf import settings
from django.core.files.storage import default_storage

from deepreview.core.errors import ApplicationError
from deepreview.detection import services as detection_services
from deepreview.detection.models import Detector
from deepreview.detection.services import DETECT_JOB, TRAIN_JOB, TRAIN_OPTION_DEFAULTS
from deepreview.exports.models import DatasetExport
from deepreview.jobs.models import Job
from deepreview.media.models import MediaItem, Origin
from deepreview.media.services import media_local_path
from deepreview_workers.pipeline.detection.builtin import load_builtin_detector
from deepreview_workers.pipeline.detection.checkpoint import CheckpointError, load_detector
from deepreview_workers.pipeline.detection.dataset import TrainingDataError
from deepreview_workers.pipeline.detection.models import face_crop
from deepreview_workers.pipeline.detection.train import TrainOptions, train_detector
from deepreview_workers.pipeline.detection.video import DetectOptions, detect_video
from deepreview_workers.pipeline.device import resolve_device
from deepreview_workers.pipeline.face_detectors import detectors
from deepreview_workers.pipeline.frames import iter_frames
from deepreview_workers.pipeline.progress import Cancelled, ProgressCallback, scaled
from deepreview_workers.pipeline.video_io import MediaRejected
from deepreview_workers.tasks.base import job_handler

FACES_PER_FRAME = 2  # the largest faces of a real frame; a fake's swapped face is one


def _download(name: str, target: Path) -> Path:
    with default_storage.open(name, "rb") as src, target.open("wb") as dst:
        while chunk := src.read(8 * 1024 * 1024):
            dst.write(chunk)
    return target


@job_handler(DETECT_JOB)
def detect_job(job: Job, progress: ProgressCallback) -> dict:
    item = MediaItem.objects.filter(pk=job.media_id).first()
    if item is None:
        raise ApplicationError("The video was deleted before detection ran.")
    detector = None
    if job.params.get("detector_id") is not None:
        detector = Detector.objects.filter(pk=job.params["detector_id"]).first()
        if detector is None or not detector.checkpoint:
            raise ApplicationError("The detector was deleted or lost its checkpoint.")
    try:
        options = DetectOptions.from_dict(job.params.get("options", {}))
    except ValueError as exc:
        raise ApplicationError(str(exc)) from None
    with (
        media_local_path(item) as source,
        tempfile.TemporaryDirectory(dir=settings.FILE_UPLOAD_TEMP_DIR) as tmp,
    ):
        loaded = None
        try:
            if detector is not None:
                loaded = load_detector(
                    _download(detector.checkpoint, Path(tmp) / "d.pt"), device=options.device
                )
            elif not job.params.get("signals_only"):
                loaded = load_builtin_detector(options.device)
        except CheckpointError as exc:
            raise ApplicationError(str(exc)) from None
        try:
            result = detect_video(
                source, loaded, options=options, progress=scaled(progress, 0.0, 0.97)
            )
        except MediaRejected as exc:
            raise ApplicationError(exc.message) from None
        json_path = Path(tmp) / "detection.json"
        json_path.write_text(result.to_json(), encoding="utf-8")
        run = detection_services.detection_record(
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
    return {
        "run": run.pk,
        "status": result.status,
        "score": run.score_confident,
        "label": run.label,
        "seconds": result.seconds,
        "summary_message": message,
    }


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


def build_training_faces(
    videos: list[MediaItem],
    out_dir: Path,
    *,
    frames_per_video: int,
    size: int,
    device: str,
    progress: ProgressCallback,
) -> dict:
    """Face crops of every labeled video into ``out_dir`` with a ``labels.csv``."""
    detector = detectors.create("mtcnn", device=str(resolve_device(device)), min_confidence=0.9)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for number, item in enumerate(videos):
        progress(number / max(len(videos), 1), f"Faces of {item.name}")
        label = "fake" if item.origin == Origin.FAKE else "real"
        wanted = set(_frames_to_sample(item, frames_per_video))
        per_frame = 1 if label == "fake" else FACES_PER_FRAME
        with media_local_path(item) as source:
            keep = wanted.__contains__
            frames = list(iter_frames(source, keep=lambda i, _t, keep=keep: keep(i)))
        hits_per_frame = detector.detect_batch([f.rgb for f in frames]) if frames else []
        for frame, hits in zip(frames, hits_per_frame, strict=True):
            largest = sorted(hits, key=lambda h: -(h.box[2] - h.box[0]) * (h.box[3] - h.box[1]))
            for k, hit in enumerate(largest[:per_frame]):
                name = f"{label}/{item.pk}_{frame.index:07d}_{k}.png"
                (out_dir / label).mkdir(exist_ok=True)
                crop = face_crop(frame.rgb, hit.box, size)
                cv2.imwrite(str(out_dir / name), cv2.cvtColor(crop, cv2.COLOR_RGB2BGR))
                rows.append(
                    {
                        "path": name,
                        "label": label,
                        "identity": _identity(item),
                        "video": str(item.pk),
                    }
                )
    with (out_dir / "labels.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["path", "label", "identity", "video"])
        writer.writeheader()
        writer.writerows(rows)
    return {"videos": len(videos), "faces": len(rows)}


def _training_export(detector: Detector, job: Job) -> DatasetExport | None:
    export_id = job.params.get("export_id")
    if export_id is None:
        return None
    export = DatasetExport.objects.filter(project=detector.project, pk=export_id).first()
    if export is None or not export.artifact:
        detection_services.detector_record_training(
            detector_id=detector.pk, checkpoint=None, result=None, failed=True
        )
        raise ApplicationError("The dataset export to train on was deleted.")
    return export


@job_handler(TRAIN_JOB)
def detector_train_job(job: Job, progress: ProgressCallback) -> dict:
    detector = Detector.objects.filter(pk=job.params.get("detector_id")).first()
    if detector is None:
        raise ApplicationError("The detector was deleted before training ran.")
    values = dict(detector.options)
    frames_per_video = int(
        values.pop("frames_per_video", TRAIN_OPTION_DEFAULTS["frames_per_video"])
    )
    try:
        options = TrainOptions.from_dict({"arch": detector.arch, **values})
    except ValueError as exc:
        detection_services.detector_record_training(
            detector_id=detector.pk, checkpoint=None, result=None, failed=True
        )
        raise ApplicationError(str(exc)) from None
    videos = list(
        detection_services.labeled_videos(detector.project).select_related(
            "identity", "conversion__source_media__identity"
        )
    )
    export = _training_export(detector, job)
    with tempfile.TemporaryDirectory(dir=settings.FILE_UPLOAD_TEMP_DIR) as tmp:
        data = Path(tmp) / "faces"
        checkpoint = Path(tmp) / "detector.pt"
        try:
            if export is not None:
                # A dataset export already holds the face crops and their splits.
                data = _download(export.artifact, Path(tmp) / "export.zip")
                built = {
                    "export": export.pk,
                    "export_name": export.name,
                    "manifest_sha256": export.manifest_sha256,
                }
                progress(0.05, f"Training on the export “{export.name}”")
            else:
                built = build_training_faces(
                    videos,
                    data,
                    frames_per_video=frames_per_video,
                    size=options.size,
                    device=options.device,
                    progress=scaled(progress, 0.0, 0.3),
                )
            result = train_detector(data, checkpoint, options, progress=scaled(progress, 0.3, 1.0))
        except (TrainingDataError, ValueError, Cancelled) as exc:
            detection_services.detector_record_training(
                detector_id=detector.pk, checkpoint=None, result=None, failed=True
            )
            if isinstance(exc, Cancelled):
                raise
            raise ApplicationError(str(exc)) from None
        summary = {
            "threshold": result.threshold,
            "history": list(result.history),
            "best": result.best,
            "data": {**built, "dataset": result.dataset, "split": result.split},
        }
        detection_services.detector_record_training(
            detector_id=detector.pk, checkpoint=checkpoint, result=summary
        )
    auc = (result.best.get("val") or {}).get("auc")
    faces = built.get("faces", (result.dataset or {}).get("faces", 0))
    return {
        "best_epoch": result.best_epoch,
        "threshold": result.threshold,
        "faces": faces,
        "seconds": result.seconds,
        "device": result.device,
        "summary_message": f"Best epoch {result.best_epoch}: validation AUC "
        f"{'n/a' if auc is None else f'{auc:.3f}'} on {faces} faces",
    }
