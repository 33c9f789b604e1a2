"""Business rules for media: upload with probe and dedup, edits, previews, deletion."""

from __future__ import annotations

import json
import logging
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models.fields.files import FieldFile

from deepreview.core.errors import ApplicationError
from deepreview.core.names import display_name
from deepreview.core.storage import stored_local_path
from deepreview.jobs import services as job_services
from deepreview.jobs.models import ACTIVE_STATUSES
from deepreview.media.models import MediaItem, MediaKind, MediaStatus, Origin
from deepreview.media.types import media_type
from deepreview.projects.models import Identity, Project
from deepreview_workers.pipeline.video_io import (
    DEFAULT_VIDEO_CODECS,
    MediaRejected,
    PreviewResult,
    ProbeResult,
    file_sha256,
    probe_media,
)

logger = logging.getLogger(__name__)

PROBE_JOB = "probe"


def _allowed_video_codecs() -> frozenset[str]:
    configured = settings.ALLOWED_VIDEO_CODECS
    return frozenset(configured) if configured else DEFAULT_VIDEO_CODECS


@contextmanager
def _upload_on_disk(upload: UploadedFile) -> Iterator[Path]:
    """A filesystem path for the upload (our handlers already spooled it to disk)."""
    if hasattr(upload, "temporary_file_path"):
        yield Path(upload.temporary_file_path())
        return
    with tempfile.NamedTemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR, suffix=".upload") as tmp:
        for chunk in upload.chunks():
            tmp.write(chunk)
        tmp.flush()
        yield Path(tmp.name)


def _resolve_identity(project: Project, identity_id: int | None) -> Identity | None:
    if identity_id is None:
        return None
    identity = Identity.objects.filter(project=project, pk=identity_id).first()
    if identity is None:
        raise ApplicationError(
            "That identity does not exist in this project.",
            fields={"identity": ["Unknown identity."]},
        )
    return identity


def media_upload(
    *,
    project: Project,
    upload: UploadedFile | None,
    uploaded_by: AbstractBaseUser,
    origin: str = Origin.UNKNOWN,
    identity_id: int | None = None,
    defer_large_probe: bool = False,
) -> tuple[MediaItem, bool]:
    """Store a probed upload and queue its probe job; returns (item, created).

    A file already in the project (same SHA-256) returns the existing item and
    stores nothing. A rejected file raises ApplicationError and leaves no row
    and no stored file behind.
    """
    if upload is None:
        raise ApplicationError(
            "Choose a video or image file to upload.",
            code="no_file",
            fields={"file": ["Required."]},
        )
    if upload.size > settings.MAX_UPLOAD_BYTES:
        raise upload_too_large_error()
    with _upload_on_disk(upload) as path:
        return media_add_local(
            project=project,
            path=path,
            name=upload.name or "upload",
            added_by=uploaded_by,
            origin=origin,
            identity_id=identity_id,
            defer_large_probe=defer_large_probe,
        )


def media_add_local(
    *,
    project: Project,
    path: Path,
    name: str,
    added_by: AbstractBaseUser | None,
    origin: str = Origin.UNKNOWN,
    identity_id: int | None = None,
    defer_large_probe: bool = False,
) -> tuple[MediaItem, bool]:
    """Probe a local file, store a copy as project media and queue its probe job.

    Returns (item, created); see :func:`media_upload` for duplicates and rejects. With
    ``defer_large_probe`` (an API upload), a file over ``PROBE_IN_REQUEST_MAX_BYTES`` is
    stored unprobed and its probe job hashes and probes it (:func:`media_complete_probe`),
    so a large upload does not hold the request. Jobs that add media probe in line.
    """
    identity = _resolve_identity(project, identity_id)
    item = MediaItem(
        project=project,
        name=display_name(name),
        size_bytes=path.stat().st_size,
        origin=origin,
        identity=identity,
        uploaded_by=added_by,
    )
    if defer_large_probe and item.size_bytes > settings.PROBE_IN_REQUEST_MAX_BYTES:
        # Known after the probe job: a large file is taken for a video until then.
        item.kind, item.sha256, item.width, item.height = MediaKind.VIDEO, _unprobed_sha(), 0, 0
        return _store_and_queue(item, path, extension=".bin")
    item.sha256 = file_sha256(path)
    existing = MediaItem.objects.filter(project=project, sha256=item.sha256).first()
    if existing:
        return existing, False
    _apply_probe(item, _probe(path))
    # The stored extension is the probed type's: a JPEG named .mp4 is stored as JPEG.
    _mime, extension = media_type(item.kind, item.container, item.codec)
    return _store_and_queue(item, path, extension=extension)


UNPROBED_PREFIX = "unprobed:"


def _unprobed_sha() -> str:
    return f"{UNPROBED_PREFIX}{uuid.uuid4().hex}"  # unique per item until the probe hashes it


def _probe(path: Path) -> ProbeResult:
    try:
        return probe_media(path, allowed_video_codecs=_allowed_video_codecs())
    except MediaRejected as exc:
        raise ApplicationError(exc.message, code=exc.code) from None


def _apply_probe(item: MediaItem, probe: ProbeResult) -> None:
    item.kind = probe.kind
    item.container, item.codec, item.pix_fmt = probe.container, probe.codec, probe.pix_fmt or ""
    item.width, item.height, item.fps = probe.width, probe.height, probe.fps
    item.frame_count, item.duration_seconds = probe.frame_count, probe.duration_seconds
    item.has_audio, item.audio_codec = probe.has_audio, probe.audio_codec or ""
    item.bit_rate = probe.bit_rate


def _store_and_queue(item: MediaItem, path: Path, *, extension: str) -> tuple[MediaItem, bool]:
    with path.open("rb") as handle:
        # Storage copies in chunks; the file is never read into memory whole.
        item.file.save(f"original{extension}", File(handle), save=False)
    try:
        with transaction.atomic():
            item.save()
            job_services.job_create(
                project_id=item.project_id,
                kind=PROBE_JOB,
                media_id=item.pk,
                created_by=item.uploaded_by,
                params={"every_n_frames": None, "max_tiles": settings.SPRITE_MAX_TILES},
            )
    except IntegrityError:
        # Someone added the same file at the same moment: keep theirs.
        item.file.delete(save=False)
        return MediaItem.objects.get(project=item.project_id, sha256=item.sha256), False
    except BaseException:
        item.file.delete(save=False)
        raise
    return item, True


def media_is_unprobed(item: MediaItem) -> bool:
    return item.sha256.startswith(UNPROBED_PREFIX)


def media_complete_probe(*, item: MediaItem, path: Path) -> MediaItem:
    """The request's checks for a large upload, in its probe job: the hash (a file
    already in the project is removed again, saying where the first copy is) and the
    probe (a file that is not usable media fails, with the reason)."""
    sha256 = file_sha256(path)
    existing = MediaItem.objects.filter(project=item.project_id, sha256=sha256).first()
    if existing is not None:
        media_delete(item=item)
        raise ApplicationError(
            f"“{item.name}” is already in the project as “{existing.name}” (#{existing.pk}); "
            "this copy was removed.",
            code="duplicate",
        )
    _apply_probe(item, _probe(path))
    item.sha256 = sha256
    item.save()
    return item


def upload_too_large_error() -> ApplicationError:
    limit_mib = settings.MAX_UPLOAD_BYTES / 1024**2
    return ApplicationError(
        f"The file is larger than the upload limit of {limit_mib:,.0f} MiB.",
        code="too_large",
        status=413,
    )


def media_update(
    *,
    item: MediaItem,
    origin: str | None = None,
    identity_id: int | None = ...,
    name: str | None = None,
) -> MediaItem:
    if origin is not None:
        item.origin = origin
    if identity_id is not ...:
        item.identity = _resolve_identity(item.project, identity_id)
    if name is not None:
        item.name = name
    item.save()
    return item


def _stored_fields(item: MediaItem) -> list[FieldFile]:
    return [f for f in (item.file, item.poster, item.sprite, item.frame_pts, item.proxy) if f]


def media_delete(*, item: MediaItem) -> None:
    """Delete the item, its stored files and stop its running jobs."""
    for job in item.jobs.filter(status__in=ACTIVE_STATUSES):
        job_services.job_request_cancel(job=job)
    fields = _stored_fields(item)
    item.delete()
    for field in fields:
        field.storage.delete(field.name)


def media_local_path(item: MediaItem) -> AbstractContextManager[Path]:
    """The original as a local file (see ``stored_local_path``)."""
    return stored_local_path(item.file)


def media_save_previews(*, item: MediaItem, previews: PreviewResult) -> MediaItem:
    """Store what the probe job made and mark the item ready."""
    folder = item.folder

    def store(field: FieldFile, source: Path, name: str) -> None:
        if field:
            field.storage.delete(field.name)
        with source.open("rb") as handle:
            field.save(f"{name}", File(handle), save=False)

    # FileFields here have no upload_to; give them full names inside the item folder.
    for field_name, source, name in [
        ("poster", previews.poster_path, "poster.jpg"),
        ("sprite", previews.sprite.path if previews.sprite else None, "sprite.jpg"),
        ("proxy", previews.proxy_path, "proxy.mp4"),
    ]:
        if source is not None:
            store(getattr(item, field_name), Path(source), f"{folder}/{name}")
    if item.kind == "video":
        if item.frame_pts:
            item.frame_pts.storage.delete(item.frame_pts.name)
        payload = json.dumps([round(t, 6) for t in previews.frame_pts_seconds]).encode()
        item.frame_pts.save(f"{folder}/frame_pts.json", ContentFile(payload), save=False)
    if previews.sprite:
        sprite = previews.sprite
        item.sprite_meta = {
            "columns": sprite.columns,
            "rows": sprite.rows,
            "tile_width": sprite.tile_width,
            "tile_height": sprite.tile_height,
            "every_n_frames": sprite.every_n_frames,
            "frame_indices": list(sprite.frame_indices),
        }
    if (
        item.kind == "video"
        and previews.frames_decoded
        and previews.frames_decoded != item.frame_count
    ):
        logger.warning(
            "Media %s: probe counted %s frames, decode gave %s",
            item.pk,
            item.frame_count,
            previews.frames_decoded,
        )
        item.frame_count = previews.frames_decoded
    item.status = MediaStatus.READY
    item.save()
    return item


def media_mark_failed(*, media_id: int) -> None:
    MediaItem.objects.filter(pk=media_id).update(status=MediaStatus.FAILED)
