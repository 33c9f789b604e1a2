"""Real facesets, a real target clip and one trained model, built once per test session.

Identity A is the public-domain Obama clip (one frame in 8), identity B the public-domain
Grace Hopper portrait re-framed in 12 frames; the target clip is the Obama clip's first
36 frames with 6 blank frames (no face) and an AAC tone. All faces come from the real
extractor (MTCNN, dlib landmarks) on the CPU.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from deepreview_workers.pipeline.extract import ExtractOptions, Extractor
from deepreview_workers.pipeline.swap.augment import AugmentOptions
from deepreview_workers.pipeline.swap.faceset import Faceset, load_faceset_folder
from deepreview_workers.pipeline.swap.train import (
    Trainer,
    TrainOptions,
    TrainResult,
    TrainStatus,
    faceset_size,
)
from tests.media_paths import HOPPER, PD_CLIP, require_shared_media
from tests.pipeline.swap.media import clip_with_gap, photo_clip
from tests.pipeline.torch_threads import one_torch_thread

TARGET_FRAMES = 36
BLANK = range(12, 18)

# Light augmentation so a tiny CPU model learns visibly in seconds; the default (full)
# augmentation is covered by the augmentation unit tests and the short runs below.
LIGHT = AugmentOptions(
    rotation_degrees=5, zoom=0.03, shift=0.03, lab_lightness=0.0, lab_ab=0.0, contrast=0.0
)
TRAIN = TrainOptions(
    arch="original",
    width=0.125,
    batch_size=8,
    learning_rate=1e-3,
    iterations=200,
    checkpoint_every=100,
    preview_every=100,
    log_every=10,
    seed=1,
    device="cpu",
    min_faces=8,
    augment=LIGHT,
    identity_a="obama",
    identity_b="hopper",
)


@pytest.fixture(scope="module", autouse=True)
def _one_torch_thread() -> Iterator[None]:
    with one_torch_thread():
        yield


@dataclass(frozen=True)
class SwapMedia:
    faces_a: Path  # extracted folders
    faces_b: Path
    target_clip: Path
    target_faces: Path  # extraction of target_clip, every frame


@dataclass(frozen=True)
class TrainedRun:
    model_dir: Path
    result: TrainResult
    statuses: list[TrainStatus]
    fractions: list[float]


@pytest.fixture(scope="session")
def swap_media(tmp_path_factory: pytest.TempPathFactory) -> SwapMedia:
    require_shared_media()
    with one_torch_thread():
        return _extract_media(tmp_path_factory.mktemp("swap_media"))


def _extract_media(root: Path) -> SwapMedia:
    every = Extractor(ExtractOptions(sampling="all", device="cpu", embed_interval_seconds=1.0))
    sparse = copy.copy(every)
    sparse.options = replace(every.options, sampling="every_n", every_n=8)
    sparse.run(PD_CLIP, root / "faces_a")
    hopper = photo_clip(HOPPER, root / "hopper.mp4", 12)
    every.run(hopper, root / "faces_b")
    target = clip_with_gap(root / "target.mp4", frames=TARGET_FRAMES, blank=BLANK)
    every.run(target, root / "target_faces")
    return SwapMedia(root / "faces_a", root / "faces_b", target, root / "target_faces")


@pytest.fixture(scope="session")
def facesets(swap_media: SwapMedia) -> tuple[Faceset, Faceset]:
    size = faceset_size(TRAIN)
    return (
        load_faceset_folder(swap_media.faces_a, size=size, label="obama"),
        load_faceset_folder(swap_media.faces_b, size=size, label="hopper"),
    )


@pytest.fixture(scope="session")
def trained(
    facesets: tuple[Faceset, Faceset], tmp_path_factory: pytest.TempPathFactory
) -> TrainedRun:
    model_dir = tmp_path_factory.mktemp("swap_model") / "model"
    statuses: list[TrainStatus] = []
    fractions: list[float] = []
    with one_torch_thread():
        trainer = Trainer(model_dir, *facesets, TRAIN)
        result = trainer.run(
            on_status=statuses.append,
            progress=lambda fraction, message: fractions.append(fraction),
        )
    return TrainedRun(model_dir, result, statuses, fractions)
