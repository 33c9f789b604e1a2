"""The export zip on real media: identity-disjoint, deterministic, checksummed, counted,
with the original bytes, the ground-truth masks and the annotations."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections import Counter
from dataclasses import replace

import cv2
import numpy as np
import pytest

from deepreview_workers.pipeline.dataset.build import build_dataset
from deepreview_workers.pipeline.dataset.maskvideo import read_mask_video
from deepreview_workers.pipeline.dataset.read import verify_manifest
from deepreview_workers.pipeline.dataset.splits import SplitError, identity_overlap
from deepreview_workers.pipeline.dataset.types import ExportRequest
from deepreview_workers.pipeline.progress import Cancelled
from tests.media_paths import REPO_ROOT, SHARED_MEDIA
from tests.pipeline.dataset.conftest import OPTIONS, SEAM
from tests.pipeline.dataset.media import PASTED
from tests.pipeline.torch_threads import one_torch_thread


def rows_of(folder) -> list[dict]:
    with open(folder / "metadata.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def info_of(folder) -> dict:
    return json.loads((folder / "export.json").read_text())


def names_of(built) -> list[str]:  # noqa: ANN001
    with zipfile.ZipFile(built.zip_path) as archive:
        return archive.namelist()


def test_no_identity_is_in_two_splits(main_export, main_request):
    info = info_of(main_export.folder)
    splits = {v["key"]: v["split"] for v in info["videos"]}
    assert identity_overlap(splits, main_request.videos) == {}
    assert info["identity_disjoint"] is True and info["identity_overlap"] == {}
    # From the face rows alone: every person's crops sit in one split.
    where: dict[str, set[str]] = {}
    for row in rows_of(main_export.folder):
        for person in row["identity"].split(";"):
            where.setdefault(person, set()).add(row["split"])
    assert where and all(len(s) == 1 for s in where.values())
    # A fake's source identity (and target) never turns up in another split's videos.
    for fake in (v for v in main_request.videos if v.label == "fake"):
        elsewhere = {
            i
            for v in main_request.videos
            if splits[v.key] != splits[fake.key]
            for i in v.identities
        }
        assert not set(fake.identities) & elsewhere
    assert (
        "0 identities are shared between splits"
        in (main_export.folder / "datasheet.md").read_text()
    )


def test_two_builds_of_one_request_are_byte_identical(main_export, main_request, tmp_path):
    with one_torch_thread():
        again = build_dataset(main_request, tmp_path / "again.zip")
    assert (tmp_path / "again.zip").read_bytes() == main_export.zip_path.read_bytes()
    assert again.manifest_sha256 == main_export.summary.manifest_sha256
    assert replace(again, seconds=0) == replace(main_export.summary, seconds=0)


def test_every_checksum_verifies_and_damage_is_found(main_export, tmp_path):
    assert verify_manifest(main_export.zip_path) == []
    assert verify_manifest(main_export.folder) == []
    manifest = (main_export.folder / "manifest.sha256").read_text().splitlines()
    members = zipfile.ZipFile(main_export.zip_path).namelist()
    assert len(manifest) == len(members) - 1 == main_export.summary.files - 1
    assert members[-1] == "manifest.sha256" and members[:-1] == sorted(members[:-1])
    assert (
        hashlib.sha256((main_export.folder / "manifest.sha256").read_bytes()).hexdigest()
        == main_export.summary.manifest_sha256
    )
    # A changed crop, a missing datasheet and a stray file are all reported.
    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(main_export.zip_path) as src, zipfile.ZipFile(damaged, "w") as dst:
        crop = next(n for n in src.namelist() if n.endswith(".png"))
        for name in src.namelist():
            if name == "datasheet.md":
                continue
            data = src.read(name)
            dst.writestr(name, data + b"x" if name == crop else data)
        dst.writestr("extra.txt", b"not listed")
    assert verify_manifest(damaged) == sorted([crop, "datasheet.md", "extra.txt"])


def test_counts_in_export_json_equal_the_rows(main_export, main_request):
    info = info_of(main_export.folder)
    rows = rows_of(main_export.folder)
    labels = Counter(r["label"] for r in rows)
    counts = info["counts"]
    assert counts["faces"] == len(rows) == main_export.summary.faces > 0
    assert (counts["real_faces"], counts["fake_faces"]) == (labels["real"], labels["fake"])
    assert counts["videos"] == len(info["videos"]) == len(main_request.videos)
    for split, figures in info["splits"].items():
        chosen = [r for r in rows if r["split"] == split]
        assert figures["faces"] == len(chosen)
        assert figures["fake"] == sum(r["label"] == "fake" for r in chosen)
        jsonl = main_export.folder / "imagefolder" / split / "metadata.jsonl"
        assert len(jsonl.read_text().splitlines()) == len(chosen)
    assert info["splits"] == main_export.summary.splits
    per_video = Counter(r["video"] for r in rows)
    assert {v["key"]: v["faces"] for v in info["videos"]} == {
        v.key: per_video[v.key] for v in main_request.videos
    }
    # Every row's files exist, and every crop in the tree has a row.
    tree = main_export.folder
    for row in rows:
        assert (tree / row["path"]).is_file()
        assert (row["mask"] != "") == (
            row["method"] == "deepreview-original" and row["label"] == "fake"
        )
        assert row["mask"] == "" or (tree / row["mask"]).is_file()
    crops = {p.relative_to(tree).as_posix() for p in (tree / "imagefolder").rglob("*.png")}
    assert crops == {r["path"] for r in rows}


def test_no_clock_and_no_machine_paths_in_the_content(main_export, main_request):
    with zipfile.ZipFile(main_export.zip_path) as archive:
        infos = archive.infolist()
        texts = [
            archive.read(i.filename).decode()
            for i in infos
            if i.filename.endswith((".json", ".jsonl", ".csv", ".md", ".sha256"))
        ]
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {i.external_attr >> 16 for i in infos} == {0o100644}
    machine = [str(REPO_ROOT), str(SHARED_MEDIA), str(main_export.zip_path.parent)]
    machine += [str(v.path.parent) for v in main_request.videos]
    for text in texts:
        assert not any(m in text for m in machine)


def test_the_video_tree_holds_the_original_bytes_and_every_mask(main_export, main_request, pasted):
    info = info_of(main_export.folder)
    entries = {v["key"]: v for v in info["videos"]}
    for video in main_request.videos:
        raw = main_export.folder / entries[video.key]["files"]["raw"]
        assert hashlib.sha256(raw.read_bytes()).hexdigest() == video.sha256
        expected = (
            "original_sequences/youtube" if video.label == "real" else "manipulated_sequences"
        )
        assert entries[video.key]["files"]["raw"].startswith(expected)
    fake = entries[pasted.record.key]
    assert fake["manipulated_ranges"] == [list(PASTED)]
    # The masks as FaceForensics++ ships them: one video per fake, frame for frame.
    member = f"manipulated_sequences/deepreview-original/masks/videos/{pasted.record.key}.mp4"
    assert fake["mask_video"] == member and fake["masks"] == PASTED[1] - PASTED[0] + 1
    masks = list(read_mask_video(main_export.folder / member))
    assert len(masks) == pasted.record.frame_count
    assert [i for i, m in enumerate(masks) if m.any()] == list(range(PASTED[0], PASTED[1] + 1))
    with zipfile.ZipFile(pasted.ground_truth) as truth:
        png = np.frombuffer(truth.read(f"masks/{PASTED[0]:07d}.png"), np.uint8)
    assert np.array_equal(masks[PASTED[0]], cv2.imdecode(png, cv2.IMREAD_GRAYSCALE))
    tree = [n for n in names_of(main_export) if n.startswith("manipulated_sequences/")]
    assert not any(n.endswith(".png") for n in tree)  # no PNG per frame any more
    # A fake without ground truth is fake on every frame.
    textures = next(v for v in main_request.videos if v.method == "NeuralTextures")
    assert entries[textures.key]["manipulated_ranges"] == [[0, textures.frame_count - 1]]


def test_annotations_and_coco_regions(main_export, main_request, pasted):
    notes = json.loads((main_export.folder / "annotations/annotations.json").read_text())
    assert [k["slug"] for k in notes["taxonomy"]] == ["edge_seam", "face_blur"]
    video = next(v for v in notes["videos"] if v["key"] == pasted.record.key)
    assert video["consensus"] == "fake" and len(video["verdicts"]) == 2
    assert [m["kind"] for m in video["marks"]] == ["edge_seam", "face_blur"]
    coco = json.loads((main_export.folder / "annotations/regions_coco.json").read_text())
    assert [c["name"] for c in coco["categories"]] == ["edge_seam", "face_blur"]
    (image,) = coco["images"]  # only the seam mark has a region
    assert (image["video"], image["frame_index"]) == (pasted.record.key, 11)
    assert (main_export.folder / image["file_name"]).is_file()
    (box,) = coco["annotations"]
    x0, y0, x1, y1 = SEAM.region
    assert box["bbox"] == pytest.approx([x0 * 512, y0 * 388, (x1 - x0) * 512, (y1 - y0) * 388])
    assert box["category_id"] == 1 and box["image_id"] == image["id"]


def test_progress_runs_forward_to_the_end(main_export):
    fractions = main_export.fractions
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(fractions) > 10


def test_datasheet_reports_sources_labels_and_agreement(main_export):
    text = (main_export.folder / "datasheet.md").read_text()
    for expected in (
        "| train |",
        "| validation |",
        "| test |",
        "| NeuralTextures | 1 | 4 |",
        "| Grace Hopper |",
        "public domain (17 U.S.C. 105)",
        "FaceForensics++ terms",
        "`consensus` (1 videos)",
        "`ground_truth` (5 videos)",
        "krippendorff_alpha: 0.81",
        "Verdicts exported: 2",
        "0 removed",
        "Faces were found in every video",
    ):
        assert expected in text


def test_an_empty_request_and_an_impossible_split_are_refused(main_request, tmp_path):
    with pytest.raises(ValueError, match="holds no videos"):
        build_dataset(replace(main_request, videos=()), tmp_path / "x.zip")
    one_person = replace(
        main_request, videos=tuple(v for v in main_request.videos if "Barack Obama" in v.identities)
    )
    with pytest.raises(SplitError, match="set test and validation to 0"):
        build_dataset(one_person, tmp_path / "x.zip")
    assert list(tmp_path.iterdir()) == []


def test_a_cancel_leaves_no_partial_zip(main_request, tmp_path):
    calls = []

    def cancel_later(fraction: float, message: str) -> None:
        calls.append(fraction)
        if len(calls) > 3:
            raise Cancelled

    with pytest.raises(Cancelled):
        build_dataset(main_request, tmp_path / "x.zip", cancel_later, work_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_imagefolder_rows_match_metadata_csv(main_export):
    rows = rows_of(main_export.folder)
    for split in ("train", "validation", "test"):
        path = main_export.folder / "imagefolder" / split / "metadata.jsonl"
        records = [json.loads(line) for line in io.StringIO(path.read_text())]
        expected = [r for r in rows if r["split"] == split]
        assert [f"imagefolder/{split}/{r['file_name']}" for r in records] == [
            r["path"] for r in expected
        ]
        assert [r["label"] for r in records] == [r["label"] for r in expected]


def test_formats_can_be_chosen_alone(pasted, tmp_path):
    options = replace(OPTIONS, ratios=(1, 0, 0), formats=("annotations",))
    request = ExportRequest(videos=(pasted.record,), options=options, selection={})
    summary = build_dataset(request, tmp_path / "notes.zip")
    with zipfile.ZipFile(tmp_path / "notes.zip") as archive:
        names = archive.namelist()
    assert names == [
        "annotations/annotations.json",
        f"annotations/frames/{pasted.record.key}_000011.jpg",
        "annotations/regions_coco.json",
        "datasheet.md",
        "export.json",
        "manifest.sha256",
    ]
    assert summary.faces == 0 and summary.videos_without_faces == ()
    assert verify_manifest(tmp_path / "notes.zip") == []
    with pytest.raises(ValueError, match="add the ffpp format"):
        build_dataset(
            replace(request, options=replace(options, compressions=("c23",))), tmp_path / "x.zip"
        )
