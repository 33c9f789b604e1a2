"""Whole folders of stored files: every file the app stores for a project lies under
``projects/<project id>/``, and a faceset's under ``projects/<id>/facesets/<faceset id>/``,
so deleting one deletes its folder, on local disk and on S3 alike."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

from django.core.files.storage import Storage, default_storage

logger = logging.getLogger(__name__)


def project_folder(project_id: int) -> str:
    return f"projects/{project_id}"


def faceset_folder(project_id: int, faceset_id: int) -> str:
    return f"projects/{project_id}/facesets/{faceset_id}"


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
