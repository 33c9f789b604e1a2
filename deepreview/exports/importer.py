"""Loading an export into a new project: videos, labels, ground truth, faces, marks.

What comes back is what went out, so exporting the imported project again with the
same selection and seed gives the same manifest: the videos keep their bytes (hence
their keys), names and identities; the project's fakes keep their ground truth and
how they were made; verdicts, consensus and marks come back under the export's
pseudonyms (``reviewer-N``), as inactive accounts that cannot sign in.
"""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from deepreview.core.errors import ApplicationError
from deepreview.exports.models import DatasetImport, ImportedFace
from deepreview.jobs import services as job_services
from deepreview.jobs.models import Job, JobStatus
from deepreview.media.models import MediaItem, Origin
from deepreview.media.services import media_upload
from deepreview.projects import services as project_services
from deepreview.projects.models import Identity, Membership, Project
from deepreview.projects.roles import Role
from deepreview.review.models import ArtifactKind, Consensus, Mark, Verdict
from deepreview.review.taxonomy import builtin_slugs
from deepreview.swaps.models import Conversion
from deepreview_workers.pipeline.dataset.read import (
    ExportContents,
    ExportedVideo,
    ExportError,
    read_export,
    unsafe_members,
    unsafe_message,
    verify_manifest,
)
from deepreview_workers.pipeline.progress import ProgressCallback, scaled

IMPORT_JOB = "dataset_import"


def import_prepare(
    *, upload: UploadedFile, name: str, requested_by: AbstractBaseUser
) -> DatasetImport:
    """Store the uploaded zip and make the new project (owned by the uploader). A file
    that is not a deepreview export is refused here, before anything is made."""
    if upload is None:
        raise ApplicationError("Choose an export zip to import.", fields={"file": ["Required."]})
    try:
        with zipfile.ZipFile(upload) as archive:
            if "export.json" not in archive.namelist():
                raise ApplicationError(
                    "This zip is not a deepreview dataset export (it has no export.json).",
                    code="not_an_export",
                )
            unsafe = unsafe_members(archive)
            if unsafe:  # checked before anything is made; the reader refuses them too
                raise ApplicationError(unsafe_message(upload.name, unsafe), code="unsafe_archive")
    except zipfile.BadZipFile:
        raise ApplicationError("This file is not a zip archive.", code="not_an_export") from None
    upload.seek(0)
    with transaction.atomic():
        project = project_services.project_create(
            name=(name or Path(upload.name).stem)[:200],
            created_by=requested_by,
            description=f"Imported from the dataset export {upload.name}.",
        )
        record = DatasetImport.objects.create(
            project=project, file_name=upload.name[:255], created_by=requested_by
        )
        record.upload.save(
            f"projects/{project.pk}/imports/{record.pk}/export.zip", File(upload), save=False
        )
        record.save(update_fields=["upload"])
    return record


def import_request(
    *, upload: UploadedFile, name: str, requested_by: AbstractBaseUser
) -> DatasetImport:
    """``import_prepare``, then the job that fills the project."""
    with transaction.atomic():
        record = import_prepare(upload=upload, name=name, requested_by=requested_by)
        record.job = job_services.job_create(
            project_id=record.project_id,
            kind=IMPORT_JOB,
            params={"import_id": record.pk},
            created_by=requested_by,
        )
        record.save(update_fields=["job"])
    return record


def _pseudonym_user(record: DatasetImport, pseudonym: str) -> AbstractBaseUser:
    user, created = get_user_model().objects.get_or_create(
        username=f"import{record.pk}-{pseudonym}"[:150], defaults={"is_active": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    Membership.objects.get_or_create(
        project=record.project, user=user, defaults={"role": Role.REVIEWER}
    )
    return user


def _export_masks(
    contents: ExportContents, video: ExportedVideo, scratch: Path
) -> Iterator[np.ndarray | None]:
    """The export's full-frame masks of ``video``, frame by frame from frame 0 (None:
    no mask): its mask video (``masks/videos/<video>.mp4``, copied to ``scratch`` to be
    decoded), or the PNG per frame that exports of schema version 1 held."""
    # Worker-only imports (the "ml" extra): the web host imports this module too.
    import cv2

    from deepreview_workers.pipeline.dataset.maskvideo import read_mask_video

    if video.mask_video:
        with contents.open(video.mask_video) as src, scratch.open("wb") as dst:
            while chunk := src.read(1024 * 1024):
                dst.write(chunk)
        try:
            yield from read_mask_video(scratch)
        finally:
            scratch.unlink(missing_ok=True)
        return
    members = dict(video.mask_members)  # frame index -> zip member
    for index in range(video.frame_count):
        member = members.get(index)
        if member is None:
            yield None
        else:
            data = np.frombuffer(contents.read(member), np.uint8)
            yield cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)


def _ground_truth_zip(contents: ExportContents, video: ExportedVideo, out: Path) -> None:
    """The swap ground-truth zip rebuilt from the export's full-frame masks: a frame
    is manipulated where its mask is not all black."""
    from deepreview_workers.pipeline.swap.groundtruth import GroundTruthWriter

    writer = GroundTruthWriter(out, (video.height, video.width))
    count = 0
    try:
        masks = _export_masks(contents, video, out.with_name(f"{video.key}.masks.mp4"))
        for index, mask in enumerate(masks):
            count = index + 1
            ys, xs = np.nonzero(mask) if mask is not None else ((), ())
            if not len(xs):
                writer.add_frame(index)
                continue
            box = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
            writer.add_frame(index, alpha=mask[box[1] : box[3], box[0] : box[2]], box=box)
        for index in range(count, video.frame_count):  # a mask video shorter than probed
            writer.add_frame(index)
    except BaseException:
        writer.abort()
        raise
    writer.close(
        {
            "video": {
                "file_name": video.name,
                "frame_count": video.frame_count,
                "fps": video.fps,
                "width": video.width,
                "height": video.height,
            },
            "source": {"file_name": video.name, "start_frame": 0, "end_frame": video.frame_count},
            "synthetic": {"imported": True, "method": video.method},
        }
    )


def dataset_import(*, record: DatasetImport, zip_path: Path, progress: ProgressCallback) -> dict:
    """Fill ``record.project`` from the export at ``zip_path`` (the import job runs this).

    All or nothing: the rows go in one transaction, and when the job fails or is
    cancelled, at any point, ``import_discard`` removes the project and every file it
    stored, keeping only the record with the reason (``DatasetImport.error``).
    """
    with transaction.atomic():
        return _fill_project(record=record, zip_path=zip_path, progress=progress)


def import_discard(*, job_id: int, status: str) -> None:
    """After an import job failed or was cancelled: remove the project it was filling
    (rows and stored files), keep the record and say why."""
    record = DatasetImport.objects.filter(job_id=job_id).select_related("project", "job").first()
    if record is None or record.project is None or record.summary:
        return
    if status == JobStatus.CANCELLED:
        reason = "Cancelled."
    else:
        reason = record.job.error.splitlines()[0] if record.job and record.job.error else "Failed."
    project = record.project
    DatasetImport.objects.filter(pk=record.pk).update(
        error=f"{reason} The project it was filling was removed.", project=None
    )
    project_services.project_delete(project=project)


def _fill_project(*, record: DatasetImport, zip_path: Path, progress: ProgressCallback) -> dict:
    try:
        contents = read_export(zip_path)
        bad = verify_manifest(zip_path)
    except ExportError as exc:
        raise ApplicationError(str(exc), code="bad_export") from None
    if bad:
        shown = ", ".join(bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
        raise ApplicationError(
            f"The export is damaged: {len(bad)} file(s) do not match manifest.sha256 ({shown}). "
            "Nothing was imported; download it again.",
            code="bad_export",
        )
    without_video = [v.name for v in contents.videos if not v.raw_member]
    if without_video:
        raise ApplicationError(
            f"{len(without_video)} video(s) of this export are not in it (it was made without "
            "the FaceForensics++-style tree, which carries the original files), so it cannot "
            "be loaded into a project. Export again with that format.",
            code="bad_export",
        )
    project: Project = record.project
    owner = record.created_by
    for kind in contents.taxonomy:
        if kind.slug not in builtin_slugs():
            ArtifactKind.objects.get_or_create(
                project=project,
                slug=kind.slug,
                defaults={
                    "label": kind.label,
                    "description": kind.description,
                    "created_by": owner,
                },
            )
    people: dict[str, AbstractBaseUser] = {}

    def person(pseudonym: str) -> AbstractBaseUser:
        if pseudonym not in people:
            people[pseudonym] = _pseudonym_user(record, pseudonym)
        return people[pseudonym]

    media_by_key: dict[str, MediaItem] = {}
    videos = sorted(contents.videos, key=lambda v: v.key)
    step = scaled(progress, 0.0, 0.9)
    with tempfile.TemporaryDirectory(dir=settings.FILE_UPLOAD_TEMP_DIR) as tmp:
        for done, video in enumerate(videos):
            step(done / max(len(videos), 1), f"Video {done + 1} of {len(videos)}: {video.name}")
            media_by_key[video.key] = _import_video(contents, video, record, Path(tmp), person)
        step(1.0, "Videos imported")
        progress(0.92, "Faces")
        faces = 0
        for face in contents.faces:
            media = media_by_key.get(face.video)
            row = ImportedFace(
                dataset_import=record,
                media=media,
                split=face.split,
                label=face.label,
                frame_index=face.frame,
            )
            folder = f"projects/{project.pk}/imports/{record.pk}/faces/{face.split}"
            stem = Path(face.crop_member).name
            row.crop.save(
                f"{folder}/{stem}", ContentFile(contents.read(face.crop_member)), save=False
            )
            if face.mask_member:
                row.mask.save(
                    f"{folder}/masks/{stem}",
                    ContentFile(contents.read(face.mask_member)),
                    save=False,
                )
            row.save()
            faces += 1
    summary = {
        "videos": len(media_by_key),
        "faces": faces,
        "reviewers": len(people),
        "labels": {label: sum(v.label == label for v in videos) for label in ("real", "fake")},
        "manifest_sha256": contents.manifest_sha256,
    }
    record.summary = summary
    record.save(update_fields=["summary"])
    return summary


def _import_video(
    contents: ExportContents,
    video: ExportedVideo,
    record: DatasetImport,
    tmp: Path,
    person: Callable[[str], AbstractBaseUser],
) -> MediaItem:
    project = record.project
    names = [n for n in video.identities if not n.startswith("unnamed:")]
    identities = {n: Identity.objects.get_or_create(project=project, name=n)[0] for n in names}
    path = tmp / f"{video.key}{Path(video.name).suffix or '.mp4'}"
    with contents.open(video.raw_member) as src, path.open("wb") as dst:
        while chunk := src.read(1024 * 1024):
            dst.write(chunk)
    # The label is the project's truth only when the export's labels were; a reviewer's
    # or the consensus label comes back as what it was: verdicts and a consensus.
    known = video.label_source == "ground_truth" or bool(
        video.method and video.method != "uploaded"
    )
    origin = video.label if known else Origin.UNKNOWN
    with path.open("rb") as handle:
        upload = UploadedFile(handle, name=video.name, size=path.stat().st_size)
        media, _created = media_upload(
            project=project,
            upload=upload,
            uploaded_by=record.created_by,
            origin=origin,
            identity_id=identities[names[0]].pk if len(names) == 1 else None,
        )
    if video.mask_video or video.mask_members or (video.method and video.method != "uploaded"):
        gt_path = tmp / f"{video.key}.groundtruth.zip"
        _ground_truth_zip(contents, video, gt_path)
        conversion = Conversion(
            project=project,
            output_media=media,
            direction="a-to-b",
            options=dict(video.method_options),
            frame_count=video.frame_count,
            manipulated_count=sum(b - a + 1 for a, b in video.manipulated_ranges),
            manipulated_ranges=[list(r) for r in video.manipulated_ranges],
            provenance={
                "imported": record.file_name,
                "method": video.method,
                "identities": list(video.identities),
            },
        )
        with gt_path.open("rb") as handle:
            conversion.masks.save(f"{media.folder}/groundtruth.zip", File(handle), save=False)
        conversion.save()
    for verdict in video.verdicts:
        Verdict.objects.get_or_create(
            media=media,
            reviewer=person(verdict.reviewer),
            defaults={
                "project": project,
                "label": verdict.label,
                "confidence": verdict.confidence,
                "rationale": verdict.rationale,
            },
        )
    if video.consensus:
        Consensus.objects.get_or_create(
            media=media,
            defaults={
                "project": project,
                "label": video.consensus,
                "decided_by": record.created_by,
                "note": "imported",
            },
        )
    for mark in video.marks:
        Mark.objects.create(
            project=project,
            media=media,
            kind=mark.kind,
            start_frame=mark.start_frame,
            end_frame=mark.end_frame,
            region=list(mark.region) if mark.region else None,
            note=mark.note,
            created_by=person(mark.author),
            updated_by=person(mark.author),
        )
    return media


def import_job_record(job: Job) -> DatasetImport:
    record = (
        DatasetImport.objects.filter(pk=job.params.get("import_id"))
        .select_related("project", "created_by")
        .first()
    )
    if record is None:
        raise ApplicationError("The import was deleted before it ran.")
    return record
