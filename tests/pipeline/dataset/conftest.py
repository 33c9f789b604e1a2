"""Shared inputs of the dataset export tests, built once per session.

The main export holds six real videos: the public-domain clip, a fake made from it by
pasting Grace Hopper's face in (with ground truth), two HDTF reals, and the FF++ pair
(original 004 and its NeuralTextures fake, which names both 004 and 982). They form
four identity groups. It is built twice with the same request, for the determinism
test; everything else reads the first build. Tests that need the shared research media
skip when it is absent.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from deepreview_workers.pipeline.dataset.build import build_dataset
from deepreview_workers.pipeline.dataset.encode import encode_video
from deepreview_workers.pipeline.dataset.types import (
    ExportMark,
    ExportOptions,
    ExportRequest,
    ExportSummary,
    ExportTaxonomyKind,
    ExportVerdict,
    ExportVideo,
)
from tests.media_paths import PD_CLIP, SHARED_MEDIA
from tests.pipeline.dataset.media import blank_clip, export_video, pasted_fake, short_clip
from tests.pipeline.torch_threads import one_torch_thread

# Small and quick: 4 frames a video, 96 px crops; 40/40/20 so that both train and
# validation get a fake (the detector-training test needs both classes on both sides).
OPTIONS = ExportOptions(frames_per_video=4, crop_size=96, ratios=(0.4, 0.4, 0.2), seed=0)
TAXONOMY = (
    ExportTaxonomyKind("edge_seam", "Edge seam", "visible boundary around the face"),
    ExportTaxonomyKind("face_blur", "Face blur", "the face is softer than the frame"),
)
SEAM = ExportMark("edge_seam", 8, 14, (0.3, 0.2, 0.65, 0.75), "hard edge", "reviewer-1")
NO_REGION = ExportMark("face_blur", 0, 29, None, "soft face", "reviewer-2")


@pytest.fixture(scope="module", autouse=True)
def _one_torch_thread() -> Iterator[None]:
    with one_torch_thread():
        yield


@dataclass(frozen=True)
class Pasted:
    video: Path
    ground_truth: Path
    record: ExportVideo


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dataset_media")


@pytest.fixture(scope="session")
def pasted(media_dir: Path) -> Pasted:
    video, truth = pasted_fake(media_dir / "pasted_fake.mp4")
    record = export_video(
        video,
        "fake",
        ("Barack Obama", "Grace Hopper"),
        method="deepreview-original",
        ground_truth=truth,
        marks=(SEAM, NO_REGION),
        verdicts=(
            ExportVerdict("reviewer-1", "fake", 0.9, "hard edge round the face"),
            ExportVerdict("reviewer-2", "fake", 0.7, "soft"),
        ),
        consensus="fake",
    )
    return Pasted(video, truth, record)


@pytest.fixture(scope="session")
def short(media_dir: Path) -> Path:
    """The public-domain clip's first 30 frames (H.264, 512x388)."""
    return short_clip(media_dir / "short.mp4")


def research(*names: str) -> list[Path]:
    paths = [SHARED_MEDIA / name for name in names]
    missing = [p.name for p in paths if not p.is_file()]
    if missing:
        pytest.skip(f"shared research media not found at {SHARED_MEDIA}: {', '.join(missing)}")
    return paths


@pytest.fixture(scope="session")
def main_request(pasted: Pasted) -> ExportRequest:
    aoc, hill, original, textures = research(
        "real_videos/hdtf_WDA_AlexandriaOcasioCortez_000.mp4",
        "real_videos/hdtf_WDA_KatieHill_000.mp4",
        "real_videos/ffpp_original_youtube_004.mp4",
        "fake_videos/ffpp_NeuralTextures_004_982.mp4",
    )
    videos = (
        export_video(PD_CLIP, "real", ("Barack Obama",), source="public domain (17 U.S.C. 105)"),
        pasted.record,
        export_video(aoc, "real", ("Alexandria Ocasio-Cortez",), source="HDTF, research only"),
        export_video(hill, "real", ("Katie Hill",), source="HDTF, research only"),
        export_video(original, "real", ("ffpp-004",), source="FaceForensics++ terms"),
        export_video(
            textures,
            "fake",
            ("ffpp-004", "ffpp-982"),
            method="NeuralTextures",
            label_source="consensus",
            source="FaceForensics++ terms",
        ),
    )
    return ExportRequest(
        videos=videos,
        options=OPTIONS,
        selection={"label_source": "ground_truth", "labels": ["fake", "real"]},
        taxonomy=TAXONOMY,
        agreement={"krippendorff_alpha": 0.81, "reviewers": 2},
        title="deepreview test dataset",
    )


@dataclass(frozen=True)
class Built:
    zip_path: Path
    summary: ExportSummary
    fractions: list[float]
    folder: Path  # the zip extracted


@pytest.fixture(scope="session")
def main_export(main_request: ExportRequest, tmp_path_factory: pytest.TempPathFactory) -> Built:
    root = tmp_path_factory.mktemp("main_export")
    fractions: list[float] = []
    with one_torch_thread():
        summary = build_dataset(
            main_request, root / "export.zip", lambda fraction, message: fractions.append(fraction)
        )
    with zipfile.ZipFile(root / "export.zip") as archive:
        archive.extractall(root / "tree")
    return Built(root / "export.zip", summary, fractions, root / "tree")


@pytest.fixture(scope="session")
def small_request(short: Path, media_dir: Path) -> ExportRequest:
    """The same footage twice under two names (the short clip, and its c23 re-encode:
    other bytes, the same faces) and a video without faces, one group per split."""
    copy = encode_video(short, media_dir / "short_copy.mp4", "c23")
    blank = blank_clip(media_dir / "blank.mp4")
    videos = (
        export_video(short, "real", ("Alice",), name="alice.mp4"),
        export_video(copy, "real", ("Bob",), name="bob.mp4"),
        export_video(blank, "real", ("Nobody",), name="grey.mp4"),
    )
    options = replace(OPTIONS, ratios=(1, 1, 1), compressions=("c40",))
    return ExportRequest(videos=videos, options=options, selection={"media": "all"})


@pytest.fixture(scope="session")
def small_export(small_request: ExportRequest, tmp_path_factory: pytest.TempPathFactory) -> Built:
    root = tmp_path_factory.mktemp("small_export")
    with one_torch_thread():
        summary = build_dataset(small_request, root / "export.zip")
    with zipfile.ZipFile(root / "export.zip") as archive:
        archive.extractall(root / "tree")
    return Built(root / "export.zip", summary, [], root / "tree")
