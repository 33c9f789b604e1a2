"""Filling a project from a dataset, video by video: the body of ``dataset_import``
(``deepreview.exports.importer`` holds the requests, the record and the undo).

A deepreview export brings its videos, ground truth, faces, verdicts, consensus and
marks; a dataset layout its videos with labels, methods, people, pairing and masks.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile

from deepreview.core.errors import ApplicationError
from deepreview.exports.import_truth import LOSSY_MASK_FLOOR, copy_member, ground_truth_zip
from deepreview.exports.models import DatasetImport, ImportedFace
from deepreview.media.models import MediaItem, Origin
from deepreview.media.services import media_upload
from deepreview.projects.models import Identity, Membership, Project
from deepreview.projects.roles import Role
from deepreview.review.models import ArtifactKind, Consensus, Mark, Verdict
from deepreview.review.taxonomy import builtin_slugs
from deepreview.swaps.models import Conversion
from deepreview_workers.pipeline.dataset.layouts import DEEPREVIEW, read_layout
from deepreview_workers.pipeline.dataset.read import (
    ExportContents,
    ExportedVideo,
    ExportError,
    read_export,
    verify_manifest,
)
from deepreview_workers.pipeline.dataset.tables import frame_ranges
from deepreview_workers.pipeline.progress import ProgressCallback, scaled


def import_folder(record: DatasetImport) -> str:
    """Where the import's own files (the uploaded zip, face crops) are stored."""
    return f"projects/{record.project_id}/imports/{record.pk}"


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


def _read_export(zip_path: Path) -> ExportContents:
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
    return contents


def _read_contents(record: DatasetImport, zip_path: Path) -> ExportContents:
    if record.layout == DEEPREVIEW:
        return _read_export(zip_path)
    try:
        return read_layout(zip_path, record.layout, compression=record.compression or None)
    except ExportError as exc:  # LayoutError, a hostile zip, a folder with links
        raise ApplicationError(str(exc), code="bad_layout") from None


@dataclass
class _ImportRun:
    """What one import carries from video to video."""

    record: DatasetImport
    contents: ExportContents
    tmp: Path
    person: Callable[[str], AbstractBaseUser]
    added: list[str]
    media_by_key: dict[str, MediaItem] = field(default_factory=dict)
    already_there: int = 0
    paired: int = 0

    @property
    def from_layout(self) -> bool:
        return self.record.layout != DEEPREVIEW


def fill_project(
    *, record: DatasetImport, zip_path: Path, progress: ProgressCallback, added: list[str]
) -> dict:
    contents = _read_contents(record, zip_path)
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

    # Originals first, so each fake finds the video it was made from.
    videos = sorted(contents.videos, key=lambda v: (v.original is not None, v.key))
    step = scaled(progress, 0.0, 0.9)
    with tempfile.TemporaryDirectory(dir=settings.FILE_UPLOAD_TEMP_DIR) as tmp:
        run = _ImportRun(record, contents, Path(tmp), person, added)
        for done, video in enumerate(videos):
            step(done / max(len(videos), 1), f"Video {done + 1} of {len(videos)}: {video.name}")
            run.media_by_key[video.key] = _import_video(run, video)
        step(1.0, "Videos imported")
        progress(0.92, "Faces")
        faces = 0
        for face in contents.faces:
            media = run.media_by_key.get(face.video)
            row = ImportedFace(
                dataset_import=record,
                media=media,
                split=face.split,
                label=face.label,
                frame_index=face.frame,
            )
            folder = f"{import_folder(record)}/faces/{face.split}"
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
        "videos": len(run.media_by_key),
        "faces": faces,
        "reviewers": len(people),
        "labels": {label: sum(v.label == label for v in videos) for label in ("real", "fake")},
        "manifest_sha256": contents.manifest_sha256,
    }
    if run.from_layout:
        summary.update(
            layout=record.layout,
            methods=dict(sorted(Counter(v.method for v in videos if v.method).items())),
            paired=run.paired,
            already_there=run.already_there,
            **(
                {"compression": contents.info["compression"]}
                if "compression" in contents.info
                else {}
            ),
        )
    record.summary = summary
    record.save(update_fields=["summary"])
    return summary


def _import_video(run: _ImportRun, video: ExportedVideo) -> MediaItem:
    record, contents, tmp = run.record, run.contents, run.tmp
    project = record.project
    names = [n for n in video.identities if not n.startswith("unnamed:")]
    identities = {n: Identity.objects.get_or_create(project=project, name=n)[0] for n in names}
    path = copy_member(
        contents, video.raw_member, tmp / f"{video.key}{Path(video.name).suffix or '.mp4'}"
    )
    # The label is the project's truth only when the export's labels were; a reviewer's
    # or the consensus label comes back as what it was: verdicts and a consensus.
    known = video.label_source == "ground_truth" or bool(
        video.method and video.method != "uploaded"
    )
    origin = video.label if known else Origin.UNKNOWN
    with path.open("rb") as handle:
        upload = UploadedFile(handle, name=video.name, size=path.stat().st_size)
        media, created = media_upload(
            project=project,
            upload=upload,
            uploaded_by=record.created_by,
            origin=origin,
            identity_id=identities[names[0]].pk if len(names) == 1 else None,
        )
    path.unlink()
    if created:
        run.added.append(media.folder)
    elif record.into_existing:
        # The project had this file: it keeps its own label, people and ground truth.
        run.already_there += 1
    if not video.sha256:  # a dataset layout's video: the probe knows what the list did not
        video = replace(
            video,
            sha256=media.sha256,
            frame_count=media.frame_count or 0,
            fps=media.fps or 0.0,
            width=media.width or 0,
            height=media.height or 0,
        )
    if created and (
        video.mask_video or video.mask_members or (video.method and video.method != "uploaded")
    ):
        _conversion_create(run, video, media)
    if created or not record.into_existing:
        _review_rows(run, video, media)
    return media


def _conversion_create(run: _ImportRun, video: ExportedVideo, media: MediaItem) -> Conversion:
    record = run.record
    ranges = [list(r) for r in video.manipulated_ranges]
    gt_path = None
    if video.mask_video or video.mask_members or not run.from_layout:
        gt_path = run.tmp / f"{video.key}.groundtruth.zip"
        frames = ground_truth_zip(
            run.contents,
            video,
            gt_path,
            noise_floor=LOSSY_MASK_FLOOR if run.from_layout else 0,
        )
        if run.from_layout:
            ranges = frame_ranges(frames)
    elif video.frame_count:
        # No masks in the layout: its label says the whole video is fake.
        ranges = [[0, video.frame_count - 1]]
    provenance = {
        "imported": record.file_name,
        "method": video.method,
        "identities": list(video.identities),
    }
    source = run.media_by_key.get(video.original) if video.original else None
    if run.from_layout:
        provenance.update(
            layout=record.layout,
            source=video.source,
            split=video.split,
            ground_truth="masks" if gt_path else "video label (the layout ships no masks)",
        )
        run.paired += source is not None
    conversion = Conversion(
        project=record.project,
        source_media=source,
        output_media=media,
        direction="a-to-b",
        options=dict(video.method_options),
        frame_count=video.frame_count,
        manipulated_count=sum(b - a + 1 for a, b in ranges),
        manipulated_ranges=ranges,
        provenance=provenance,
    )
    if gt_path is not None:
        with gt_path.open("rb") as handle:
            conversion.masks.save(f"{media.folder}/groundtruth.zip", File(handle), save=False)
    conversion.save()
    return conversion


def _review_rows(run: _ImportRun, video: ExportedVideo, media: MediaItem) -> None:
    """An export's verdicts, consensus and marks of ``video`` (a layout has none)."""
    project, person = run.record.project, run.person
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
                "decided_by": run.record.created_by,
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
