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


def _fine_tune(faces: list[LabeledFace], tmp_path: Path, **options) -> tuple[dict, dict]:
    """The built-in detector fine-tuned for a step on ``faces``: (its weights, the
    built-in's)."""
    options = TrainOptions(
        arch="efficientnet_lite0",
        input_size=64,
        epochs=1,
        batch_size=8,
        val_fraction=0.3,
        device="cpu",
        augment=AugmentOptions(drop_part=0.0, jpeg=0.0, blur=0.0, colour=0.0, flip=0.5),
        **options,
    )
    result = train_detector(faces, tmp_path / "lite0.pt", options)
    trained = read_checkpoint(result.checkpoint)["state_dict"]
    start = read_checkpoint(
        Path(__file__).resolve().parents[3]
        / "deepreview_workers/pipeline/detection/builtin/detector.pt"
    )["state_dict"]
    return trained, start


def _moved(trained: dict, start: dict, prefix: str, statistics: bool = False) -> float:
    """The largest change of the weights under ``prefix`` (with ``statistics``, of the
    batch norms' running statistics only: any forward pass in training mode moves them)."""
    keys = [
        k
        for k in start
        if k.startswith(prefix) and (("running_" in k) == statistics) and "num_" not in k
    ]
    assert keys, prefix
    return max(float((trained[k].float() - start[k].float()).abs().max()) for k in keys)


def _map_head_moved(faces: list[LabeledFace], tmp_path: Path, **options) -> float:
    return _moved(*_fine_tune(faces, tmp_path, **options), "map_head.")


def _three_people(cut_set: Path) -> list[LabeledFace]:
    # A second and third person so the identity split has both sides.
    return [
        LabeledFace(face.path, face.label, f"{face.identity}{n % 3}", face.video, mask=face.mask)
        for n, face in enumerate(load_face_set(cut_set).faces)
    ]


def test_map_head_learns_from_masks_and_is_left_alone_without_them(cut_set, tmp_path):
    faces = _three_people(cut_set)
    assert _map_head_moved(faces, tmp_path / "with", self_blend=0.0) > 1e-4
    unmasked = [LabeledFace(f.path, f.label, f.identity, f.video) for f in faces]
    assert _map_head_moved(unmasked, tmp_path / "without", self_blend=0.0) == 0.0
    # Self-blends of the real faces bring their own masks: the map learns from them.
    assert _map_head_moved(unmasked, tmp_path / "blends", self_blend=1.0) > 1e-4


def test_fine_tuning_keeps_the_early_layers_and_their_statistics(cut_set, tmp_path):
    trained, start = _fine_tune(_three_people(cut_set), tmp_path)
    for frozen in ("net.conv_stem.", "net.bn1.", "net.blocks.0.", "net.blocks.1."):
        assert _moved(trained, start, frozen) == 0.0, frozen
    for frozen in ("net.bn1.", "net.blocks.1."):
        assert _moved(trained, start, frozen, statistics=True) == 0.0, frozen
    assert _moved(trained, start, "net.blocks.4.") > 1e-5
    trained, _start = _fine_tune(_three_people(cut_set), tmp_path / "all", freeze_stages=0)
    assert _moved(trained, start, "net.blocks.0.") > 1e-5


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
    faces = _three_people(tmp_path / "faces")
    broken = next(face.mask for face in faces if face.mask is not None)
    broken.write_bytes(b"not a png")
    with pytest.raises(TrainingDataError, match=rf"{broken.name} is not a readable mask"):
        _map_head_moved(faces, tmp_path)
