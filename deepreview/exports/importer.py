"""Loading a dataset into a project: a deepreview export, or the FaceForensics++, DFDC
or Celeb-DF folder layout (``deepreview_workers.pipeline.dataset.layouts``).

What comes back from an export is what went out, so exporting the imported project
again with the same selection and seed gives the same manifest: the videos keep their
bytes (hence their keys), names and identities; the project's fakes keep their ground
truth and how they were made; verdicts, consensus and marks come back under the
export's pseudonyms (``reviewer-N``), as inactive accounts that cannot sign in.

From a dataset layout come its videos with the dataset's labels, each fake's method
(``ffpp-<Method>``, ``dfdc``, ``celebdf``), the people the layout names (fakes: in the
conversion's provenance, so identity-disjoint exports count both), the pairing of each
fake with its original (``Conversion.source_media``) and FaceForensics++'s masks. A fake
whose layout ships no masks gets a conversion without a ground-truth zip
(``Conversion.masks`` empty, every frame counted manipulated): the label is per video.

All or nothing: into a new project, a failure removes the project; into an existing
one (``project_id``, curators), the rows roll back and the files it stored are removed.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from django.contrib.auth.models import AbstractBaseUser
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from deepreview.core.errors import ApplicationError
from deepreview.core.storage import storage_delete_tree
from deepreview.exports.import_fill import fill_project, import_folder
from deepreview.exports.models import DatasetImport
from deepreview.jobs import services as job_services
from deepreview.jobs.models import Job, JobStatus
from deepreview.projects import services as project_services
from deepreview.projects.roles import Role
from deepreview.projects.selectors import access_project
from deepreview_workers.pipeline.dataset.layouts import (
    AUTO,
    DEEPREVIEW,
    LayoutError,
    UnknownLayoutError,
    ZipMembers,
    read_videos,
    resolve_layout,
)
from deepreview_workers.pipeline.dataset.layouts.common import Members
from deepreview_workers.pipeline.dataset.read import (
    ExportError,
    open_tree,
    unsafe_members,
    unsafe_message,
)
from deepreview_workers.pipeline.progress import ProgressCallback

IMPORT_JOB = "dataset_import"


def _check_dataset(members: Members, where: str, layout: str, compression: str) -> str:
    """The layout of the dataset ``members`` hold (``layout``, or detected for auto);
    a dataset layout's lists are read here too, so a bad one is refused before
    anything is made. Raises ApplicationError naming what is wrong."""
    try:
        chosen = resolve_layout(members.names(), layout)
        if compression and chosen != "ffpp":
            raise LayoutError("A compression is chosen for FaceForensics++ only.")
        if chosen == DEEPREVIEW and "export.json" not in members.names():
            raise LayoutError("This is not a deepreview dataset export (it has no export.json).")
        if chosen != DEEPREVIEW:
            read_videos(members, chosen, compression=compression or None)
    except LayoutError as exc:
        code = "not_an_export" if isinstance(exc, UnknownLayoutError) else "bad_layout"
        raise ApplicationError(f"{where}: {exc}", code=code) from None
    return chosen


def _record_create(
    *,
    where: str,
    name: str,
    requested_by: AbstractBaseUser,
    project_id: int | None,
    layout: str,
    compression: str,
) -> DatasetImport:
    """The import's record, in a new project (owned by ``requested_by``) or, with
    ``project_id``, in that project (``requested_by`` needs the curator role there)."""
    if project_id is not None:
        project = access_project(requested_by, project_id, min_role=Role.CURATOR)
    else:
        project = project_services.project_create(
            name=(name or Path(where).stem)[:200],
            created_by=requested_by,
            description=f"Imported from {where}.",
        )
    return DatasetImport.objects.create(
        project=project,
        file_name=where[:255],
        created_by=requested_by,
        layout=layout,
        compression=compression,
        into_existing=project_id is not None,
    )


def import_prepare(
    *,
    upload: UploadedFile,
    name: str,
    requested_by: AbstractBaseUser,
    project_id: int | None = None,
    layout: str = AUTO,
    compression: str = "",
) -> DatasetImport:
    """Store the uploaded zip and make the import's record, in a new project (owned by
    the uploader) or an existing one (``project_id``; curators). A zip that is not an
    importable dataset, or is hostile, is refused here, before anything is made."""
    if upload is None:
        raise ApplicationError("Choose an export zip to import.", fields={"file": ["Required."]})
    try:
        with zipfile.ZipFile(upload) as archive:
            unsafe = unsafe_members(archive)
            if unsafe:  # checked before anything is made; the readers refuse them too
                raise ApplicationError(unsafe_message(upload.name, unsafe), code="unsafe_archive")
            chosen = _check_dataset(ZipMembers(archive), upload.name, layout, compression)
    except zipfile.BadZipFile:
        raise ApplicationError("This file is not a zip archive.", code="not_an_export") from None
    upload.seek(0)
    with transaction.atomic():
        record = _record_create(
            where=upload.name,
            name=name,
            requested_by=requested_by,
            project_id=project_id,
            layout=chosen,
            compression=compression,
        )
        record.upload.save(
            f"projects/{record.project_id}/imports/{record.pk}/export.zip",
            File(upload),
            save=False,
        )
        record.save(update_fields=["upload"])
    return record


def import_prepare_folder(
    *,
    folder: Path,
    name: str,
    requested_by: AbstractBaseUser,
    project_id: int | None = None,
    layout: str = AUTO,
    compression: str = "",
) -> DatasetImport:
    """``import_prepare`` for a dataset in a local folder (the CLI): checked the same
    way, read in place by ``dataset_import`` (nothing is copied into storage first)."""
    if not folder.is_dir():
        raise ApplicationError(f"{folder} is not a folder.", code="not_an_export")
    try:
        with open_tree(folder) as tree:
            chosen = _check_dataset(tree, folder.name, layout, compression)
    except ExportError as exc:  # symbolic links
        raise ApplicationError(str(exc), code="unsafe_archive") from None
    return _record_create(
        where=folder.name,
        name=name,
        requested_by=requested_by,
        project_id=project_id,
        layout=chosen,
        compression=compression,
    )


def import_request(
    *,
    upload: UploadedFile,
    name: str,
    requested_by: AbstractBaseUser,
    project_id: int | None = None,
    layout: str = AUTO,
    compression: str = "",
) -> DatasetImport:
    """``import_prepare``, then the job that fills the project."""
    with transaction.atomic():
        record = import_prepare(
            upload=upload,
            name=name,
            requested_by=requested_by,
            project_id=project_id,
            layout=layout,
            compression=compression,
        )
        record.job = job_services.job_create(
            project_id=record.project_id,
            kind=IMPORT_JOB,
            params={"import_id": record.pk},
            created_by=requested_by,
        )
        record.save(update_fields=["job"])
    return record


def dataset_import(*, record: DatasetImport, zip_path: Path, progress: ProgressCallback) -> dict:
    """Fill ``record.project`` from the dataset at ``zip_path`` (a zip, or the folder
    of a folder import); the import job and the CLI run this.

    All or nothing: the rows go in one transaction. Into a new project, when the job
    fails or is cancelled, at any point, ``import_discard`` removes the project and
    every file it stored, keeping only the record with the reason
    (``DatasetImport.error``). Into an existing project, the files this run stored are
    removed here as the rows roll back, so the project is as it was.
    """
    added: list[str] = []  # storage folders this run made, for an existing project
    try:
        with transaction.atomic():
            return fill_project(record=record, zip_path=zip_path, progress=progress, added=added)
    except BaseException:
        if record.into_existing:
            # The rows rolled back; the stored files did not (import_abandon removes
            # the uploaded zip once the failure is recorded).
            for folder in [*added, f"{import_folder(record)}/faces"]:
                storage_delete_tree(folder)
        raise


def import_discard(*, job_id: int, status: str) -> None:
    """After an import job failed or was cancelled: undo it and say why."""
    record = DatasetImport.objects.filter(job_id=job_id).select_related("project", "job").first()
    if record is None or record.project is None or record.summary:
        return
    if status == JobStatus.CANCELLED:
        reason = "Cancelled."
    else:
        reason = record.job.error.splitlines()[0] if record.job and record.job.error else "Failed."
    import_abandon(record=record, reason=reason)


def import_abandon(*, record: DatasetImport, reason: str) -> None:
    """A failed import: remove the project it was filling (rows and stored files), or,
    for an existing project, the uploaded zip (``dataset_import`` undid the rest);
    keep the record with ``reason``."""
    if record.into_existing:
        DatasetImport.objects.filter(pk=record.pk).update(
            error=f"{reason} Nothing was added to the project."
        )
        folder = import_folder(record)
        transaction.on_commit(lambda: storage_delete_tree(folder))
        return
    project = record.project
    DatasetImport.objects.filter(pk=record.pk).update(
        error=f"{reason} The project it was filling was removed.", project=None
    )
    project_services.project_delete(project=project)


def import_job_record(job: Job) -> DatasetImport:
    record = (
        DatasetImport.objects.filter(pk=job.params.get("import_id"))
        .select_related("project", "created_by")
        .first()
    )
    if record is None:
        raise ApplicationError("The import was deleted before it ran.")
    return record
