"""Project detectors learn their manipulation map from conversions' ground truth."""

from __future__ import annotations

import contextlib
from functools import partial
from pathlib import Path

import cv2
import pytest

from deepreview_workers.pipeline.detection import (
    LabeledFace,
    TrainingDataError,
    TrainOptions,
    load_face_set,
    train_detector,
)
from deepreview_workers.pipeline.detection.augment import AugmentOptions
from deepreview_workers.pipeline.detection.checkpoint import read_checkpoint
from deepreview_workers.pipeline.detection.dataset import LabeledVideo
from deepreview_workers.pipeline.detection.labeled_videos import cut_labeled_faces
from tests.pipeline.dataset.media import PASTED, pasted_fake


@contextlib.contextmanager
def _as_is(path: Path):
    yield path


@pytest.fixture(scope="module")
def cut_set(tmp_path_factory):
    """Faces cut from a pasted fake (with its ground truth) and from its real frames."""
    work = tmp_path_factory.mktemp("conversion")
    video, truth = pasted_fake(work / "pasted.mp4")
    fake_frames = frozenset(range(PASTED[0], PASTED[1] + 1, 2))
    real_frames = frozenset(i for i in range(30) if not PASTED[0] <= i <= PASTED[1])
    videos = [
        LabeledVideo(
            "fake1",
            "pasted.mp4",
            "fake",
            "speaker",
            fake_frames,
            1,
            partial(_as_is, video),
            ground_truth=partial(_as_is, truth),
        ),
        LabeledVideo(
            "real1", "pasted.mp4", "real", "speaker", real_frames, 1, partial(_as_is, video)
        ),
    ]
    out = work / "faces"
    cut_labeled_faces(videos, out, size=128, device="cpu")
    return out


def test_fakes_cut_with_ground_truth_carry_its_mask_crop(cut_set):
    faces = load_face_set(cut_set).faces
    fakes = [f for f in faces if f.label == 1]
    assert fakes and all(f.mask is not None for f in fakes)
    assert all(f.mask is None for f in faces if f.label == 0)
    mask = cv2.imread(str(fakes[0].mask), cv2.IMREAD_GRAYSCALE)
    assert mask.shape == (128, 128)
    # The pasted ellipse covers the face in the middle of the crop, not its margin.
    assert mask[54:74, 54:74].mean() > 200 and mask[:6, :6].max() == 0


def _map_head_moved(faces: list[LabeledFace], tmp_path: Path) -> float:
    options = TrainOptions(
        arch="efficientnet_lite0",
        input_size=64,
        epochs=1,
        batch_size=8,
        val_fraction=0.3,
        device="cpu",
        augment=AugmentOptions(drop_part=0.0, jpeg=0.0, blur=0.0, colour=0.0, flip=0.5),
    )
    result = train_detector(faces, tmp_path / "lite0.pt", options)
    trained = read_checkpoint(result.checkpoint)["state_dict"]
    start = read_checkpoint(
        Path(__file__).resolve().parents[3]
        / "deepreview_workers/pipeline/detection/builtin/detector.pt"
    )["state_dict"]
    # Learned weights only: batch-norm statistics follow any forward pass in training mode.
    keys = [
        k for k in start if k.startswith("map_head.") and "running_" not in k and "num_" not in k
    ]
    return max(float((trained[k].float() - start[k].float()).abs().max()) for k in keys)


def test_map_head_learns_from_masks_and_is_left_alone_without_them(cut_set, tmp_path):
    faces = list(load_face_set(cut_set).faces)
    # A second and third person so the identity split has both sides.
    for n, face in enumerate(faces):
        faces[n] = LabeledFace(
            face.path, face.label, f"{face.identity}{n % 3}", face.video, mask=face.mask
        )
    assert _map_head_moved(faces, tmp_path / "with") > 1e-4
    unmasked = [LabeledFace(f.path, f.label, f.identity, f.video) for f in faces]
    assert _map_head_moved(unmasked, tmp_path / "without") == 0.0


def test_a_damaged_ground_truth_keeps_the_faces_without_masks_and_says_so(tmp_path):
    video, _truth = pasted_fake(tmp_path / "pasted.mp4")
    damaged = tmp_path / "damaged.groundtruth.zip"
    damaged.write_bytes(b"PK\x03\x04 cut short")
    frames = frozenset(range(PASTED[0], PASTED[1] + 1, 4))
    fake = LabeledVideo(
        "fake1",
        "pasted.mp4",
        "fake",
        "speaker",
        frames,
        1,
        partial(_as_is, video),
        ground_truth=partial(_as_is, damaged),
    )
    summary = cut_labeled_faces([fake], tmp_path / "faces", size=96, device="cpu")
    assert summary["ground_truth_unreadable"] == ["pasted.mp4"] and summary["faces"] > 0
    assert all(face.mask is None for face in load_face_set(tmp_path / "faces").faces)


def test_a_corrupt_mask_image_stops_training_with_its_name(cut_set, tmp_path):
    import shutil

    shutil.copytree(cut_set, tmp_path / "faces")
    faces = list(load_face_set(tmp_path / "faces").faces)
    broken = next(face.mask for face in faces if face.mask is not None)
    broken.write_bytes(b"not a png")
    faces = [
        LabeledFace(f.path, f.label, f"{f.identity}{n % 3}", f.video, mask=f.mask)
        for n, f in enumerate(faces)
    ]
    with pytest.raises(TrainingDataError, match=rf"{broken.name} is not a readable mask"):
        _map_head_moved(faces, tmp_path)
