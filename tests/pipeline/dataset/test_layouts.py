"""The dataset-layout readers on member names alone: detection by marker files, the
people and pairing each layout gives, and the refusals that name what is wrong."""

from __future__ import annotations

import json

import pytest

from deepreview_workers.pipeline.dataset.layouts import (
    LayoutError,
    UnknownLayoutError,
    detect_layout,
    read_videos,
)


class Names:
    """Members from a dict of name -> bytes."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files

    def names(self) -> list[str]:
        return sorted(self.files)

    def read(self, name: str) -> bytes:
        return self.files[name]


def _facts(files: dict[str, bytes], layout: str) -> dict[str, tuple]:
    videos, _info = read_videos(Names(files), layout)
    return {v.key: (v.label, v.method, v.identities, v.original, v.split) for v in videos}


@pytest.mark.parametrize(
    ("names", "layout"),
    [
        (["export.json", "original_sequences/youtube/raw/videos/x.mp4"], "deepreview"),
        (["FF/manipulated_sequences/Deepfakes/c23/videos/000_001.mp4"], "ffpp"),
        (["part/metadata.json", "part/a.mp4"], "dfdc"),
        (["Celeb-DF-v2/Celeb-real/id0_0000.mp4"], "celebdf"),
    ],
)
def test_layouts_are_told_apart_by_their_marker_files(names, layout):
    assert detect_layout(names) == layout


def test_no_marker_names_every_layouts_markers():
    with pytest.raises(UnknownLayoutError) as error:
        detect_layout(["clip.mp4", "notes.txt"])
    for marker in ("export.json", "original_sequences/", "metadata.json", "Celeb-real"):
        assert marker in str(error.value)


def test_deepfakedetection_actors_pair_by_scene():
    files = {
        "original_sequences/actors/c23/videos/01__walking.mp4": b"",
        "manipulated_sequences/DeepFakeDetection/c23/videos/01_02__walking__ABC123.mp4": b"",
        "manipulated_sequences/Deepfakes/c23/videos/005_006.mp4": b"",  # no original here
    }
    assert _facts(files, "ffpp") == {
        "ffpp-actors-01__walking": ("real", None, ("ffpp-actors-01",), None, ""),
        "ffpp-DeepFakeDetection-01_02__walking__ABC123": (
            "fake",
            "ffpp-DeepFakeDetection",
            ("ffpp-actors-01", "ffpp-actors-02"),
            "ffpp-actors-01__walking",
            "",
        ),
        "ffpp-Deepfakes-005_006": ("fake", "ffpp-Deepfakes", ("ffpp-005", "ffpp-006"), None, ""),
    }


def test_two_faceforensics_trees_are_refused():
    files = {
        "a/original_sequences/youtube/c23/videos/000.mp4": b"",
        "b/original_sequences/youtube/c23/videos/001.mp4": b"",
    }
    with pytest.raises(LayoutError, match="more than one FaceForensics"):
        read_videos(Names(files), "ffpp")


def test_a_dfdc_original_must_be_a_real_video_of_the_same_list():
    metadata = {
        "a.mp4": {"label": "FAKE", "original": "b.mp4"},
        "b.mp4": {"label": "FAKE", "original": "a.mp4"},
    }
    files = {"metadata.json": json.dumps(metadata).encode(), "a.mp4": b"", "b.mp4": b""}
    with pytest.raises(LayoutError, match="is not a REAL video"):
        read_videos(Names(files), "dfdc")


def test_celebdf_testing_list_must_agree_with_the_folders():
    files = {
        "Celeb-real/id0_0000.mp4": b"",
        "List_of_testing_videos.txt": b"0 Celeb-real/id0_0000.mp4\n",
    }
    with pytest.raises(LayoutError, match="calls Celeb-real/id0_0000.mp4 fake"):
        read_videos(Names(files), "celebdf")


def test_a_compression_is_for_faceforensics_only():
    files = {"Celeb-real/id0_0000.mp4": b""}
    with pytest.raises(LayoutError, match="FaceForensics\\+\\+ only"):
        read_videos(Names(files), "celebdf", compression="c23")
