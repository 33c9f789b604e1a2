"""A real export built from the database, imported into a new project, exported again:
the same manifest; and a damaged export is refused without a trace."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from django.core.files.uploadedfile import UploadedFile

from deepreview.exports import importer, services
from deepreview.exports.models import DatasetExport
from deepreview.media.models import MediaItem
from deepreview.projects.models import Project
from deepreview.review.models import Consensus, Mark, Verdict
from deepreview.swaps.models import Conversion
from deepreview_workers.pipeline.progress import no_progress
from deepreview_workers.pipeline.swap.groundtruth import read_ground_truth
from deepreview_workers.tasks.base import run_job
from tests.pipeline.dataset.media import PASTED
from tests.pipeline.torch_threads import one_torch_thread

pytestmark = pytest.mark.django_db(transaction=True)

SELECTION = {"label_source": "ground_truth"}
OPTIONS = {"frames_per_video": 4, "crop_size": 96, "ratios": [1, 0, 0], "seed": 7}


def _build(project: Project, user, tmp_path, name: str) -> tuple[DatasetExport, dict]:  # noqa: ANN001
    export = services.export_prepare(
        project=project, name="release", selection=SELECTION, options=OPTIONS, requested_by=user
    )
    out = tmp_path / name
    with one_torch_thread():
        summary = services.export_build(export=export, out_zip=out, progress=no_progress)
    services.export_record(export=export, zip_path=out, summary=summary)
    return export, summary


def test_export_import_export_gives_the_same_manifest(team, source_project, tmp_path):
    first, summary = _build(source_project, team.users["curator"], tmp_path, "first.zip")
    assert summary["videos"] == 2 and summary["faces"] == 8
    with zipfile.ZipFile(tmp_path / "first.zip") as archive:
        assert "edge-seam" in archive.read("annotations/annotations.json").decode()

    with (tmp_path / "first.zip").open("rb") as handle:
        upload = UploadedFile(handle, name="release.zip", size=first.size_bytes)
        record = importer.import_prepare(
            upload=upload, name="Imported release", requested_by=team.users["viewer"]
        )
    imported = importer.dataset_import(
        record=record, zip_path=tmp_path / "first.zip", progress=no_progress
    )
    assert imported["videos"] == 2 and imported["faces"] == 8 and imported["reviewers"] == 2
    project = record.project
    assert project.memberships.get(user=team.users["viewer"]).role == "owner"
    for job in project.jobs.filter(kind="probe"):  # previews: the worker's job, run here
        run_job.run(job.pk)
    fake = MediaItem.objects.get(project=project, origin="fake")
    conversion = Conversion.objects.get(output_media=fake)
    assert conversion.manipulated_ranges == [list(PASTED)]
    # The masks went out as FaceForensics++ ships them (one video per fake) and came
    # back as the same ground truth: the same manipulated frames, the same masks.
    with zipfile.ZipFile(tmp_path / "first.zip") as archive:
        videos = [n for n in archive.namelist() if "/masks/videos/" in n]
    key = fake.sha256[:16]
    assert videos == [f"manipulated_sequences/deepreview-original/masks/videos/{key}.mp4"]
    original = Conversion.objects.get(project=source_project)
    truths = {}
    for name, row in (("original", original), ("imported", conversion)):
        with row.masks.open("rb") as handle:
            (tmp_path / f"{name}.zip").write_bytes(handle.read())
        truths[name] = read_ground_truth(tmp_path / f"{name}.zip")
    frames = list(range(PASTED[0], PASTED[1] + 1))
    assert truths["imported"].manipulated_frames == truths["original"].manipulated_frames
    assert truths["imported"].manipulated_frames == frames
    for index in frames:
        assert np.array_equal(truths["imported"].mask(index), truths["original"].mask(index))
    assert Verdict.objects.filter(media=fake).count() == 2
    assert Consensus.objects.get(media=fake).label == "fake"
    assert Mark.objects.get(media=fake).region == [0.3, 0.2, 0.65, 0.75]

    second, again = _build(project, team.users["viewer"], tmp_path, "second.zip")
    assert again["manifest_sha256"] == summary["manifest_sha256"]
    assert (tmp_path / "second.zip").read_bytes() == (tmp_path / "first.zip").read_bytes()


def tampered(export_zip: Path) -> bytes:
    """``export_zip`` with export.json changed after its manifest was written."""
    out = io.BytesIO()
    with zipfile.ZipFile(export_zip) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "export.json":
                data = json.dumps({**json.loads(data), "title": "tampered"}).encode()
            dst.writestr(info, data)
    return out.getvalue()


def test_a_damaged_export_is_refused_and_nothing_is_imported(team, source_project, tmp_path):
    first, _summary = _build(source_project, team.users["curator"], tmp_path, "first.zip")
    damaged = io.BytesIO(tampered(tmp_path / "first.zip"))
    record = importer.import_prepare(
        upload=UploadedFile(damaged, name="damaged.zip", size=len(damaged.getvalue())),
        name="",
        requested_by=team.users["owner"],
    )
    path = tmp_path / "damaged.zip"
    path.write_bytes(damaged.getvalue())
    with pytest.raises(Exception, match="damaged"):
        importer.dataset_import(record=record, zip_path=path, progress=no_progress)
    assert not MediaItem.objects.filter(project=record.project).exists()


def test_export_and_import_from_the_command_line(team, source_project, tmp_path, capsys):
    from deepreview_workers.cli import main

    base = [
        "export",
        "--project",
        str(source_project.pk),
        "--user",
        team.users["curator"].username,
        "-o",
        str(tmp_path / "cli.zip"),
        "--frames",
        "2",
        "--crop-size",
        "64",
        "--ratios",
        "1,0,0",
    ]
    assert main([*base, "--preview"]) == 0
    assert json.loads(capsys.readouterr().out)["videos"] == 2
    assert (
        main(
            [
                "export",
                "--project",
                str(source_project.pk),
                "--user",
                team.users["viewer"].username,
                "-o",
                str(tmp_path / "x.zip"),
            ]
        )
        == 1
    )
    assert "curator" in capsys.readouterr().err
    with one_torch_thread():
        assert main(base) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["faces"] == 4 and (tmp_path / "cli.zip").is_file()
    assert DatasetExport.objects.get(pk=summary["export"]).manifest_sha256
    assert (
        main(
            [
                "import",
                str(tmp_path / "cli.zip"),
                "--owner",
                team.users["owner"].username,
                "--name",
                "From the shell",
            ]
        )
        == 0
    )
    imported = json.loads(capsys.readouterr().out)
    project = Project.objects.get(pk=imported["project"])
    assert project.name == "From the shell" and imported["videos"] == 2
    assert not MediaItem.objects.filter(project=project, status="processing").exists()
