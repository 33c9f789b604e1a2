"""Face crops of an export on real frames with the real models: sampling, per-frame
labels from the ground truth, mask crops, the face a mask covers, key frames."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest

from deepreview_workers.pipeline.dataset.faces import (
    FaceModels,
    GroundTruthMasks,
    choose_face,
    crop_mask,
    extract_video_faces,
    manipulated_frames,
    sample_frames,
)
from deepreview_workers.pipeline.embed.base import cosine_distance
from deepreview_workers.pipeline.swap.groundtruth import GroundTruthWriter, read_ground_truth
from deepreview_workers.pipeline.types import FaceDetection
from tests.pipeline.dataset.conftest import OPTIONS
from tests.pipeline.dataset.media import PASTED, blank_clip, export_video


@pytest.fixture(scope="module")
def models() -> FaceModels:
    return FaceModels(OPTIONS)


def hit(box: tuple[float, float, float, float]) -> FaceDetection:
    return FaceDetection(box=box, score=0.99, points5=np.zeros((5, 2), np.float32))


def test_sample_frames_are_evenly_spaced_and_centred():
    assert sample_frames(30, 4) == (3, 11, 18, 26)
    assert sample_frames(3, 8) == (0, 1, 2)
    assert sample_frames(0, 4) == ()
    assert sample_frames(259, 1) == (129,)


def test_manipulated_frames_by_kind_of_label(pasted, short, tmp_path):
    real = export_video(short, "real", ("obama",))
    assert manipulated_frames(real, None) == frozenset()
    truth = GroundTruthMasks(pasted.ground_truth)
    assert manipulated_frames(pasted.record, truth) == set(range(PASTED[0], PASTED[1] + 1))
    whole = replace(pasted.record, ground_truth=None, method="uploaded")
    assert manipulated_frames(whole, None) is None  # reviewers labeled the whole video
    ranged = replace(whole, manipulated_ranges=((2, 4), (9, 9)))
    assert manipulated_frames(ranged, None) == {2, 3, 4, 9}
    # A ground truth that marks nothing does not turn a fake's frames real.
    writer = GroundTruthWriter(tmp_path / "empty.zip", (388, 512))
    for index in range(30):
        writer.add_frame(index)
    empty = GroundTruthMasks(writer.close({"video": {}, "source": {}, "synthetic": {}}))
    assert manipulated_frames(ranged, empty) == {2, 3, 4, 9}
    assert manipulated_frames(whole, empty) is None
    truth.close()
    empty.close()


def test_choose_face_prefers_the_face_the_mask_covers():
    big, small = hit((0, 0, 100, 100)), hit((150, 10, 190, 50))
    assert choose_face([small, big], None) is big
    mask = np.zeros((200, 200), np.uint8)
    mask[20:40, 160:180] = 255
    assert choose_face([big, small], mask) is small
    assert choose_face([big, small], np.zeros_like(mask)) is big  # nothing covered
    assert choose_face([], mask) is None


def test_crop_mask_has_the_face_crop_geometry():
    mask = np.zeros((100, 200), np.uint8)
    mask[40:60, 90:110] = 255  # exactly the box
    cut = crop_mask(mask, (90, 40, 110, 60), size=64, margin=0.5)
    # The box is the middle half of a square twice its side: 16..48 of 64 pixels.
    assert cut.shape == (64, 64) and cut.dtype == np.uint8
    assert cut[20:44, 20:44].min() == 255
    assert cut[:12].max() == 0 and cut[:, :12].max() == 0


def test_fake_frames_are_labeled_from_the_ground_truth_with_mask_crops(pasted, models, tmp_path):
    found = extract_video_faces(pasted.record, OPTIONS, models, tmp_path)
    truth = read_ground_truth(pasted.ground_truth)
    assert found.sampled == (3, 11, 18, 26)
    labels = {f.frame: f.label for f in found.faces}
    inside = {f for f in found.sampled if PASTED[0] <= f <= PASTED[1]}
    assert labels == {f: "fake" if f in inside else "real" for f in found.sampled}
    for face in found.faces:
        crop = cv2.imread(str(face.crop), cv2.IMREAD_UNCHANGED)
        assert crop.shape == (OPTIONS.crop_size, OPTIONS.crop_size, 3)
        assert face.embedding.shape == (128,)
        if face.label == "fake":
            mask = cv2.imread(str(face.mask), cv2.IMREAD_UNCHANGED)
            # The ground truth's full-frame mask, cut exactly like the face.
            expected = crop_mask(
                truth.mask(face.frame), face.box, OPTIONS.crop_size, OPTIONS.margin
            )
            assert np.array_equal(mask, expected)
            middle = OPTIONS.crop_size // 2
            assert mask[middle, middle] == 255 and mask.min() == 0
        else:
            assert face.mask is None
    # The pasted person is somebody else: far from the speaker in identity space.
    real = next(f for f in found.faces if f.label == "real")
    fake = next(f for f in found.faces if f.label == "fake")
    assert cosine_distance(real.embedding, fake.embedding) > 0.05
    # The seam mark's key frame (the middle of frames 8-14) came from the same decode.
    assert set(found.key_frames) == {11}
    still = cv2.imread(str(found.key_frames[11]))
    assert still.shape == (388, 512, 3)
    assert found.size == (512, 388)


def test_a_fake_labeled_by_reviewers_is_fake_on_every_frame(pasted, models, tmp_path):
    whole = replace(pasted.record, ground_truth=None, method="uploaded", marks=())
    found = extract_video_faces(whole, OPTIONS, models, tmp_path)
    assert [f.label for f in found.faces] == ["fake"] * 4
    assert all(f.mask is None for f in found.faces)
    assert found.key_frames == {}


def test_a_video_without_faces_gives_none(models, tmp_path):
    blank = export_video(blank_clip(tmp_path / "blank.mp4"), "real", ("nobody",))
    found = extract_video_faces(blank, OPTIONS, models, tmp_path / "out")
    assert found.faces == () and len(found.sampled) == 4
