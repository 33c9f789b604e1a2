"""Faceset rules: create, extract into, soft delete, restore, undo; every action audited.

Face changes are conditional UPDATEs (``deleted_at IS NULL`` and the like), so
two curators acting at once each change what is still there to change and
neither silently reverts the other; the event records what really changed.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import numpy as np
from django.contrib.auth.models import AbstractBaseUser
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from PIL import Image

from deepreview.core.errors import ApplicationError
from deepreview.core.options import clean_options
from deepreview.core.storage import faceset_folder, storage_delete_tree, storage_put
from deepreview.facesets.models import CurationAction, CurationEvent, Face, Faceset
from deepreview.facesets.people import split_undo
from deepreview.jobs import services as job_services
from deepreview.jobs.models import ACTIVE_STATUSES, Job
from deepreview.media.models import MediaItem
from deepreview.projects.models import Identity, Project
from deepreview_workers.pipeline.curation.best import PosedFace, best_by_pose_drops
from deepreview_workers.pipeline.curation.near_duplicates import near_duplicate_rows
from deepreview_workers.pipeline.dataset.read import unsafe_members, unsafe_message

if TYPE_CHECKING:  # the pipeline's records; the web host need not load torch
    from deepreview_workers.pipeline.extract import SavedFace

EXTRACT_JOB = "extract"
IMPORT_JOB = "faceset_import"
IMPORT_FORMATS = ("auto", "faceswap", "deepfacelab")


def faceset_create(
    *,
    project: Project,
    name: str,
    created_by: AbstractBaseUser,
    description: str = "",
    identity_id: int | None = None,
) -> Faceset:
    identity = None
    if identity_id is not None:
        identity = Identity.objects.filter(project=project, pk=identity_id).first()
        if identity is None:
            raise ApplicationError("Unknown identity.", fields={"identity": ["Not in project."]})
    try:
        with transaction.atomic():
            return Faceset.objects.create(
                project=project,
                name=name.strip(),
                description=description,
                identity=identity,
                created_by=created_by,
            )
    except IntegrityError:
        raise ApplicationError(
            f"The project already has a faceset named '{name}'.", code="duplicate", status=409
        ) from None


def extract_options_clean(options: dict) -> dict:
    """Every extraction option, the given ones checked (``ExtractJobOptions``)."""
    return clean_options(EXTRACT_JOB, options, what="extraction", with_defaults=True)


def faceset_extract(
    *,
    faceset: Faceset,
    media_ids: list[int],
    options: dict,
    requested_by: AbstractBaseUser,
) -> list[Job]:
    """Queue extraction jobs: one per media item, or per segment of a long video."""
    clean = extract_options_clean(options)
    items = list(MediaItem.objects.filter(project=faceset.project_id, pk__in=media_ids))
    if len(items) != len(set(media_ids)) or not items:
        raise ApplicationError(
            "Choose media from this project to extract from.", fields={"media": ["Unknown."]}
        )
    jobs = []
    with transaction.atomic():
        for item in items:
            segment = int(clean["segment_frames"])
            total = item.frame_count or 1
            bounds = (
                [(0, None)]
                if not segment or total <= segment
                else [(start, min(start + segment, total)) for start in range(0, total, segment)]
            )
            for start, end in bounds:
                params = {**clean, "faceset_id": faceset.pk, "start_frame": start, "end_frame": end}
                jobs.append(
                    job_services.job_create(
                        project_id=faceset.project_id,
                        kind=EXTRACT_JOB,
                        params=params,
                        media_id=item.pk,
                        created_by=requested_by,
                    )
                )
    return jobs


def faceset_add_extracted(
    *,
    faceset: Faceset,
    media: MediaItem,
    job: Job | None,
    faces: Iterable,
    out_dir: Path,
) -> int:
    """Store crops and masks of pipeline faces and create their rows; returns the count.

    ``faces`` are ``deepreview_workers.pipeline.extract.SavedFace`` records whose paths are
    relative to ``out_dir``. A retried job first removes what its earlier
    attempt stored, so a chunk is idempotent.
    """
    if job is not None:
        _delete_job_faces(job)
    folder = f"projects/{faceset.project_id}/facesets/{faceset.pk}/{media.pk}"
    rows = [_stored_face_row(faceset, media, job, saved, out_dir, folder) for saved in faces]
    with transaction.atomic():
        Face.objects.bulk_create(rows, batch_size=500)
        if rows:
            created = Face.objects.filter(job=job) if job else Face.objects.none()
            CurationEvent.objects.create(
                faceset=faceset,
                user=job.created_by if job else None,
                action=CurationAction.EXTRACT,
                face_ids=list(created.values_list("pk", flat=True)),
                details={"media": media.pk, "job": job.pk if job else None},
            )
    return len(rows)


def faceset_add_imported(*, faceset: Faceset, job: Job, sources: Iterable, summary: dict) -> int:
    """Store the faces a foreign faceset import made (``ImportedSource`` records of
    ``deepreview_workers.pipeline.foreign_faces``) without media: no video came with them.
    One history entry for the whole import; a retried job replaces its earlier faces."""
    _delete_job_faces(job)
    rows = []
    for source in sources:
        folder = f"{faceset_folder(faceset.project_id, faceset.pk)}/imported/{job.pk}/{source.name}"
        rows += [
            _stored_face_row(faceset, None, job, s, source.folder, folder) for s in source.faces
        ]
    with transaction.atomic():
        Face.objects.bulk_create(rows, batch_size=500)
        if rows:
            CurationEvent.objects.create(
                faceset=faceset,
                user=job.created_by,
                action=CurationAction.EXTRACT,
                face_ids=list(Face.objects.filter(job=job).values_list("pk", flat=True)),
                details={"media": None, "job": job.pk, "imported_from": summary.get("formats")},
            )
    return len(rows)


def _delete_job_faces(job: Job) -> None:
    for stale in Face.objects.filter(job=job):
        _delete_face_files(stale)
    Face.objects.filter(job=job).delete()


def _stored_face_row(
    faceset: Faceset,
    media: MediaItem | None,
    job: Job | None,
    saved: SavedFace,
    out_dir: Path,
    folder: str,
) -> Face:
    """An unsaved Face row for a pipeline ``SavedFace``, its files stored under ``folder``."""
    face = saved.face
    metrics = face.metrics
    row = Face(
        faceset=faceset,
        media=media,
        job=job,
        frame_index=face.frame_index,
        pts_seconds=face.pts_seconds,
        face_index=face.face_index,
        track_id=face.track_id,
        box=list(face.detection.box),
        points5=np.asarray(face.detection.points5).round(2).tolist(),
        landmarks68=np.asarray(face.landmarks68).round(2).tolist(),
        matrix=np.asarray(face.aligned.matrix).tolist(),
        crop_size=face.aligned.size,
        embedder=face.embedder,
        embedding=np.asarray(face.embedding, dtype="<f4").tobytes(),
        **{k: v for k, v in asdict(metrics).items() if k != "histogram"},
        histogram=list(metrics.histogram),
    )
    stem = f"{folder}/{face.frame_index:07d}_{face.face_index}"
    with (out_dir / saved.crop_path).open("rb") as handle:
        row.crop.save(f"{stem}.png", File(handle), save=False)
    thumb = _thumbnail_jpeg(out_dir / saved.crop_path)
    row.thumb.save(f"{stem}_thumb.jpg", ContentFile(thumb), save=False)
    stored_masks = {}
    for name, relative in saved.mask_paths.items():
        with (out_dir / relative).open("rb") as handle:
            stored_masks[name] = row.crop.storage.save(f"{stem}_mask_{name}.png", File(handle))
    row.masks = stored_masks
    return row


THUMB_SIZE = 96  # grid thumbnails: 20,000 of them must stay light


def _thumbnail_jpeg(crop_path: Path) -> bytes:
    with Image.open(crop_path) as image:
        small = image.convert("RGB").resize((THUMB_SIZE, THUMB_SIZE), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    small.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def _delete_face_files(face: Face) -> None:
    storage = face.crop.storage
    for name in [face.crop.name, face.thumb.name, *face.masks.values()]:
        if name:
            storage.delete(name)


def _alive(faceset: Faceset, face_ids: list[int]):  # noqa: ANN202
    return Face.objects.filter(faceset=faceset, pk__in=face_ids)


def faces_delete(*, faceset: Faceset, face_ids: list[int], user: AbstractBaseUser) -> CurationEvent:
    """Soft delete: the faces leave the set but keep their files and can be restored."""
    with transaction.atomic():
        targets = _alive(faceset, face_ids).filter(deleted_at__isnull=True)
        changed = list(targets.select_for_update().values_list("pk", flat=True))
        targets.filter(pk__in=changed).update(deleted_at=timezone.now(), deleted_by=user)
        return CurationEvent.objects.create(
            faceset=faceset, user=user, action=CurationAction.DELETE, face_ids=changed
        )


def faces_restore(
    *, faceset: Faceset, face_ids: list[int], user: AbstractBaseUser
) -> CurationEvent:
    with transaction.atomic():
        targets = _alive(faceset, face_ids).filter(deleted_at__isnull=False)
        changed = list(targets.select_for_update().values_list("pk", flat=True))
        targets.filter(pk__in=changed).update(deleted_at=None, deleted_by=None)
        return CurationEvent.objects.create(
            faceset=faceset, user=user, action=CurationAction.RESTORE, face_ids=changed
        )


INVERSE = {CurationAction.DELETE: faces_restore, CurationAction.RESTORE: faces_delete}


def event_undo(*, faceset: Faceset, event_id: int, user: AbstractBaseUser) -> CurationEvent:
    with transaction.atomic():
        event = (
            CurationEvent.objects.select_for_update().filter(faceset=faceset, pk=event_id).first()
        )
        if event is None:
            raise ApplicationError("No such action in this faceset's history.", status=404)
        if event.action not in (*INVERSE, CurationAction.MOVE, CurationAction.SPLIT):
            raise ApplicationError(
                f"A '{event.get_action_display().lower()}' action cannot be undone.",
                code="not_undoable",
                status=409,
            )
        if event.undone_by_id:
            raise ApplicationError(
                "That action was already undone.", code="already_undone", status=409
            )
        if event.action == CurationAction.MOVE:
            inverse = _undo_move(event=event, user=user)
        elif event.action == CurationAction.SPLIT:
            inverse = split_undo(event=event, user=user)
        else:
            inverse = INVERSE[event.action](faceset=faceset, face_ids=event.face_ids, user=user)
        inverse.details = {**inverse.details, "undoes": event.pk}
        inverse.save(update_fields=["details"])
        event.undone_by = inverse
        event.save(update_fields=["undone_by"])
        return inverse


def faces_move(
    *,
    faceset: Faceset,
    face_ids: list[int],
    target: Faceset,
    user: AbstractBaseUser | None,
    record_on: Faceset | None = None,
) -> CurationEvent:
    """Move live faces to another faceset of the same project (undo moves them back).

    The event goes into the history of ``record_on`` (default: where the faces were).
    """
    if target.project_id != faceset.project_id:
        raise ApplicationError(
            "Faces can only move to a faceset of the same project.",
            fields={"target": ["Not in this project."]},
        )
    if target.pk == faceset.pk:
        raise ApplicationError(
            "The faces are already in that faceset.", fields={"target": ["Same faceset."]}
        )
    with transaction.atomic():
        targets = _alive(faceset, face_ids).filter(deleted_at__isnull=True)
        changed = list(targets.select_for_update().values_list("pk", flat=True))
        Face.objects.filter(pk__in=changed).update(faceset=target)
        details = {
            "target": target.pk,
            "target_name": target.name,
            "from": faceset.pk,
            "from_name": faceset.name,
        }
        return CurationEvent.objects.create(
            faceset=record_on or faceset,
            user=user,
            action=CurationAction.MOVE,
            face_ids=changed,
            details=details,
        )


def faceset_merge(*, faceset: Faceset, source: Faceset, user: AbstractBaseUser) -> CurationEvent:
    """Bring every live face of ``source`` into ``faceset``; the emptied source stays."""
    live = list(
        Face.objects.filter(faceset=source, deleted_at__isnull=True).values_list("pk", flat=True)
    )
    return faces_move(faceset=source, face_ids=live, target=faceset, user=user, record_on=faceset)


def _undo_move(*, event: CurationEvent, user: AbstractBaseUser) -> CurationEvent:
    moved_to = Faceset.objects.get(pk=event.details["target"])
    moved_from = Faceset.objects.get(pk=event.details["from"])
    return faces_move(
        faceset=moved_to,
        face_ids=event.face_ids,
        target=moved_from,
        user=user,
        record_on=event.faceset,
    )


def near_duplicate_ids(*, faceset: Faceset, max_distance: float, max_angle: float) -> list[int]:
    """Faces to drop so that no two live faces are the same person at the same head angle.

    Same person: embedding distance below ``max_distance``; same angle: yaw and
    pitch within ``max_angle`` degrees. The sharpest face of each group stays.
    """
    rows = list(
        Face.objects.filter(faceset=faceset, deleted_at__isnull=True)
        .order_by("-blur", "id")
        .values_list("pk", "embedding", "yaw", "pitch")
    )
    if len(rows) < 2:
        return []
    ids = np.array([r[0] for r in rows])
    vectors = np.stack([np.frombuffer(bytes(r[1]), dtype="<f4") for r in rows])
    angles = np.array([(r[2], r[3]) for r in rows], dtype=np.float64)
    # Sharpest first, so a kept face beats its duplicates.
    drop = near_duplicate_rows(vectors, angles, max_distance, max_angle)
    return sorted(int(ids[i]) for i in drop)


def best_faces_drop_ids(*, faceset: Faceset, count: int) -> list[int]:
    """Faces to drop to keep ``count`` that cover head angles evenly (see
    ``deepreview_workers.pipeline.curation.best``)."""
    rows = list(
        Face.objects.filter(faceset=faceset, deleted_at__isnull=True)
        .order_by("-blur", "id")
        .values_list("pk", "yaw", "pitch", "media_id", "track_id")
    )
    faces = [PosedFace(yaw, pitch, (media, track)) for _, yaw, pitch, media, track in rows]
    return sorted(rows[i][0] for i in best_by_pose_drops(faces, count))


def faces_drop(
    *, faceset: Faceset, face_ids: list[int], user: AbstractBaseUser, reason: str, params: dict
) -> CurationEvent:
    """Soft-delete faces chosen by a rule (near-duplicates, best N), recording the rule."""
    event = faces_delete(faceset=faceset, face_ids=face_ids, user=user)
    event.details = {"reason": reason, **params}
    event.save(update_fields=["details"])
    return event


EXPORT_JOB = "faceset_export"


def faceset_export_request(*, faceset: Faceset, requested_by: AbstractBaseUser) -> Job:
    """Queue the training-set zip of the faceset's live faces."""
    if not Face.objects.filter(faceset=faceset, deleted_at__isnull=True).exists():
        raise ApplicationError(
            "The faceset has no faces to export; extract or restore some first.",
            code="empty_faceset",
        )
    return job_services.job_create(
        project_id=faceset.project_id,
        kind=EXPORT_JOB,
        params={"faceset_id": faceset.pk},
        created_by=requested_by,
    )


def faceset_import_request(
    *, faceset: Faceset, upload: BinaryIO | None, format: str, requested_by: AbstractBaseUser
) -> Job:
    """Store an uploaded zip of faceswap or DeepFaceLab aligned faces and queue the job
    that converts them into the faceset. A zip with entries outside itself is refused
    here, before anything is stored; faces the job cannot read are skipped and counted."""
    if upload is None or not zipfile.is_zipfile(upload):
        raise ApplicationError(
            "Upload a zip of faceswap or DeepFaceLab aligned faces.",
            code="not_zip",
            fields={"file": ["Not a zip file."]},
        )
    with zipfile.ZipFile(upload) as archive:
        unsafe = unsafe_members(archive)
    if unsafe:
        raise ApplicationError(
            unsafe_message("The zip", unsafe), code="unsafe_zip", fields={"file": ["Unsafe."]}
        )
    with transaction.atomic():
        job = job_services.job_create(
            project_id=faceset.project_id,
            kind=IMPORT_JOB,
            params={"faceset_id": faceset.pk, "format": format},
            created_by=requested_by,
        )
        # Kept beside the faceset (deleted with it) so that a retried job finds it again.
        stored = storage_put(
            upload, f"{faceset_folder(faceset.project_id, faceset.pk)}/imports/job-{job.pk}.zip"
        )
        job.params = {**job.params, "upload": stored}
        job.save(update_fields=["params"])
    return job


def faceset_delete(*, faceset: Faceset) -> None:
    """Delete the faceset with its faces and every stored file of it, and stop the jobs
    that write into it (extraction, training-set zips).

    Files go after the commit: a rolled-back delete keeps them. A job that was mid-write
    may still add a file afterwards; ``storage_sweep_orphans`` removes such leftovers.
    """
    jobs = Job.objects.filter(
        project_id=faceset.project_id,
        kind__in=(EXTRACT_JOB, EXPORT_JOB, IMPORT_JOB),
        status__in=ACTIVE_STATUSES,
        params__faceset_id=faceset.pk,
    )
    for job in jobs:
        job_services.job_request_cancel(job=job)
    folder = faceset_folder(faceset.project_id, faceset.pk)
    faceset.delete()
    transaction.on_commit(lambda: storage_delete_tree(folder))
