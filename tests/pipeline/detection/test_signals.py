"""Forensic signal plugins: taxonomy, descriptions, and each measure's direction."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from deepreview_workers.pipeline.detection import ARTIFACT_KIND_SLUGS, DEFAULT_SIGNALS, signal_info
from deepreview_workers.pipeline.detection.signals import FaceView, FrameView, TrackValues, signals
from deepreview_workers.pipeline.detection.signals.temporal import (
    Blinking,
    Flicker,
    LandmarkJitter,
    eye_aspect_ratio,
)
from deepreview_workers.pipeline.detection.taxonomy import artifact_label
from tests.media_paths import HOPPER, require_shared_media
from tests.pipeline.detection.fakes import blur_interior, largest_face, read_rgb


def test_every_signal_is_tied_to_a_taxonomy_kind_and_explained():
    assert set(signals.names()) == set(DEFAULT_SIGNALS)
    kinds = {}
    for info in signal_info():
        assert info["kind"] in ARTIFACT_KIND_SLUGS, info["name"]
        assert artifact_label(info["kind"])
        assert len(info["description"]) > 120 and info["unit"]
        kinds[info["name"]] = info["kind"]
    assert kinds == {
        "face_blur": "face-blur",
        "edge_seam": "edge-seam",
        "skin_tone": "skin-tone-mismatch",
        "mouth_sharpness": "teeth",
        "flicker": "flicker",
        "landmark_jitter": "unnatural-head-movement",
        "blinking": "gaze-error",
    }
    with pytest.raises(ValueError, match="Unknown artifact kind"):
        artifact_label("nope")


@pytest.fixture(scope="module")
def hopper(face_detector, landmarker):
    require_shared_media()
    rgb = read_rgb(HOPPER)
    box, landmarks = largest_face(face_detector, landmarker, rgb)
    return rgb, box, landmarks


def _measure(name: str, rgb: np.ndarray, box, landmarks) -> float:
    return signals.create(name).measure(FaceView(FrameView(rgb, 0, 0.0), box, landmarks))


def test_blurred_face_raises_face_blur_and_seam(hopper):
    rgb, box, landmarks = hopper
    blurred = blur_interior(rgb, landmarks, box)
    for name in ("face_blur", "edge_seam"):
        assert _measure(name, blurred, box, landmarks) > _measure(name, rgb, box, landmarks) + 0.2


def test_recoloured_face_raises_skin_tone(hopper):
    rgb, box, landmarks = hopper
    mask = np.zeros(rgb.shape[:2], dtype=np.uint8)
    cv2.fillConvexPoly(mask, cv2.convexHull(np.round(landmarks[:27]).astype(np.int32)), 255)
    tinted = rgb.copy()
    inside = mask > 0
    tinted[inside] = np.clip(rgb[inside] * np.array([0.75, 0.95, 1.15]), 0, 255).astype(np.uint8)
    before = _measure("skin_tone", rgb, box, landmarks)
    after = _measure("skin_tone", tinted, box, landmarks)
    assert after > before + 5.0  # delta E units


def test_blurred_mouth_raises_mouth_sharpness(hopper):
    rgb, box, landmarks = hopper
    mouth = rgb.copy()
    x0, y0 = np.floor(landmarks[48:60].min(axis=0)).astype(int) - 3
    x1, y1 = np.ceil(landmarks[48:60].max(axis=0)).astype(int) + 3
    mouth[y0:y1, x0:x1] = cv2.GaussianBlur(rgb[y0:y1, x0:x1], (0, 0), 3)
    sharp = _measure("mouth_sharpness", rgb, box, landmarks)
    assert _measure("mouth_sharpness", mouth, box, landmarks) > sharp + 0.5


def _eye(width: float, height: float, x: float) -> np.ndarray:
    # iBUG eye order: outer corner, two upper lid points, inner corner, two lower lid points
    return np.array(
        [
            [x, 0],
            [x + width / 3, -height / 2],
            [x + 2 * width / 3, -height / 2],
            [x + width, 0],
            [x + 2 * width / 3, height / 2],
            [x + width / 3, height / 2],
        ]
    )


def test_eye_aspect_ratio_by_hand():
    landmarks = np.zeros((68, 2))
    landmarks[36:42] = _eye(30, 9, 0)
    landmarks[42:48] = _eye(30, 0, 60)  # a closed eye
    # left: (9 + 9) / (2 * 30) = 0.3; right: 0; mean 0.15
    assert eye_aspect_ratio(landmarks) == pytest.approx(0.15)


def test_blinks_per_minute_from_a_track():
    fps = 15
    times = np.arange(10 * fps) / fps  # 10 s of samples
    ear = np.full(times.size, 0.3)
    for start in (20, 60, 100):  # three blinks, two samples (0.13 s) each
        ear[start : start + 2] = 0.08
    track = TrackValues(times, ear.tolist(), ear.tolist())
    blinking = Blinking()
    assert blinking.blinks(track) == (3, pytest.approx(149 / 15))
    summary = blinking.summary([track])
    assert summary["blinks"] == 3 and summary["sample_fps"] == 15.0
    assert summary["blinks_per_minute"] == pytest.approx(3 * 60 / (149 / 15), abs=0.01)
    # Samples 1 s apart cannot see blinks: no rate is given rather than "0 per minute".
    sparse = TrackValues(times[::15], ear[::15].tolist(), [])
    assert blinking.summary([sparse])["blinks_per_minute"] is None


def test_landmark_jitter_is_zero_for_smooth_motion_and_grows_with_wobble():
    jitter = LandmarkJitter()
    times = np.arange(6) / 15
    base = np.random.default_rng(0).random((23, 2))
    smooth = [base + 0.01 * i for i in range(6)]
    values = jitter.series(times, smooth)
    assert values[0] is None and values[-1] is None
    assert all(v == pytest.approx(0.0, abs=1e-9) for v in values[1:-1])
    wobble = [base + (0.01 if i % 2 else 0.0) for i in range(6)]
    assert all(v == pytest.approx(1.0 * np.sqrt(2)) for v in jitter.series(times, wobble)[1:-1])
    far = jitter.series(np.array([0.0, 1.0, 2.0]), smooth[:3])  # a second apart: no verdict
    assert far == [None, None, None]


def test_flicker_compares_face_with_background_change():
    flicker = Flicker()
    times = np.array([0.0, 0.1, 0.2, 1.5])
    lab = lambda lightness: np.array([lightness, 10.0, 10.0])  # noqa: E731
    measures = [
        (lab(50), lab(40)),
        (lab(60), lab(50)),  # both change by 10: 0
        (lab(70), lab(50)),  # face jumps 10, background steady: log2(12.3 / 2.3)
        (lab(50), lab(50)),  # after a gap: nothing to compare
    ]
    values = flicker.series(times, measures)
    assert values[0] is None and values[3] is None
    assert values[1] == pytest.approx(0.0)
    assert values[2] == pytest.approx(np.log2(12.3 / 2.3))
