"""Alignment: Umeyama fits, a synthetic face with a known transform, and real portraits."""

from __future__ import annotations

from functools import cache

import cv2
import numpy as np
import pytest
from PIL import Image

from deepreview_workers.pipeline.align import (
    align_face,
    alignment_matrix,
    roll_degrees,
    transform_points,
    umeyama,
    warp_back,
)
from deepreview_workers.pipeline.mean_face import MEAN_FACE_2D, MEAN_FACE_FIRST
from tests.media_paths import FACES, needs_shared_media

SIZE = 256
COVERAGE = 0.75


def _similarity(angle_deg: float, scale: float, shift: tuple[float, float]) -> np.ndarray:
    a = np.radians(angle_deg)
    c, s = scale * np.cos(a), scale * np.sin(a)
    return np.array([[c, -s, shift[0]], [s, c, shift[1]], [0.0, 0.0, 1.0]])


def _canonical_landmarks68() -> np.ndarray:
    """68 points in aligned-crop pixels: the mean face, plus a plausible jaw arc."""
    points = np.zeros((68, 2))
    span, pad = SIZE * COVERAGE, SIZE * (1 - COVERAGE) / 2
    points[MEAN_FACE_FIRST:] = MEAN_FACE_2D * span + pad
    angles = np.linspace(np.pi, 0, 17)  # ear to ear through the chin
    points[:17] = np.column_stack([0.5 + 0.5 * np.cos(angles), 0.25 + 0.85 * np.sin(angles)])
    points[:17] = points[:17] * span + pad
    return points


def test_umeyama_recovers_a_similarity_exactly():
    rng = np.random.default_rng(0)
    src = rng.normal(size=(30, 2)) * 50
    known = _similarity(-35.0, 1.7, (12.0, -4.0))
    dst = transform_points(src, known)
    np.testing.assert_allclose(umeyama(src, dst), known, atol=1e-9)


def test_umeyama_rigid_and_3d():
    rng = np.random.default_rng(1)
    src = rng.normal(size=(20, 3))
    rotation, _ = cv2.Rodrigues(np.array([0.3, -0.2, 0.5]))
    dst = src @ rotation.T + [1.0, 2.0, 3.0]
    fitted = umeyama(src, dst, estimate_scale=False)
    np.testing.assert_allclose(fitted[:3, :3], rotation, atol=1e-9)
    np.testing.assert_allclose(fitted[:3, 3], [1.0, 2.0, 3.0], atol=1e-9)


def test_umeyama_never_reflects():
    src = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.5]])
    mirrored = src * [-1.0, 1.0]
    fitted = umeyama(src, mirrored)
    assert np.linalg.det(fitted[:2, :2]) > 0


def test_umeyama_rejects_bad_input():
    with pytest.raises(ValueError, match="coincide"):
        umeyama(np.zeros((5, 2)), np.ones((5, 2)))
    with pytest.raises(ValueError, match="one shape"):
        umeyama(np.zeros((5, 2)), np.zeros((4, 2)))


# Blobs drawn at these landmarks, each in its own colour: eye centres, nose tip, mouth.
_MARKERS = {
    "left_eye": (list(range(36, 42)), (255, 0, 0)),
    "right_eye": (list(range(42, 48)), (0, 255, 0)),
    "nose": ([30], (0, 0, 255)),
    "mouth_left": ([48], (255, 255, 0)),
    "mouth_right": ([54], (255, 0, 255)),
}


def _centroid(image_rgb: np.ndarray, colour: tuple[int, int, int]) -> np.ndarray:
    distance = np.abs(image_rgb.astype(int) - colour).sum(axis=2)
    ys, xs = np.nonzero(distance < 60)
    assert xs.size, f"no {colour} pixels found"
    return np.array([xs.mean(), ys.mean()])


@pytest.fixture
def synthetic():
    """A frame with marker blobs where a known similarity puts the mean face."""
    crop_to_frame = _similarity(20.0, 3.0, (300.0, 80.0))
    landmarks = transform_points(_canonical_landmarks68(), crop_to_frame)
    frame = np.full((1000, 1200, 3), 40, dtype=np.uint8)
    for indices, colour in _MARKERS.values():
        centre = landmarks[indices].mean(axis=0)
        cv2.circle(frame, tuple(int(round(v)) for v in centre), 18, colour, -1, cv2.LINE_AA)
    return frame, landmarks, crop_to_frame


def test_recovered_matrix_inverts_the_known_transform(synthetic):
    frame, landmarks, crop_to_frame = synthetic
    aligned = align_face(frame, landmarks, size=SIZE, coverage=COVERAGE)
    assert aligned.crop_rgb.shape == (SIZE, SIZE, 3) and aligned.crop_rgb.dtype == np.uint8
    assert aligned.matrix.shape == (2, 3)
    np.testing.assert_allclose(aligned.matrix, np.linalg.inv(crop_to_frame)[:2], atol=1e-6)
    np.testing.assert_allclose(aligned.landmarks68_aligned, _canonical_landmarks68(), atol=1e-3)


def test_markers_land_on_the_mean_face_and_warp_back_within_2px(synthetic):
    frame, landmarks, _ = synthetic
    aligned = align_face(frame, landmarks, size=SIZE, coverage=COVERAGE)
    back = warp_back(aligned.crop_rgb, aligned.matrix, frame.shape)
    assert back.shape == frame.shape
    canonical = _canonical_landmarks68()
    for indices, colour in _MARKERS.values():
        in_crop = _centroid(aligned.crop_rgb, colour)
        assert np.linalg.norm(in_crop - canonical[indices].mean(axis=0)) < 1.0
        in_frame = landmarks[indices].mean(axis=0)
        assert np.linalg.norm(_centroid(back, colour) - in_frame) < 2.0


def test_warp_back_of_a_mask_is_zero_outside_the_crop(synthetic):
    frame, landmarks, _ = synthetic
    aligned = align_face(frame, landmarks, size=SIZE)
    mask = np.full((SIZE, SIZE), 255, dtype=np.uint8)
    back = warp_back(mask, aligned.matrix, frame.shape[:2])
    assert back.shape == frame.shape[:2] and back.dtype == np.uint8
    assert back[0, 0] == 0 and back[-1, -1] == 0
    # The crop is (SIZE / 3)^2 ... scaled by 3 into the frame: area ratio 9.
    assert abs((back > 127).sum() / (SIZE * SIZE) - 9.0) < 0.1


def test_coverage_and_offset_move_the_mean_face():
    landmarks = _canonical_landmarks68()
    tight = alignment_matrix(landmarks, size=SIZE, coverage=1.0)
    lowered = alignment_matrix(landmarks, size=SIZE, coverage=COVERAGE, y_offset=0.1)
    assert tight[0, 0] == pytest.approx(1 / COVERAGE)
    assert transform_points(landmarks[30:31], lowered)[0, 1] == pytest.approx(
        landmarks[30, 1] + 0.1 * SIZE
    )
    with pytest.raises(ValueError, match="coverage"):
        alignment_matrix(landmarks, coverage=0.0)
    with pytest.raises(ValueError, match=r"\(68, 2\)"):
        alignment_matrix(landmarks[:51])


# ---- real portraits, with the real detector and landmarker when they are installed ----


@cache
def _models():
    try:
        from deepreview_workers.pipeline.face_detectors import detectors
        from deepreview_workers.pipeline.landmarks import landmarkers

        return detectors.create("mtcnn", device="cpu"), landmarkers.create("dlib68")
    except (ImportError, FileNotFoundError, OSError) as exc:
        pytest.skip(f"face models not available: {exc}")


def _real_faces() -> list[tuple[np.ndarray, np.ndarray]]:
    detector, landmarker = _models()
    found = []
    for path in FACES:
        frame = np.asarray(Image.open(path).convert("RGB"))
        hits = detector.detect_batch([frame])[0]
        assert hits, f"no face found in {path.name}"
        best = max(hits, key=lambda h: h.score)
        found.append((frame, landmarker.predict(frame, [best.box])[0]))
    return found


@needs_shared_media
def test_real_faces_align_level_and_onto_the_mean_face():
    canonical = _canonical_landmarks68()[MEAN_FACE_FIRST:]
    for frame, landmarks in _real_faces():
        aligned = align_face(frame, landmarks, size=SIZE, coverage=COVERAGE)
        assert abs(roll_degrees(aligned.landmarks68_aligned)) < 3.0
        # Mean distance to the mean face under 4% of the crop: the same face layout.
        error = np.linalg.norm(aligned.landmarks68_aligned[MEAN_FACE_FIRST:] - canonical, axis=1)
        assert error.mean() < 0.04 * SIZE
        back = transform_points(
            aligned.landmarks68_aligned, cv2.invertAffineTransform(aligned.matrix)
        )
        np.testing.assert_allclose(back, landmarks, atol=1e-2)
