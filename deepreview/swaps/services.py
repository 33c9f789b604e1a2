"""Swap rules: consent before training, one training run at a time, conversions on record.

This tool manufactures fakes for research and detector training, so a faceset is
used for training only when it carries a consent or licence record, and every fake
it makes carries its provenance (model, facesets, identities, consents, options) in
the database, a "synthetic, made by deepreview" tag in the file and a C2PA manifest
signed with the installation's key (``fake_manifest_details``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from django.contrib.auth.models import AbstractBaseUser
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from deepreview.core.errors import ApplicationError
from deepreview.core.options import clean_options
from deepreview.facesets.models import Face, Faceset
from deepreview.jobs import services as job_services
from deepreview.jobs.models import ACTIVE_STATUSES, Job
from deepreview.media.models import MediaItem, MediaKind, MediaStatus, Origin
from deepreview.media.services import media_add_local, media_delete
from deepreview.projects.models import Project
from deepreview.swaps.models import (
    ConsentBasis,
    ConsentRecord,
    Conversion,
    SwapModel,
    SwapStatus,
)
from deepreview_workers.pipeline.curation.grouping import unit_rows
from deepreview_workers.pipeline.options.swap import DIRECTIONS, SWAP_ARCHS

TRAIN_JOB = "swap_train"
CONVERT_JOB = "swap_convert"
PREVIEW_JOB = "swap_preview"
MIN_FACES = 25  # per identity: fewer cannot make a usable swap
HISTORY_POINTS = 2000  # loss points kept per model; older ones are thinned


# -- consent -------------------------------------------------------------------------


def consent_add(
    *,
    faceset: Faceset,
    recorded_by: AbstractBaseUser,
    basis: str,
    subject: str,
    scope: str,
    reference: str = "",
    evidence: UploadedFile | None = None,
) -> ConsentRecord:
    if basis not in ConsentBasis.values:
        raise ApplicationError(
            f"basis must be one of {', '.join(ConsentBasis.values)}.",
            fields={"basis": ["Invalid."]},
        )
    if not subject.strip() or not scope.strip():
        raise ApplicationError(
            "Say who consented (or which licence) and what it allows.",
            fields={
                k: ["Required."]
                for k, v in (("subject", subject), ("scope", scope))
                if not v.strip()
            },
        )
    if not reference.strip() and evidence is None:
        raise ApplicationError(
            "Attach the evidence (a signed form, the licence) or give its reference.",
            fields={"reference": ["Give a reference or attach evidence."]},
        )
    record = ConsentRecord(
        faceset=faceset,
        basis=basis,
        subject=subject.strip(),
        scope=scope.strip(),
        reference=reference.strip(),
        recorded_by=recorded_by,
    )
    if evidence is not None:
        folder = f"projects/{faceset.project_id}/facesets/{faceset.pk}/consent"
        record.evidence.save(f"{folder}/{evidence.name}", evidence, save=False)
    record.save()
    return record


def consent_delete(*, record: ConsentRecord) -> None:
    """Delete a consent record and, once that has committed, its evidence file (a
    rolled-back delete keeps both)."""
    evidence = record.evidence.name
    record.delete()
    if evidence:
        transaction.on_commit(lambda: default_storage.delete(evidence))


# -- models --------------------------------------------------------------------------


def train_options_clean(options: dict) -> dict:
    """The given training options, checked (``TrainOptions`` of the swap pipeline)."""
    return clean_options(TRAIN_JOB, options, what="training")


def swap_model_create(
    *,
    project: Project,
    name: str,
    faceset_a_id: int,
    faceset_b_id: int,
    created_by: AbstractBaseUser,
    arch: str = "original",
    options: dict | None = None,
) -> SwapModel:
    if arch not in SWAP_ARCHS:
        raise ApplicationError(
            f"Unknown architecture '{arch}'; choose one of: {', '.join(SWAP_ARCHS)}.",
            fields={"arch": ["Unknown architecture."]},
        )
    chosen = Faceset.objects.filter(project=project, pk__in=[faceset_a_id, faceset_b_id])
    facesets = {faceset.pk: faceset for faceset in chosen}
    for field, pk in (("faceset_a", faceset_a_id), ("faceset_b", faceset_b_id)):
        if pk not in facesets:
            raise ApplicationError(
                "That faceset is not in this project.", fields={field: ["Not in project."]}
            )
    if faceset_a_id == faceset_b_id:
        raise ApplicationError(
            "A swap needs two different facesets (identity A and identity B).",
            fields={"faceset_b": ["Same as faceset A."]},
        )
    try:
        with transaction.atomic():
            return SwapModel.objects.create(
                project=project,
                name=name.strip(),
                arch=arch,
                options=train_options_clean(options or {}),
                faceset_a=facesets[faceset_a_id],
                faceset_b=facesets[faceset_b_id],
                created_by=created_by,
            )
    except IntegrityError:
        raise ApplicationError(
            f"The project already has a swap model named '{name}'.", code="duplicate", status=409
        ) from None


def _live_count(faceset: Faceset) -> int:
    return Face.objects.filter(faceset=faceset, deleted_at__isnull=True).count()


def training_check(model: SwapModel) -> None:
    """Refuse, with the reason, a model that must not or cannot train."""
    for side, faceset in (("A", model.faceset_a), ("B", model.faceset_b)):
        if faceset is None:
            raise ApplicationError(
                f"Faceset {side} of this model was deleted; create a new model.",
                code="faceset_missing",
            )
        if not faceset.consents.exists():
            raise ApplicationError(
                f"Faceset {side} (“{faceset.name}”) has no consent or licence record. "
                "Record who consented or which licence covers it before training on it.",
                code="no_consent",
            )
        count = _live_count(faceset)
        if count < MIN_FACES:
            raise ApplicationError(
                f"Faceset {side} (“{faceset.name}”) has {count} face(s); training needs at "
                f"least {MIN_FACES} per identity. Extract more faces first.",
                code="too_few_faces",
            )


def active_job(model: SwapModel, kind: str = TRAIN_JOB) -> Job | None:
    return (
        Job.objects.filter(
            project_id=model.project_id,
            kind=kind,
            status__in=ACTIVE_STATUSES,
            params__model_id=model.pk,
        )
        .order_by("-created_at")
        .first()
    )


def swap_train_request(*, model: SwapModel, iterations: int, requested_by: AbstractBaseUser) -> Job:
    """Queue training (or its resumption) up to ``iterations`` in total."""
    training_check(model)
    if iterations <= model.iteration:
        raise ApplicationError(
            f"The model has already trained {model.iteration} iterations; ask for more.",
            fields={"iterations": [f"More than {model.iteration}."]},
        )
    with transaction.atomic():
        locked = SwapModel.objects.select_for_update().get(pk=model.pk)
        if active_job(locked) is not None:
            raise ApplicationError(
                "This model is already training; stop it first.", code="busy", status=409
            )
        locked.target_iterations = iterations
        locked.status = SwapStatus.TRAINING
        locked.save(update_fields=["target_iterations", "status", "updated_at"])
        return job_services.job_create(
            project_id=model.project_id,
            kind=TRAIN_JOB,
            params={"model_id": model.pk, "iterations": iterations},
            created_by=requested_by,
        )


def swap_train_stop(*, model: SwapModel) -> Job:
    """Ask the training job to stop; it saves a checkpoint first, so resuming loses nothing."""
    job = active_job(model)
    if job is None:
        raise ApplicationError("This model is not training.", code="not_training", status=409)
    return job_services.job_request_cancel(job=job)


def model_record_progress(
    *,
    model_id: int,
    iteration: int,
    loss_a: float,
    loss_b: float,
    iterations_per_second: float,
    train_seconds: float,
) -> None:
    """A training report from the worker: the figures and one more loss-curve point."""
    with transaction.atomic():
        model = SwapModel.objects.select_for_update().get(pk=model_id)
        history = [*model.history, [iteration, round(loss_a, 6), round(loss_b, 6)]]
        if len(history) > HISTORY_POINTS:
            # Thin the older half so the curve keeps its shape and the newest detail.
            half = len(history) // 2
            history = history[:half:2] + history[half:]
        model.history = history
        model.iteration = iteration
        model.loss_a, model.loss_b = loss_a, loss_b
        model.iterations_per_second = iterations_per_second
        model.train_seconds = train_seconds
        model.save()


def model_add_preview(*, model_id: int, iteration: int, name: str) -> None:
    with transaction.atomic():
        model = SwapModel.objects.select_for_update().get(pk=model_id)
        model.previews = [*model.previews, {"iteration": iteration, "name": name}]
        model.save(update_fields=["previews", "updated_at"])


def model_finish_run(*, model_id: int, status: str, iteration: int, checkpoint: str) -> None:
    SwapModel.objects.filter(pk=model_id).update(
        status=status, iteration=iteration, checkpoint=checkpoint
    )


# -- conversion ----------------------------------------------------------------------


def convert_options_clean(options: dict) -> dict:
    """The given conversion options, checked (``ConvertOptions``)."""
    return clean_options(CONVERT_JOB, options, what="conversion")


def _convertible(model: SwapModel, media: MediaItem, direction: str) -> None:
    if not model.checkpoint:
        raise ApplicationError("The model has no checkpoint yet; train it first.", code="untrained")
    if direction not in DIRECTIONS:
        raise ApplicationError(
            "direction must be a-to-b or b-to-a.", fields={"direction": ["Invalid."]}
        )
    if media.project_id != model.project_id:
        raise ApplicationError("No such media.", code="not_found", status=404)
    if media.kind != MediaKind.VIDEO:
        raise ApplicationError("Conversion needs a video.", fields={"media": ["Not a video."]})
    if media.status != MediaStatus.READY:
        raise ApplicationError(
            "The video is still being processed; convert it when it is ready.", code="not_ready"
        )


def swap_convert_request(
    *,
    model: SwapModel,
    media: MediaItem,
    direction: str,
    options: dict,
    track: int | None,
    requested_by: AbstractBaseUser,
) -> Job:
    _convertible(model, media, direction)
    options = convert_options_clean(options)
    return job_services.job_create(
        project_id=model.project_id,
        kind=CONVERT_JOB,
        media_id=media.pk,
        params={"model_id": model.pk, "direction": direction, "options": options, "track": track},
        created_by=requested_by,
    )


def swap_preview_request(
    *,
    model: SwapModel,
    media: MediaItem,
    frame: int,
    direction: str,
    options: dict,
    track: int | None,
    requested_by: AbstractBaseUser,
) -> Job:
    """One frame converted with these options, beside the original, as a quick job."""
    _convertible(model, media, direction)
    options = convert_options_clean(options)
    if media.frame_count is not None and not 0 <= frame < media.frame_count:
        raise ApplicationError(
            f"frame must be from 0 to {media.frame_count - 1}.", fields={"frame": ["Outside."]}
        )
    return job_services.job_create(
        project_id=model.project_id,
        kind=PREVIEW_JOB,
        media_id=media.pk,
        params={
            "model_id": model.pk,
            "direction": direction,
            "options": options,
            "track": track,
            "frame": frame,
        },
        created_by=requested_by,
    )


def swap_model_delete(*, model: SwapModel) -> None:
    """Delete the model, its checkpoint and previews; running jobs are cancelled first.

    The fakes it made stay (with their provenance snapshot).
    """
    for kind in (TRAIN_JOB, CONVERT_JOB, PREVIEW_JOB):
        job = active_job(model, kind)
        if job is not None:
            job_services.job_request_cancel(job=job)
    names = [model.checkpoint, *(p["name"] for p in model.previews)]
    model.delete()
    for name in filter(None, names):
        default_storage.delete(name)


def _ranges(frames: list[int]) -> list[list[int]]:
    """[3, 4, 5, 9] -> [[3, 5], [9, 9]] (inclusive)."""
    ranges: list[list[int]] = []
    for frame in sorted(frames):
        if ranges and frame == ranges[-1][1] + 1:
            ranges[-1][1] = frame
        else:
            ranges.append([frame, frame])
    return ranges


def _provenance(model: SwapModel, source: MediaItem, direction: str, synthetic_tag: dict) -> dict:
    shown = model.faceset_b if direction == "a-to-b" else model.faceset_a
    replaced = model.faceset_a if direction == "a-to-b" else model.faceset_b

    def faceset(f: Faceset | None) -> dict | None:
        if f is None:
            return None
        consents = [
            {"id": c.pk, "basis": c.basis, "subject": c.subject, "scope": c.scope}
            for c in f.consents.all()
        ]
        identity = f.identity.name if f.identity else None
        return {"id": f.pk, "name": f.name, "identity": identity, "consents": consents}

    return {
        "tool": "deepreview",
        "model": {
            "id": model.pk,
            "name": model.name,
            "arch": model.arch,
            "iteration": model.iteration,
            "options": model.options,
        },
        "source": {"media": source.pk, "name": source.name, "sha256": source.sha256},
        "identity_shown": faceset(shown),
        "identity_replaced": faceset(replaced),
        "synthetic_tag": synthetic_tag,
    }


def fake_file_name(*, model: SwapModel, source: MediaItem, direction: str) -> str:
    return f"{Path(source.name).stem}.{model.name}.{direction}.mp4"


def fake_manifest_details(
    *, model: SwapModel, source: MediaItem, options: dict, installation_id: str
) -> dict:
    """What a fake's C2PA manifest says about how it was made: the model, the facesets
    with their identities and consent records, the options, the installation and time."""
    details = _provenance(model, source, options["direction"], synthetic_tag={})
    del details["synthetic_tag"]  # the container tag is the file's own business
    return {
        **details,
        "manipulation": "face_swap",
        "direction": options["direction"],
        "options": options,
        "installation": installation_id,
        "created_at": timezone.now().isoformat(timespec="seconds"),
    }


def conversion_record(
    *,
    model: SwapModel,
    source: MediaItem,
    job: Job,
    output_path: Path,
    ground_truth_path: Path,
    frames_total: int,
    frames_manipulated: list[int],
    options: dict,
    synthetic_tag: dict,
    c2pa: dict | None = None,
) -> Conversion:
    """Add the converted video to the project as a fake, with its ground truth; ``c2pa``
    records how its manifest was signed (installation, certificate, time)."""
    direction = options["direction"]
    shown = model.faceset_b if direction == "a-to-b" else model.faceset_a
    item, _created = media_add_local(
        project=model.project,
        path=output_path,
        name=fake_file_name(model=model, source=source, direction=direction),
        added_by=job.created_by,
        origin=Origin.FAKE,
        identity_id=shown.identity_id if shown is not None else None,
    )
    try:
        with transaction.atomic():
            conversion = Conversion(
                project=model.project,
                swap_model=model,
                source_media=source,
                output_media=item,
                direction=direction,
                options=options,
                provenance={
                    **_provenance(model, source, direction, synthetic_tag),
                    "c2pa": c2pa,
                },
                frame_count=frames_total,
                manipulated_count=len(frames_manipulated),
                manipulated_ranges=_ranges(frames_manipulated),
                job=job,
                created_by=job.created_by,
            )
            with ground_truth_path.open("rb") as handle:
                conversion.masks.save(f"{item.folder}/groundtruth.zip", File(handle), save=False)
            conversion.save()
    except BaseException:
        media_delete(item=item)
        raise
    return conversion


IDENTITY_MATCH_DISTANCE = 0.5  # unit dlib embeddings: one person ~0.2-0.35, others >= 0.4


def _faceset_centre(faceset: Faceset | None) -> np.ndarray | None:
    if faceset is None:
        return None
    rows = Face.objects.filter(faceset=faceset, deleted_at__isnull=True).values_list(
        "embedding", flat=True
    )
    vectors = [np.frombuffer(bytes(v), dtype="<f4") for v in rows]
    sizes = {v.size for v in vectors}
    if not vectors or len(sizes) != 1:
        return None
    return unit_rows(np.mean(unit_rows(np.stack(vectors)), axis=0)[None])[0]


def identity_check(*, model: SwapModel, direction: str, video_embeddings: np.ndarray) -> None:
    """Refuse to convert a video whose target face is not the identity the model replaces.

    ``video_embeddings``: (N, D) embeddings of the chosen face across the video.
    """
    replaced = model.faceset_a if direction == "a-to-b" else model.faceset_b
    other = model.faceset_b if direction == "a-to-b" else model.faceset_a
    centre = _faceset_centre(replaced)
    if centre is None or len(video_embeddings) == 0:
        return  # nothing to compare with (e.g. another embedder): convert as asked
    if centre.size != video_embeddings.shape[1]:
        return
    face = unit_rows(np.mean(unit_rows(video_embeddings), axis=0)[None])[0]
    distance = float(np.linalg.norm(face - centre))
    if distance <= IDENTITY_MATCH_DISTANCE:
        return
    hint = ""
    other_centre = _faceset_centre(other)
    if (
        other_centre is not None
        and other_centre.size == face.size
        and float(np.linalg.norm(face - other_centre)) <= IDENTITY_MATCH_DISTANCE
    ):
        flipped = "b-to-a" if direction == "a-to-b" else "a-to-b"
        hint = f" The face looks like “{other.name}”: convert {flipped} instead."
    raise ApplicationError(
        f"The face in this video does not look like “{replaced.name}”, the identity this "
        f"model replaces ({direction}): embedding distance {distance:.2f}, more than "
        f"{IDENTITY_MATCH_DISTANCE}.{hint} Choose another video or track.",
        code="identity_mismatch",
    )
