"""Stored files, in one place: where they lie, moving them between storage and a local
path, and deleting whole folders.

Every file the app stores for a project lies under ``projects/<project id>/``, and a
faceset's under ``projects/<id>/facesets/<faceset id>/``, so deleting one deletes its
folder, on local disk and on S3 alike. Jobs work on local files in a scratch folder
(``scratch_dir``), read stored files there (``stored_local_path``, ``storage_get``) and
store what they made with ``storage_put``, which replaces what an earlier attempt of
the same job stored under that name, so a retried job is idempotent.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, default_storage
from django.db.models.fields.files import FieldFile

logger = logging.getLogger(__name__)


def project_folder(project_id: int) -> str:
    return f"projects/{project_id}"


def faceset_folder(project_id: int, faceset_id: int) -> str:
    return f"projects/{project_id}/facesets/{faceset_id}"


@contextlib.contextmanager
def scratch_dir() -> Iterator[Path]:
    """A temporary local folder for one job's files, removed afterwards (under
    FILE_UPLOAD_TEMP_DIR, on the same disk as uploads)."""
    with tempfile.TemporaryDirectory(dir=settings.FILE_UPLOAD_TEMP_DIR) as tmp:
        yield Path(tmp)


@contextlib.contextmanager
def stored_local_path(field: FieldFile) -> Iterator[Path]:
    """A stored file as a local file: the storage path, or a temporary download from S3."""
    try:
        yield Path(field.path)
        return
    except NotImplementedError:
        pass
    suffix = Path(field.name).suffix
    with tempfile.NamedTemporaryFile(suffix=suffix) as tmp, field.open("rb") as src:
        shutil.copyfileobj(src, tmp, length=1024 * 1024)
        tmp.flush()
        yield Path(tmp.name)


def storage_get(name: str, target: Path, *, missing_ok: bool = False) -> Path | None:
    """Copy the stored file ``name`` to the local path ``target``; returns ``target``, or
    None when ``missing_ok`` and nothing is stored under that name."""
    if missing_ok and not default_storage.exists(name):
        return None
    with default_storage.open(name, "rb") as src, target.open("wb") as dst:
        shutil.copyfileobj(src, dst, length=8 * 1024 * 1024)
    return target


def storage_put(source: Path | bytes | BinaryIO, name: str) -> str:
    """Store a local file (or bytes, or an open file such as an upload) as ``name``,
    replacing what an earlier attempt of the same job stored there; returns the stored name."""
    default_storage.delete(name)
    if isinstance(source, bytes):
        return default_storage.save(name, ContentFile(source))
    if not isinstance(source, Path):
        source.seek(0)
        return default_storage.save(name, File(source))
    with source.open("rb") as handle:
        return default_storage.save(name, File(handle))


def storage_put_tree(
    folder: Path, prefix: str, *, pattern: str = "*", skip: Iterable[Path] = ()
) -> list[tuple[Path, str]]:
    """Store the files of ``folder`` matching ``pattern`` (in name order, except those in
    ``skip``) under ``prefix`` by their names; returns (local path, stored name) pairs."""
    skipped = set(skip)
    return [
        (path, storage_put(path, f"{prefix}/{path.name}"))
        for path in sorted(folder.glob(pattern))
        if path.is_file() and path not in skipped
    ]


def storage_delete_tree(prefix: str, storage: Storage | None = None) -> int:
    """Delete every file under ``prefix`` (a folder name, no trailing slash); returns how
    many. Safe to call for a folder that does not exist."""
    storage = storage or default_storage
    if not prefix.strip("/") or ".." in prefix.split("/"):
        raise ValueError(f"Refusing to delete storage folder {prefix!r}")
    deleted = 0
    try:
        folders, files = storage.listdir(prefix)
    except (FileNotFoundError, NotADirectoryError):
        return 0
    for name in files:
        storage.delete(f"{prefix}/{name}")
        deleted += 1
    for folder in folders:
        deleted += storage_delete_tree(f"{prefix}/{folder}", storage)
    _remove_empty_local_folder(storage, prefix)
    return deleted


def _remove_empty_local_folder(storage: Storage, prefix: str) -> None:
    try:
        path = Path(storage.path(prefix))
    except NotImplementedError:  # object stores have no folders to remove
        return
    with contextlib.suppress(OSError):  # not empty (a file arrived meanwhile) or gone
        path.rmdir()


def storage_sweep_orphans(storage: Storage | None = None) -> int:
    """Delete the folders of projects and facesets that no longer exist; returns the
    number of files deleted. Catches what a job still running when its project or
    faceset was deleted wrote afterwards."""
    from deepreview.facesets.models import Faceset
    from deepreview.projects.models import Project

    storage = storage or default_storage
    try:
        project_ids, _files = storage.listdir("projects")
    except (FileNotFoundError, NotADirectoryError):
        return 0
    alive = set(Project.objects.values_list("pk", flat=True))
    deleted = 0
    for name in project_ids:
        if not name.isdigit():
            continue
        if int(name) not in alive:
            deleted += storage_delete_tree(project_folder(int(name)), storage)
            continue
        try:
            faceset_ids, _files = storage.listdir(f"{project_folder(int(name))}/facesets")
        except (FileNotFoundError, NotADirectoryError):
            continue
        kept = set(Faceset.objects.filter(project_id=int(name)).values_list("pk", flat=True))
        for faceset_id in faceset_ids:
            if faceset_id.isdigit() and int(faceset_id) not in kept:
                deleted += storage_delete_tree(faceset_folder(int(name), int(faceset_id)), storage)
    if deleted:
        logger.warning("Deleted %s stored files of deleted projects or facesets", deleted)
    return deleted
