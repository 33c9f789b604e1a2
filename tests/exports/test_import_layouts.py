"""FaceForensics++, DFDC and Celeb-DF trees, generated here, imported into new and
existing projects: labels, methods, people, pairing, masks; round trips through an
export; what-gets-caught rows per method; and bad input refused without a trace."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.urls import reverse

from deepreview.detection.services import caught_matrix
from deepreview.exports import importer, services
from deepreview.exports.models import DatasetImport
from deepreview.media.models import MediaItem
from deepreview.projects.models import Project
from deepreview.swaps.models import Conversion
from deepreview_workers.pipeline.dataset.read import read_export
from deepreview_workers.pipeline.progress import no_progress
from deepreview_workers.pipeline.swap.groundtruth import read_ground_truth
from deepreview_workers.tasks.base import run_job
from tests.conftest import client_for
from tests.exports import layout_fixtures as fixtures

pytestmark = pytest.mark.django_db(transaction=True)


def _import(path: Path, user, **kwargs) -> DatasetImport:  # noqa: ANN001
    """Prepare and run an import of the zip at ``path``, with the probes a worker runs."""
    with path.open("rb") as handle:
        upload = UploadedFile(handle, name=path.name, size=path.stat().st_size)
        record = importer.import_prepare(upload=upload, name="", requested_by=user, **kwargs)
    importer.dataset_import(record=record, zip_path=path, progress=no_progress)
    for job in record.project.jobs.filter(kind="probe", status="queued"):
        run_job.run(job.pk)
    return record


def _zip(tmp_path: Path, layout: str) -> Path:
    folder = fixtures.LAYOUTS[layout](tmp_path / layout)
    return fixtures.zip_folder(folder, tmp_path / f"{layout}.zip")


def _facts(project: Project) -> dict[str, tuple]:
    """name -> (origin, method, identities, original's name) of the project's videos."""
    facts = {}
    for media in MediaItem.objects.filter(project=project).select_related("identity"):
        conversion = Conversion.objects.filter(output_media=media).first()
        provenance = conversion.provenance if conversion else {}
        people = tuple(
            provenance.get("identities") or ([media.identity.name] if media.identity else [])
        )
        source = conversion.source_media.name if conversion and conversion.source_media else None
        facts[media.name] = (media.origin, provenance.get("method"), people, source)
    return facts


def test_faceforensics_gives_labels_methods_people_pairs_and_masks(team, tmp_path):
    record = _import(_zip(tmp_path, "ffpp"), team.users["owner"])
    assert record.summary["layout"] == "ffpp" and record.summary["compression"] == "c23"
    assert record.summary["methods"] == {"ffpp-Deepfakes": 1, "ffpp-Face2Face": 1}
    assert record.summary["paired"] == 2
    assert _facts(record.project) == {
        "000.mp4": ("real", None, ("ffpp-000",), None),
        "001.mp4": ("real", None, ("ffpp-001",), None),
        "002.mp4": ("real", None, ("ffpp-002",), None),
        "003.mp4": ("real", None, ("ffpp-003",), None),
        "000_001.mp4": ("fake", "ffpp-Deepfakes", ("ffpp-000", "ffpp-001"), "000.mp4"),
        "002_003.mp4": ("fake", "ffpp-Face2Face", ("ffpp-002", "ffpp-003"), "002.mp4"),
    }
    # FF++'s lossy mask video came back as the manipulated frames and the box.
    masked = Conversion.objects.get(output_media__name="000_001.mp4")
    first, last = fixtures.MASKED
    assert masked.manipulated_ranges == [[first, last]]
    with masked.masks.open("rb") as handle:
        (tmp_path / "gt.zip").write_bytes(handle.read())
    truth = read_ground_truth(tmp_path / "gt.zip")
    assert truth.manipulated_frames == list(range(first, last + 1))
    ys, xs = (truth.mask(first) > 128).nonzero()
    x0, y0, x1, y1 = fixtures.BOX
    assert abs(xs.min() - x0) <= 2 and abs(xs.max() + 1 - x1) <= 2 and abs(ys.min() - y0) <= 2
    # Without masks in the layout: no ground-truth zip; the whole video counts as fake,
    # and asking for a frame's mask is a plain 404.
    unmasked = Conversion.objects.get(output_media__name="002_003.mp4")
    assert not unmasked.masks and unmasked.manipulated_ranges == [[0, fixtures.FRAMES - 1]]
    url = reverse("conversion-mask-frame", args=[unmasked.pk, 0])
    assert client_for(team.users["owner"]).get(url).status_code == 404
    # The what-gets-caught matrix has one row per method.
    rows = caught_matrix(project=record.project)["rows"]
    assert sorted((r["settings"]["model"], r["videos"]) for r in rows) == [
        ("ffpp-Deepfakes", 1),
        ("ffpp-Face2Face", 1),
    ]


def test_faceforensics_compression_is_chosen_once(team, tmp_path):
    folder = fixtures.ffpp(tmp_path / "ff", compressions=("c23", "c40"))
    archive = fixtures.zip_folder(folder, tmp_path / "ff.zip")
    record = _import(archive, team.users["owner"], compression="c40")
    assert record.summary["compression"] == "c40" and record.summary["videos"] == 6
    (folder / "original_sequences/youtube/c40/videos/003.mp4").unlink()
    partial = fixtures.zip_folder(folder, tmp_path / "partial.zip")
    with pytest.raises(Exception, match="003 .*c40|have no c40 file"):
        _import(partial, team.users["owner"], compression="c40")


@pytest.mark.parametrize("layout", ["ffpp", "dfdc", "celebdf"])
def test_round_trip_through_an_identity_disjoint_export(team, tmp_path, layout):
    record = _import(_zip(tmp_path, layout), team.users["owner"])
    project = record.project
    before = _facts(project)
    export = services.export_prepare(
        project=project,
        name="release",
        selection={"label_source": "ground_truth"},
        options={"formats": ["ffpp"], "ratios": [0.5, 0.5, 0.0], "seed": 3},
        requested_by=team.users["owner"],
    )
    out = tmp_path / "export.zip"
    summary = services.export_build(export=export, out_zip=out, progress=no_progress)
    services.export_record(export=export, zip_path=out, summary=summary)
    exported = {v.name: v for v in read_export(out).videos}
    assert set(exported) == set(before)
    for name, (_origin, method, people, original) in before.items():
        assert exported[name].method == method
        assert set(people) <= set(exported[name].identities)
        if original:  # identity-disjoint: a fake sits in its original's split
            assert exported[name].split == exported[original].split
    assert len({v.split for v in exported.values()}) == 2  # the people were kept apart

    again = _import(out, team.users["curator"])
    assert _facts(again.project) == before  # labels, methods, people and the pairing


def test_dfdc_clusters_each_fake_with_its_original(team, tmp_path):
    record = _import(_zip(tmp_path, "dfdc"), team.users["owner"])
    assert _facts(record.project) == {
        "aaa.mp4": ("real", None, ("dfdc-aaa",), None),
        "bbb.mp4": ("real", None, ("dfdc-bbb",), None),
        "ccc.mp4": ("fake", "dfdc", ("dfdc-aaa",), "aaa.mp4"),
        "ddd.mp4": ("fake", "dfdc", ("dfdc-bbb",), "bbb.mp4"),
    }
    fake = Conversion.objects.get(output_media__name="ccc.mp4")
    assert fake.provenance["split"] == "train" and not fake.masks


def test_celebdf_people_pairs_and_the_test_split(team, tmp_path):
    record = _import(_zip(tmp_path, "celebdf"), team.users["owner"])
    facts = _facts(record.project)
    assert facts["id0_id1_0000.mp4"] == (
        "fake",
        "celebdf",
        ("celebdf-id0", "celebdf-id1"),
        "id0_0000.mp4",
    )
    assert facts["id1_0000.mp4"] == ("real", None, ("celebdf-id1",), None)
    assert facts["00000.mp4"] == ("real", None, (), None)  # YouTube-real names nobody
    splits = {
        c.output_media.name: c.provenance["split"]
        for c in Conversion.objects.filter(project=record.project)
    }
    assert splits == {"id0_id1_0000.mp4": "test", "id2_id3_0000.mp4": "train"}


def test_into_an_existing_project_needs_a_curator_and_adds_to_it(team, tmp_path):
    archive = _zip(tmp_path, "dfdc")
    projects = Project.objects.count()
    url = reverse("import-list")
    for role, status in (("viewer", 403), ("outsider", 404)):
        with archive.open("rb") as handle:
            response = client_for(team.users[role]).post(
                url, {"file": handle, "project": team.project.pk}, format="multipart"
            )
        assert response.status_code == status, response.content
    assert Project.objects.count() == projects and not DatasetImport.objects.exists()

    with archive.open("rb") as handle:
        response = client_for(team.users["curator"]).post(
            url, {"file": handle, "project": team.project.pk}, format="multipart"
        )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["project"] == team.project.pk and body["into_existing"] and body["layout"] == "dfdc"
    run_job.run(body["job"])
    assert MediaItem.objects.filter(project=team.project).count() == 4
    assert Project.objects.count() == projects


def test_a_failed_import_into_an_existing_project_leaves_it_as_it_was(team, tmp_path):
    folder = fixtures.celebdf(tmp_path / "celeb")
    # A video the probe refuses, found only after others were stored.
    (folder / "Celeb-DF-v2/YouTube-real/00000.mp4").write_bytes(b"not a video")
    archive = fixtures.zip_folder(folder, tmp_path / "celeb.zip")
    with archive.open("rb") as handle:
        upload = UploadedFile(handle, name=archive.name, size=archive.stat().st_size)
        record = importer.import_request(
            upload=upload, name="", requested_by=team.users["curator"], project_id=team.project.pk
        )
    media_folder = f"projects/{team.project.pk}/media"
    before = (
        default_storage.listdir(media_folder)[0] if default_storage.exists(media_folder) else []
    )

    run_job.run(record.job_id)

    record.refresh_from_db()
    assert record.project_id == team.project.pk and "Nothing was added" in record.error
    assert not MediaItem.objects.filter(project=team.project).exists()
    after = default_storage.listdir(media_folder)[0] if default_storage.exists(media_folder) else []
    assert after == before
    assert not default_storage.exists(f"projects/{team.project.pk}/imports/{record.pk}/export.zip")


def _post(team, path: Path) -> dict:  # noqa: ANN001
    with path.open("rb") as handle:
        response = client_for(team.users["owner"]).post(
            reverse("import-list"), {"file": handle}, format="multipart"
        )
    assert response.status_code == 400, response.content
    return response.json()["error"]


@pytest.mark.parametrize(
    ("case", "code", "phrase"),
    [
        ("unknown layout", "not_an_export", "metadata.json"),
        ("unlisted video", "bad_layout", "not in its metadata.json"),
        ("listed but absent", "bad_layout", "not beside it"),
        ("outside the folder", "bad_layout", "not a file in its own folder"),
        ("original outside", "bad_layout", "not a file in its own folder"),
        ("bad label", "bad_layout", "REAL and FAKE"),
        ("celebdf list outside", "bad_layout", "a path outside the dataset"),
        ("ffpp odd name", "bad_layout", "<target>_<source>.mp4"),
        ("zip slip", "unsafe_archive", "../../evil.mp4"),
    ],
)
def test_bad_datasets_are_refused_and_nothing_is_made(team, tmp_path, case, code, phrase):
    good = {
        "aaa.mp4": {"label": "REAL", "original": None},
        "bbb.mp4": {"label": "REAL", "original": None},
        "ccc.mp4": {"label": "FAKE", "original": "aaa.mp4"},
        "ddd.mp4": {"label": "FAKE", "original": "bbb.mp4"},
    }
    extra: dict[str, bytes] = {}
    if case == "unknown layout":
        folder = tmp_path / "misc"
        fixtures.video(folder / "clip.mp4", 1)
    elif case == "celebdf list outside":
        folder = fixtures.celebdf(tmp_path / "c", testing="1 ../../etc/passwd\n")
    elif case == "ffpp odd name":
        folder = fixtures.ffpp(tmp_path / "f")
        fixtures.video(folder / "manipulated_sequences/Deepfakes/c23/videos/oops.mp4", 9)
    else:
        metadata = {
            "unlisted video": {k: v for k, v in good.items() if k != "ddd.mp4"},
            "listed but absent": {**good, "eee.mp4": {"label": "REAL"}},
            "outside the folder": {**good, "../../etc/passwd": {"label": "REAL"}},
            "original outside": {**good, "ccc.mp4": {"label": "FAKE", "original": "../x.mp4"}},
            "bad label": {**good, "aaa.mp4": {"label": "MAYBE"}},
            "zip slip": good,
        }[case]
        folder = fixtures.dfdc(tmp_path / "d", metadata=metadata)
        if case == "zip slip":
            extra = {"../../evil.mp4": b"outside"}
    archive = fixtures.zip_folder(folder, tmp_path / "bad.zip", extra=extra)
    projects = Project.objects.count()
    error = _post(team, archive)
    assert error["code"] == code and phrase in error["message"], error
    assert Project.objects.count() == projects and not DatasetImport.objects.exists()


def test_import_a_folder_from_the_command_line(team, tmp_path, capsys):
    from deepreview_workers.cli import main

    folder = fixtures.ffpp(tmp_path / "FaceForensics")
    owner = team.users["owner"].username
    argv = ["import", str(folder), "--owner", owner, "--layout", "ffpp", "--compression", "c23"]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["videos"] == 6 and out["layout"] == "ffpp" and out["paired"] == 2
    project = Project.objects.get(pk=out["project"])
    assert not MediaItem.objects.filter(project=project, status="processing").exists()
    # A failure says why and leaves no project behind.
    projects = Project.objects.count()
    assert main(["import", str(folder), "--owner", owner, "--layout", "dfdc"]) == 1
    assert "metadata.json" in capsys.readouterr().err
    assert main(["import", str(folder), "--owner", owner, "--compression", "c40"]) == 1
    assert "c40" in capsys.readouterr().err
    assert Project.objects.count() == projects
