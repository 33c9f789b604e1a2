"""Imports that must leave nothing behind: a zip-slip archive with a valid manifest is
refused before anything is made, and an import job that fails removes its project."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.urls import reverse

from deepreview.core.storage import project_folder
from deepreview.exports import importer
from deepreview.exports.models import DatasetImport
from deepreview.projects.models import Project
from deepreview_workers.pipeline.dataset.read import ExportError, read_export
from deepreview_workers.tasks.base import run_job
from tests.conftest import client_for
from tests.exports.test_export_roundtrip import _build, tampered

pytestmark = pytest.mark.django_db(transaction=True)
HOSTILE = {
    "../../evil.txt": b"outside",
    "/tmp/evil-absolute.txt": b"absolute",
    "faces\\..\\..\\evil-backslash.txt": b"backslash",
}
LINK = "faces/train/real/link.png"


def _rezip(
    source: Path,
    extra: dict[str, bytes],
    *,
    link: bool = False,
    change: dict[str, bytes] | None = None,
) -> bytes:
    """``source``'s entries plus ``extra``, with a manifest that lists them all (so the
    checksums pass and only the names are hostile)."""
    out = io.BytesIO()
    entries: dict[str, bytes] = {}
    with zipfile.ZipFile(source) as src:
        for info in src.infolist():
            if info.filename != "manifest.sha256":
                entries[info.filename] = (change or {}).get(info.filename, src.read(info))
    entries.update(extra)
    with zipfile.ZipFile(out, "w") as dst:
        for name, data in entries.items():
            dst.writestr(name, data)
        if link:
            info = zipfile.ZipInfo(LINK)
            info.external_attr = 0o120777 << 16  # a symbolic link to /etc/passwd
            dst.writestr(info, "/etc/passwd")
            entries[LINK] = b"/etc/passwd"
        manifest = "".join(f"{hashlib.sha256(d).hexdigest()}  {n}\n" for n, d in entries.items())
        dst.writestr("manifest.sha256", manifest)
    return out.getvalue()


def test_a_zip_slip_export_is_refused_and_nothing_is_made(team, source_project, tmp_path):
    _build(source_project, team.users["curator"], tmp_path, "first.zip")
    hostile = tmp_path / "upload" / "hostile.zip"
    hostile.parent.mkdir()
    hostile.write_bytes(_rezip(tmp_path / "first.zip", HOSTILE, link=True))
    projects_before = Project.objects.count()

    with hostile.open("rb") as handle:
        response = client_for(team.users["viewer"]).post(
            reverse("import-list"), {"file": handle}, format="multipart"
        )
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "unsafe_archive"
    assert "../../evil.txt" in error["message"] and "Nothing was imported" in error["message"]
    assert Project.objects.count() == projects_before
    assert not DatasetImport.objects.exists()
    # Nothing was written outside (or inside) any folder.
    for root in (tmp_path, Path(default_storage.location), Path("/tmp")):
        assert not list(root.rglob("evil*.txt"))
    # The reader refuses it too (a CLI import, or one that skipped the request check).
    with pytest.raises(ExportError, match="unsafe entr"):
        read_export(hostile)


def test_an_extracted_export_with_a_symlink_is_refused(team, source_project, tmp_path):
    _build(source_project, team.users["curator"], tmp_path, "first.zip")
    folder = tmp_path / "extracted"
    with zipfile.ZipFile(tmp_path / "first.zip") as archive:
        archive.extractall(folder)
    os.symlink("/etc/passwd", folder / "passwd.png")
    with pytest.raises(ExportError, match="symbolic links"):
        read_export(folder)


def test_an_import_job_that_fails_removes_its_project_and_says_why(team, source_project, tmp_path):
    _build(source_project, team.users["curator"], tmp_path, "first.zip")
    # Tampered after the manifest was written: the job finds it, after the project exists.
    damaged = tampered(tmp_path / "first.zip")
    record = importer.import_request(
        upload=UploadedFile(io.BytesIO(damaged), name="tampered.zip", size=len(damaged)),
        name="",
        requested_by=team.users["owner"],
    )
    project_id = record.project_id
    assert Project.objects.filter(pk=project_id).exists()

    run_job.run(record.job_id)

    record.refresh_from_db()
    assert record.project_id is None
    assert "damaged" in record.error and "was removed" in record.error
    assert not Project.objects.filter(pk=project_id).exists()
    with pytest.raises(FileNotFoundError):
        default_storage.listdir(project_folder(project_id))
    listed = client_for(team.users["owner"]).get(reverse("import-list")).json()
    row = next(r for r in listed["results"] if r["id"] == record.pk)
    assert (row["status"], row["project_url"]) == ("failed", None)
