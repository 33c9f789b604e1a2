"""Near-duplicate faces across splits: the same footage under two names is caught."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from deepreview_workers.pipeline.dataset.dedupe import remove_cross_split_duplicates
from deepreview_workers.pipeline.dataset.faces import SampledFace
from tests.pipeline.clips import decoded_frame_count


def face(video: str, frame: int, vector: list[float]) -> SampledFace:
    embedding = np.asarray(vector, np.float32)
    return SampledFace(
        video=video,
        frame=frame,
        face=0,
        label="real",
        box=(0, 0, 1, 1),
        crop=Path("unused.png"),
        mask=None,
        embedding=embedding / np.linalg.norm(embedding),
    )


def test_later_split_copies_are_dropped_and_earlier_ones_kept():
    train_a = face("a", 0, [1, 0, 0])
    train_b = face("a", 1, [1, 0.01, 0])  # a near copy in the same split stays
    val_copy = face("b", 0, [1, 0.02, 0])
    val_other = face("b", 1, [0, 1, 0])
    test_copy_of_val = face("c", 0, [0, 1, 0.05])
    test_new = face("c", 1, [0, 0, 1])
    faces = [train_a, train_b, val_copy, val_other, test_copy_of_val, test_new]
    splits = {"a": "train", "b": "validation", "c": "test"}
    result = remove_cross_split_duplicates(faces, splits, 0.25)
    assert result.kept == (train_a, train_b, val_other, test_new)
    dropped = [(d.dropped, d.dropped_split, d.kept, d.kept_split) for d in result.duplicates]
    assert dropped == [
        ("b_000000_0.png", "validation", "a_000001_0.png", "train"),
        ("c_000000_0.png", "test", "b_000001_0.png", "validation"),
    ]
    assert all(d.distance < 0.25 for d in result.duplicates)
    assert remove_cross_split_duplicates(faces, splits, 0).kept == tuple(faces)


def test_the_same_video_under_two_names_is_deduplicated(small_export, small_request):
    info = json.loads((small_export.folder / "export.json").read_text())
    split_of = {v["name"]: v["split"] for v in info["videos"]}
    # One group per split: Alice's and Bob's copies of the footage are in two splits.
    assert len(set(split_of.values())) == 3
    order = ("train", "validation", "test")
    first, later = sorted(("alice.mp4", "bob.mp4"), key=lambda n: order.index(split_of[n]))
    keys = {v["name"]: v["key"] for v in info["videos"]}
    assert small_export.summary.duplicates_removed == 4 == info["counts"]["duplicates_removed"]
    assert {d["dropped"].split("_")[0] for d in info["duplicates"]} == {keys[later]}
    assert {d["kept"].split("_")[0] for d in info["duplicates"]} == {keys[first]}
    assert all(d["distance"] < 0.25 for d in info["duplicates"])
    with open(small_export.folder / "metadata.csv", newline="") as handle:
        videos = {row["video"] for row in csv.DictReader(handle)}
    assert videos == {keys[first]}
    sheet = (small_export.folder / "datasheet.md").read_text()
    assert "4 removed" in sheet and keys[later] in sheet


def test_a_video_without_faces_is_listed_not_an_error(small_export):
    info = json.loads((small_export.folder / "export.json").read_text())
    grey = next(v for v in info["videos"] if v["name"] == "grey.mp4")
    assert small_export.summary.videos_without_faces == (grey["key"],)
    assert info["videos_without_faces"] == [grey["key"]] and grey["faces"] == 0
    assert f"no crops: {grey['key']}" in (small_export.folder / "datasheet.md").read_text()


def test_requested_compressions_join_the_raw_originals(small_export):
    info = json.loads((small_export.folder / "export.json").read_text())
    for video in info["videos"]:
        assert set(video["files"]) == {"raw", "c40"}
        encoded = small_export.folder / video["files"]["c40"]
        assert video["files"]["c40"].startswith("original_sequences/youtube/c40/videos/")
        assert decoded_frame_count(encoded) == video["frame_count"]
