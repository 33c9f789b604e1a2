"""The app's own face swaps as detector fakes: a real swap model, real conversions with
ground truth, faces cut as detection cuts them, each with its mask."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from deepreview_workers.pipeline.detection.swapfakes import swap_fake_faces, swap_pair
from deepreview_workers.pipeline.swap import read_ground_truth
from tests.media_paths import HOPPER, PD_CLIP, require_shared_media
from tests.pipeline.swap.media import photo_clip
from tests.pipeline.torch_threads import one_torch_thread

FRAMES = 12


@pytest.fixture(scope="module")
def swaps(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    require_shared_media()
    root = tmp_path_factory.mktemp("swapfakes")
    hopper = photo_clip(HOPPER, root / "hopper.mp4", FRAMES)
    with one_torch_thread():
        made = swap_pair(
            PD_CLIP, hopper, root / "work", iterations=300, frames=FRAMES, identities=("o", "h")
        )
    return root, made


def test_both_directions_are_converted_with_ground_truth(swaps):
    _root, made = swaps
    assert [(c.real.name, c.identity) for c in made] == [
        (PD_CLIP.name, "o"),
        ("hopper.mp4", "h"),
    ]
    for conversion in made:
        truth = read_ground_truth(conversion.ground_truth)
        assert conversion.fake.stat().st_size > 0
        assert truth.manipulated_frames, conversion.fake.name


def test_fake_faces_carry_their_masks_inside_the_crop(swaps):
    root, made = swaps
    faces = swap_fake_faces(made, root / "faces", size=128, frames=FRAMES, every=4, with_reals=True)
    crops, masks = faces["crops"], faces["masks"]
    assert crops.shape[1:] == (128, 128, 3) and crops.dtype == np.uint8
    assert masks.shape == crops.shape[:3] and masks.min() >= 0.0 and masks.max() <= 1.0
    assert len(crops) >= 4 and len(faces["real_crops"]) >= 4
    assert set(faces["identities"]) == {"o", "h"}
    # Each mask covers the face, not the crop's margin: the swap pasted a face there.
    for mask in masks:
        assert 0.1 < mask.mean() < 0.8
        assert mask[:8].max() < 0.5 and mask[:, :8].max() < 0.5


def test_a_second_run_reuses_the_swaps_it_made(swaps):
    root, made = swaps
    checkpoint = root / "work" / "model" / "checkpoint.pt"
    before = checkpoint.stat().st_mtime_ns, [c.fake.stat().st_mtime_ns for c in made]
    with one_torch_thread():
        again = swap_pair(
            PD_CLIP, root / "hopper.mp4", root / "work", iterations=300, frames=FRAMES
        )
    assert before == (checkpoint.stat().st_mtime_ns, [c.fake.stat().st_mtime_ns for c in again])


def test_a_clip_without_faces_is_refused_before_any_training(swaps, tmp_path):
    import cv2

    from deepreview_workers.pipeline.swap import SwapInputError

    root, _made = swaps
    blank = tmp_path / "blank.mp4"
    writer = cv2.VideoWriter(str(blank), cv2.VideoWriter_fourcc(*"mp4v"), 25, (160, 120))
    for shade in range(FRAMES):
        writer.write(np.full((120, 160, 3), 80 + shade, np.uint8))
    writer.release()
    with one_torch_thread(), pytest.raises(SwapInputError, match="has no faces"):
        swap_pair(blank, root / "hopper.mp4", tmp_path / "work", iterations=300, frames=FRAMES)
    assert not (tmp_path / "work" / "model" / "checkpoint.pt").exists()
