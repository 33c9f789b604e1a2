"""The swap jobs' side of the app: what they load and what they record.

The tasks (``deepreview_workers.tasks.swap``) call these and the pipeline; the rules
(consent, identity check, provenance) stay in :mod:`deepreview.swaps.services`. The
model's checkpoint lives in storage (``<model prefix>/checkpoint.pt``) so any GPU
worker can resume or convert: each job copies it into a scratch model folder.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from deepreview.core.errors import ApplicationError
from deepreview.core.storage import storage_get, storage_put, storage_put_tree
from deepreview.facesets.models import Face, Faceset
from deepreview.jobs.kinds import JobDone, SwapConvertResult, SwapPreviewResult, SwapTrainResult
from deepreview.jobs.models import Job
from deepreview.media.models import MediaItem
from deepreview.media.provenance import installation_signing_key
from deepreview.swaps import services as swap_services
from deepreview.swaps.models import SwapModel, SwapStatus
from deepreview_workers.pipeline.progress import ProgressCallback
from deepreview_workers.pipeline.provenance.manifest import ManifestSigningError, sign_fake_video
from deepreview_workers.pipeline.types import StoredFaceCrop

if TYPE_CHECKING:  # the pipeline's results; the web host need not load torch
    from deepreview_workers.pipeline.swap.convert import ConversionResult
    from deepreview_workers.pipeline.swap.train import TrainResult, TrainStatus


def swap_job_model(job: Job) -> SwapModel:
    model = SwapModel.objects.filter(pk=job.params.get("model_id")).first()
    if model is None:
        raise ApplicationError("The swap model was deleted before the job ran.")
    return model


def swap_job_video(job: Job) -> MediaItem:
    item = MediaItem.objects.filter(pk=job.media_id).first()
    if item is None:
        raise ApplicationError("The video was deleted before the job ran.")
    return item


def swap_job_track(job: Job) -> int | str:
    track = job.params.get("track")
    return "largest" if track is None else int(track)


def stored_crops(faceset: Faceset) -> list[StoredFaceCrop]:
    """The live faces of a curated faceset, for the pipeline to read as training pixels
    (``faceset_from_crops``)."""
    faces = (
        Face.objects.filter(faceset=faceset, deleted_at__isnull=True)
        .order_by("id")
        .only("id", "crop", "crop_size", "landmarks68", "matrix")
    )

    def reader(face: Face) -> Callable[[], bytes]:
        def read() -> bytes:
            with face.crop.open("rb") as handle:
                return handle.read()

        return read

    return [
        StoredFaceCrop(
            name=f"face {face.pk}",
            read=reader(face),
            landmarks68=np.asarray(face.landmarks68),
            matrix=np.asarray(face.matrix),
            crop_size=face.crop_size,
        )
        for face in faces
    ]


def swap_checkpoint_get(*, model: SwapModel, target: Path) -> None:
    """Put the stored checkpoint at ``target`` (in the model folder the pipeline reads);
    a new model has none, and its folder is only made."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if model.checkpoint:
        storage_get(model.checkpoint, target)


class SwapTrainingRecord:
    """What a training run records on its model: each status report (figures and a
    loss-curve point), each new preview grid (stored), and at the end its outcome and
    the checkpoint it saved."""

    def __init__(self, model: SwapModel, model_dir: Path) -> None:
        self.model = model
        self.previews = model_dir / "previews"
        self.stored: set[Path] = set()

    def __call__(self, status: TrainStatus) -> None:
        swap_services.model_record_progress(
            model_id=self.model.pk,
            iteration=status.iteration,
            loss_a=status.loss_a,
            loss_b=status.loss_b,
            iterations_per_second=status.iterations_per_second,
            train_seconds=status.elapsed_seconds,
        )
        path = status.preview_path
        if path is not None and path not in self.stored and path.exists():
            self._add_preview(path, storage_put(path, self._preview_name(path)))

    def finish(self, *, outcome: str, iteration: int, checkpoint: Path) -> None:
        """Whatever happened, keep what was learned: the checkpoint the trainer saved
        (unless the run failed) and every preview not stored yet."""
        name = self.model.checkpoint
        if checkpoint.exists() and outcome != "failed":
            name = storage_put(checkpoint, f"{self.model.storage_prefix}/checkpoint.pt")
        prefix = f"{self.model.storage_prefix}/previews"
        for path, stored in storage_put_tree(
            self.previews, prefix, pattern="*.png", skip=self.stored
        ):
            self._add_preview(path, stored)
        status = {"completed": SwapStatus.COMPLETED, "stopped": SwapStatus.STOPPED}.get(
            outcome, SwapStatus.FAILED
        )
        swap_services.model_finish_run(
            model_id=self.model.pk, status=status, iteration=iteration, checkpoint=name
        )

    def _preview_name(self, path: Path) -> str:
        return f"{self.model.storage_prefix}/previews/{path.name}"

    def _add_preview(self, path: Path, name: str) -> None:
        self.stored.add(path)
        iteration = int(path.stem.rsplit("_", 1)[-1])
        swap_services.model_add_preview(model_id=self.model.pk, iteration=iteration, name=name)


def swap_train_result(result: TrainResult) -> JobDone[SwapTrainResult]:
    return JobDone(
        {
            **result.as_dict(),
        },
        message=f"{result.outcome.capitalize()} at iteration {result.iteration}: "
        f"loss A {result.loss_a or 0:.4f}, loss B {result.loss_b or 0:.4f}, "
        f"{result.iterations_per_second:.1f} it/s",
    )


def swap_full_alignments(
    *, item: MediaItem, local: Path, extract: Callable[[], Path], progress: ProgressCallback
) -> Path:
    """Every frame's faces of a video (conversion needs them all), cached in storage.

    The first conversion of a video finds them (``extract()``, every frame); later
    conversions and previews of it, with any options, reuse the stored file.
    """
    name = f"{item.folder}/alignments_all.json"
    if storage_get(name, local, missing_ok=True) is not None:
        progress(1.0, "Faces of every frame: cached")
        return local
    found = extract()
    storage_put(found, name)
    return found


def swap_identity_check(*, model: SwapModel, job: Job, embeddings: np.ndarray | None) -> None:
    """The target face must be the identity the model replaces (see ``identity_check``);
    nothing to compare when the video's faces have no embeddings of one size."""
    if embeddings is not None:
        swap_services.identity_check(
            model=model, direction=job.params["direction"], video_embeddings=embeddings
        )


def swap_sign_fake(
    *, model: SwapModel, source: MediaItem, result: ConversionResult, options: dict
) -> tuple[Path, dict]:
    """The converted video with a C2PA manifest saying it is AI-generated and how it was
    made, signed with the installation's key, beside the unsigned one; and what the
    conversion records about the signing."""
    key = installation_signing_key()
    details = swap_services.fake_manifest_details(
        model=model, source=source, options=options, installation_id=key.installation_id
    )
    shown = details["identity_shown"] or {}
    replaced = details["identity_replaced"] or {}
    description = (
        f"Face swap by deepreview model “{model.name}” ({model.arch}): "
        f"{replaced.get('name', '?')} replaced by {shown.get('name', '?')}"
    )
    signed = result.output_path.with_name(f"{result.output_path.stem}.c2pa.mp4")
    try:
        sign_fake_video(
            result.output_path,
            signed,
            key=key,
            title=swap_services.fake_file_name(
                model=model, source=source, direction=options["direction"]
            ),
            description=description,
            details=details,
        )
    except ManifestSigningError as exc:
        raise ApplicationError(str(exc)) from None
    return signed, {
        "installation": key.installation_id,
        "certificate_sha256": key.certificate_fingerprint,
        "signed_at": details["created_at"],
    }


def swap_convert_record(
    *, model: SwapModel, source: MediaItem, job: Job, result: ConversionResult, options: dict
) -> JobDone[SwapConvertResult]:
    """Sign the converted video (``swap_sign_fake``) and add it to the project as a
    fake (``conversion_record``): the signed bytes are the ones stored and downloaded."""
    if not result.frames_manipulated:
        raise ApplicationError(
            "The chosen face was found in no frame of the video, so nothing was converted. "
            "Pick another track or check that the video shows the identity to replace."
        )
    signed, c2pa = swap_sign_fake(model=model, source=source, result=result, options=options)
    conversion = swap_services.conversion_record(
        model=model,
        source=source,
        job=job,
        output_path=signed,
        c2pa=c2pa,
        ground_truth_path=result.ground_truth_path,
        frames_total=result.frames_total,
        frames_manipulated=result.frames_manipulated,
        options=options,
        synthetic_tag=result.synthetic_tag,
    )
    summary = result.as_dict()
    for key in ("output_path", "ground_truth_path", "frames_manipulated", "synthetic_tag"):
        summary.pop(key, None)
    return JobDone(
        {
            **summary,
            "conversion": conversion.pk,
            "media": conversion.output_media_id,
        },
        message=f"{len(result.frames_manipulated)} of {result.frames_total} frames "
        f"converted ({result.frames_per_second:.1f} frames/s)",
    )


def swap_preview_record(
    *, model: SwapModel, job: Job, frame: int, jpeg: bytes, box: tuple | None
) -> JobDone[SwapPreviewResult]:
    """Store one converted frame beside its original as the job's artifact."""
    stored = storage_put(jpeg, f"{model.storage_prefix}/conversion-previews/job-{job.pk}.jpg")
    return JobDone(
        {
            "artifact": stored,
            "frame": frame,
            "manipulated": box is not None,
            "box": list(box) if box else None,
        },
        message=f"Frame {frame}: "
        + ("converted" if box is not None else "the target face is not in this frame"),
    )
