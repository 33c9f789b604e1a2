"""Quality measures on synthetic crops and the real portraits; head pose from landmarks."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image

from deepreview_workers.pipeline import quality
from deepreview_workers.pipeline.curation.order import histogram_similarity
from deepreview_workers.pipeline.mean_face import MEAN_FACE_3D, MEAN_FACE_3D_INDICES, MIRROR_68
from deepreview_workers.pipeline.pose import (
    angles_from_rotation,
    head_pose,
    project_mean_face,
    rotation_from_angles,
)
from tests.media_paths import HOPPER, require_shared_media

FRAME = (720, 1280)


def _portrait() -> np.ndarray:
    require_shared_media()
    image = Image.open(HOPPER).convert("RGB")
    return np.asarray(image.resize((256, 256)))


def test_blur_score_falls_monotonically_with_blur():
    crop = _portrait()
    scores = [quality.blur_score(crop)]
    for sigma in (0.8, 1.5, 3.0, 6.0):
        scores.append(quality.blur_score(cv2.GaussianBlur(crop, (0, 0), sigma)))
    assert all(a > b for a, b in zip(scores, scores[1:], strict=False)), scores


def test_blur_score_ignores_the_mask_edge():
    crop = np.full((128, 128, 3), 120, dtype=np.uint8)
    mask = np.zeros((128, 128), dtype=np.uint8)
    mask[32:96, 32:96] = 255
    crop[mask == 0] = 0  # a hard face/background edge, as an aligned crop has
    assert quality.blur_score(crop, mask) == pytest.approx(0.0)
    assert quality.blur_score(crop) > 100


@pytest.mark.parametrize(
    ("rgb", "hue"),
    [((255, 0, 0), 0.0), ((0, 255, 0), 120.0), ((0, 0, 255), 240.0), ((255, 255, 0), 60.0)],
)
def test_mean_hue_of_pure_colours(rgb: tuple[int, int, int], hue: float):
    patch = np.full((32, 32, 3), rgb, dtype=np.uint8)
    measured = quality.mean_hue(patch)
    assert min(abs(measured - hue), 360 - abs(measured - hue)) < 2.0


def test_mean_hue_is_circular_and_masked():
    patch = np.zeros((32, 32, 3), dtype=np.uint8)
    patch[:, :16] = (255, 0, 40)  # hue ~351
    patch[:, 16:] = (255, 40, 0)  # hue ~9
    measured = quality.mean_hue(patch)
    assert min(measured, 360 - measured) < 2.0  # not 180
    mask = np.zeros((32, 32), dtype=np.uint8)
    mask[:, 16:] = 255
    assert quality.mean_hue(patch, mask) == pytest.approx(9.4, abs=1.5)
    assert quality.mean_hue(np.full((8, 8, 3), 128, np.uint8)) == 0.0  # grey: no hue


def test_brightness_inside_the_mask():
    crop = np.zeros((64, 64, 3), dtype=np.uint8)
    crop[:, 32:] = 200
    mask = np.zeros((64, 64), dtype=np.uint8)
    mask[:, 32:] = 255
    assert quality.brightness(crop, mask) == pytest.approx(200.0)
    assert quality.brightness(crop) == pytest.approx(100.0)
    with pytest.raises(ValueError, match="does not match"):
        quality.brightness(crop, mask[:10])


def test_colour_histogram_and_similarity():
    crop = _portrait()
    hist = quality.colour_histogram(crop)
    assert len(hist) == 8 * 4 * 4 and sum(hist) == pytest.approx(1.0)
    assert histogram_similarity(hist, hist) == pytest.approx(1.0)
    inverted = quality.colour_histogram(255 - crop)
    assert histogram_similarity(hist, inverted) < 0.8
    red = quality.colour_histogram(np.full((8, 8, 3), (255, 0, 0), np.uint8))
    green = quality.colour_histogram(np.full((8, 8, 3), (0, 255, 0), np.uint8))
    assert histogram_similarity(red, green) == 0.0
    assert len(quality.colour_histogram(crop, bins=(4, 2, 2))) == 16


def test_face_size():
    assert quality.face_size((10, 20, 110, 120)) == pytest.approx(100.0)
    assert quality.face_size((10, 20, 5, 120)) == 0.0


# ---- head pose ----


def _posed(yaw: float, pitch: float, roll: float) -> np.ndarray:
    landmarks = project_mean_face(yaw, pitch, roll, frame_shape=FRAME, centre=(700, 330))
    return np.nan_to_num(landmarks)  # the jaw (except the chin) is not used by head_pose


def test_angles_round_trip_through_the_rotation():
    for angles in [(10, -20, 30), (-45, 15, -5), (0, 0, 0)]:
        assert angles_from_rotation(rotation_from_angles(*angles)) == pytest.approx(angles)


def test_the_2d_mean_face_is_frontal():
    # The orthographic mean face (the 3-D model seen from infinitely far), in a frame.
    landmarks = np.zeros((68, 2))
    landmarks[MEAN_FACE_3D_INDICES] = MEAN_FACE_3D[:, :2] * 1.5 + [640, 330]
    yaw, pitch, roll = head_pose(landmarks, FRAME)
    assert abs(yaw) < 3 and abs(pitch) < 3 and abs(roll) < 1


@pytest.mark.parametrize(
    "angles", [(30, 0, 0), (0, 20, 0), (0, 0, 15), (25, -15, 10), (-40, 10, -5), (-60, 0, 0)]
)
def test_projected_rotations_come_back(angles: tuple[float, float, float]):
    rng = np.random.default_rng(7)
    noisy = _posed(*angles) + rng.normal(scale=0.5, size=(68, 2))  # detector-like jitter
    assert head_pose(noisy, FRAME) == pytest.approx(angles, abs=3.0)


def test_sign_conventions_match_face_metrics():
    turned_right = _posed(30, 0, 0)
    # Face turned to the image's right: the nose tip moves right of the eyes' midpoint.
    assert turned_right[30, 0] > (turned_right[36, 0] + turned_right[45, 0]) / 2
    clockwise = _posed(0, 0, 20)
    assert clockwise[45, 1] > clockwise[36, 1]  # image-right eye lower
    yaw, pitch, roll = head_pose(turned_right, FRAME)
    assert yaw > 25


def test_mirroring_the_landmarks_flips_yaw_and_roll():
    landmarks = _posed(25, 8, 6)
    mirrored = landmarks.copy()
    mirrored[:, 0] = FRAME[1] - mirrored[:, 0]
    mirrored = mirrored[MIRROR_68]  # image-left points become image-right points
    yaw, pitch, roll = head_pose(landmarks, FRAME)
    m_yaw, m_pitch, m_roll = head_pose(mirrored, FRAME)
    assert m_yaw == pytest.approx(-yaw, abs=1.0) and yaw > 20
    assert m_pitch == pytest.approx(pitch, abs=1.0)
    assert m_roll == pytest.approx(-roll, abs=1.0)


def test_head_pose_rejects_wrong_shapes():
    with pytest.raises(ValueError, match=r"\(68, 2\)"):
        head_pose(np.zeros((5, 2)), FRAME)
