"""Swap jobs: train (or resume) a model, convert a video, preview one converted frame.

The swap model's checkpoint lives in storage (``<model prefix>/checkpoint.pt``) so any
GPU worker can resume or convert: each job copies it into a temporary model folder.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from deepreview.core.errors import ApplicationError
from deepreview.jobs.models import Job
from deepreview.media.models import MediaItem
from deepreview.media.services import media_local_path
from deepreview.swaps import services as swap_services
from deepreview.swaps.faces import training_faces
from deepreview.swaps.models import SwapModel, SwapStatus
from deepreview.swaps.services import CONVERT_JOB, PREVIEW_JOB, TRAIN_JOB
from deepreview_workers.pipeline.alignments import read_alignments
from deepreview_workers.pipeline.extract import ExtractOptions, extract_media
from deepreview_workers.pipeline.frames import read_frame
from deepreview_workers.pipeline.progress import Cancelled, ProgressCallback, scaled
from deepreview_workers.pipeline.swap.convert import (
    ConvertOptions,
    convert_video,
    preview_frame,
    select_target_faces,
)
from deepreview_workers.pipeline.swap.errors import SwapInputError
from deepreview_workers.pipeline.swap.models import checkpoint_path
from deepreview_workers.pipeline.swap.train import Trainer, TrainOptions, TrainStatus, faceset_size
from deepreview_workers.tasks.base import job_handler

STOP_CHECK_SECONDS = 2.0


def _load_model(job: Job) -> SwapModel:
    model = SwapModel.objects.filter(pk=job.params.get("model_id")).first()
    if model is None:
        raise ApplicationError("The swap model was deleted before the job ran.")
    return model


def download_checkpoint(model: SwapModel, model_dir: Path) -> None:
    """Put the stored checkpoint where the pipeline expects it (a no-op for a new model)."""
    model_dir.mkdir(parents=True, exist_ok=True)
    if model.checkpoint:
        with (
            default_storage.open(model.checkpoint, "rb") as src,
            checkpoint_path(model_dir).open("wb") as dst,
        ):
            while chunk := src.read(8 * 1024 * 1024):
                dst.write(chunk)


def _store(local: Path, name: str) -> str:
    default_storage.delete(name)  # a retried attempt replaces what it wrote before
    with local.open("rb") as handle:
        return default_storage.save(name, File(handle))


class _TrainingReports:
    """Status reports to the model row; new preview grids to storage."""

    def __init__(self, model: SwapModel) -> None:
        self.model = model
        self.uploaded: set[Path] = set()

    def __call__(self, status: TrainStatus) -> None:
        swap_services.model_record_progress(
            model_id=self.model.pk,
            iteration=status.iteration,
            loss_a=status.loss_a,
            loss_b=status.loss_b,
            iterations_per_second=status.iterations_per_second,
            train_seconds=status.elapsed_seconds,
        )
        self.upload_preview(status.preview_path)

    def upload_preview(self, path: Path | None) -> None:
        if path is None or path in self.uploaded or not path.exists():
            return
        self.uploaded.add(path)
        iteration = int(path.stem.rsplit("_", 1)[-1])
        name = _store(path, f"{self.model.storage_prefix}/previews/{path.name}")
        swap_services.model_add_preview(model_id=self.model.pk, iteration=iteration, name=name)


def _stop_requested(job_id: int) -> Callable[[], bool]:
    """``should_stop`` for the trainer: the job's cancel flag, read at most every 2 s."""
    last = [0.0]

    def check() -> bool:
        now = time.monotonic()
        if now - last[0] < STOP_CHECK_SECONDS:
            return False
        last[0] = now
        return Job.objects.filter(pk=job_id, cancel_requested=True).exists()

    return check


@job_handler(TRAIN_JOB)
def swap_train_job(job: Job, progress: ProgressCallback) -> dict:
    model = _load_model(job)
    swap_services.training_check(model)
    options = TrainOptions.from_json(
        {
            **model.options,
            "arch": model.arch,
            "iterations": int(job.params["iterations"]),
            "identity_a": model.faceset_a.name,
            "identity_b": model.faceset_b.name,
        }
    )
    size = faceset_size(options)
    faces_a = training_faces(model.faceset_a, size, scaled(progress, 0.0, 0.02))
    faces_b = training_faces(model.faceset_b, size, scaled(progress, 0.02, 0.04))
    reports = _TrainingReports(model)
    with tempfile.TemporaryDirectory(dir=settings.FILE_UPLOAD_TEMP_DIR) as tmp:
        model_dir = Path(tmp) / "model"
        download_checkpoint(model, model_dir)
        try:
            trainer = Trainer(model_dir, faces_a, faces_b, options)
        except SwapInputError as exc:
            raise ApplicationError(str(exc)) from None
        outcome, iteration = "failed", model.iteration
        try:
            result = trainer.run(
                progress=scaled(progress, 0.04, 1.0),
                on_status=reports,
                should_stop=_stop_requested(job.pk),
            )
            outcome, iteration = result.outcome, result.iteration
        except Cancelled:
            outcome, iteration = "stopped", trainer.iteration
            raise
        finally:
            # Whatever happened, keep what was learned: the trainer saved a checkpoint.
            saved = checkpoint_path(model_dir)
            name = model.checkpoint
            if saved.exists() and outcome != "failed":
                name = _store(saved, f"{model.storage_prefix}/checkpoint.pt")
            for preview in sorted((model_dir / "previews").glob("*.png")):
                reports.upload_preview(preview)
            status = {"completed": SwapStatus.COMPLETED, "stopped": SwapStatus.STOPPED}.get(
                outcome, SwapStatus.FAILED
            )
            swap_services.model_finish_run(
                model_id=model.pk, status=status, iteration=iteration, checkpoint=name
            )
    return {
        **result.as_dict(),
        "summary_message": f"{result.outcome.capitalize()} at iteration {result.iteration}: "
        f"loss A {result.loss_a or 0:.4f}, loss B {result.loss_b or 0:.4f}, "
        f"{result.iterations_per_second:.1f} it/s",
    }


def _full_alignments(item: MediaItem, source: Path, work: Path, progress: ProgressCallback) -> Path:
    """Every frame's faces of a video (conversion needs them all), cached in storage.

    The first conversion of a video extracts it with ``sampling="all"``; later
    conversions and previews of it, with any options, reuse the stored file.
    """
    name = f"{item.folder}/alignments_all.json"
    local = work / "alignments_all.json"
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as src:
            local.write_bytes(src.read())
        progress(1.0, "Faces of every frame: cached")
        return local
    options = ExtractOptions(sampling="all", masks=(), embed_interval_seconds=2.0)
    result = extract_media(
        source, work / "extract", options=options, progress=progress, sha256=item.sha256
    )
    _store(result.alignments_path, name)
    return result.alignments_path


def _load_video(job: Job) -> MediaItem:
    item = MediaItem.objects.filter(pk=job.media_id).first()
    if item is None:
        raise ApplicationError("The video was deleted before the job ran.")
    return item


def _convert_options(job: Job) -> ConvertOptions:
    try:
        return ConvertOptions(direction=job.params["direction"], **job.params.get("options", {}))
    except (SwapInputError, TypeError) as exc:
        raise ApplicationError(f"Invalid conversion options: {exc}") from None


def _track(job: Job) -> int | str:
    track = job.params.get("track")
    return "largest" if track is None else int(track)


def _check_identity(model: SwapModel, job: Job, alignments_path: Path) -> None:
    """The target face must be the identity the model replaces (see identity_check)."""
    try:
        faces = select_target_faces(read_alignments(alignments_path), _track(job))
    except SwapInputError as exc:
        raise ApplicationError(str(exc)) from None
    vectors = [f.embedding for f in faces.values() if f.embedding is not None]
    if vectors and len({v.size for v in vectors}) == 1:
        swap_services.identity_check(
            model=model, direction=job.params["direction"], video_embeddings=np.stack(vectors)
        )


@job_handler(CONVERT_JOB)
def swap_convert_job(job: Job, progress: ProgressCallback) -> dict:
    model, item, options = _load_model(job), _load_video(job), _convert_options(job)
    with (
        media_local_path(item) as source,
        tempfile.TemporaryDirectory(dir=settings.FILE_UPLOAD_TEMP_DIR) as tmp,
    ):
        work = Path(tmp)
        model_dir = work / "model"
        download_checkpoint(model, model_dir)
        alignments = _full_alignments(item, source, work, scaled(progress, 0.0, 0.5))
        _check_identity(model, job, alignments)
        output = work / "converted.mp4"
        try:
            result = convert_video(
                source,
                alignments,
                model_dir,
                output,
                options,
                track=_track(job),
                progress=scaled(progress, 0.5, 0.97),
            )
        except SwapInputError as exc:
            raise ApplicationError(str(exc)) from None
        if not result.frames_manipulated:
            raise ApplicationError(
                "The chosen face was found in no frame of the video, so nothing was converted. "
                "Pick another track or check that the video shows the identity to replace."
            )
        progress(0.97, "Adding the fake to the project")
        conversion = swap_services.conversion_record(
            model=model,
            source=item,
            job=job,
            output_path=result.output_path,
            ground_truth_path=result.ground_truth_path,
            frames_total=result.frames_total,
            frames_manipulated=result.frames_manipulated,
            options=options.to_json(),
            synthetic_tag=result.synthetic_tag,
        )
    summary = result.as_dict()
    for key in ("output_path", "ground_truth_path", "frames_manipulated", "synthetic_tag"):
        summary.pop(key, None)
    return {
        **summary,
        "conversion": conversion.pk,
        "media": conversion.output_media_id,
        "summary_message": f"{len(result.frames_manipulated)} of {result.frames_total} frames "
        f"converted ({result.frames_per_second:.1f} frames/s)",
    }


def _side_by_side(original: np.ndarray, converted: np.ndarray) -> bytes:
    gap = np.full((original.shape[0], 8, 3), 255, np.uint8)
    image = np.concatenate([original, gap, converted], axis=1)
    ok, encoded = cv2.imencode(
        ".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 92]
    )
    if not ok:
        raise ApplicationError("Could not encode the preview image.")
    return encoded.tobytes()


@job_handler(PREVIEW_JOB)
def swap_preview_job(job: Job, progress: ProgressCallback) -> dict:
    model, item, options = _load_model(job), _load_video(job), _convert_options(job)
    frame_index = int(job.params["frame"])
    with (
        media_local_path(item) as source,
        tempfile.TemporaryDirectory(dir=settings.FILE_UPLOAD_TEMP_DIR) as tmp,
    ):
        work = Path(tmp)
        download_checkpoint(model, work / "model")
        alignments = _full_alignments(item, source, work, scaled(progress, 0.0, 0.8))
        _check_identity(model, job, alignments)
        try:
            converted = preview_frame(
                source, alignments, frame_index, work / "model", options, track=_track(job)
            )
        except SwapInputError as exc:
            raise ApplicationError(str(exc)) from None
        original = read_frame(source, frame_index)
    name = f"{model.storage_prefix}/conversion-previews/job-{job.pk}.jpg"
    default_storage.delete(name)
    stored = default_storage.save(name, ContentFile(_side_by_side(original, converted.rgb)))
    found = converted.manipulated
    return {
        "artifact": stored,
        "frame": frame_index,
        "manipulated": found,
        "box": list(converted.box) if converted.box else None,
        "summary_message": f"Frame {frame_index}: "
        + ("converted" if found else "the target face is not in this frame"),
    }
