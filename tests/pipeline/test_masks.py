"""Landmark masks: every registered masker, on mean-face landmarks in an aligned crop."""

from __future__ import annotations

import numpy as np
import pytest

from deepreview_workers.pipeline.masks import erode_dilate, extend_eyebrows, feather, maskers
from deepreview_workers.pipeline.mean_face import MEAN_FACE_2D, MEAN_FACE_FIRST

SIZE = 256


def _aligned_landmarks() -> np.ndarray:
    points = np.zeros((68, 2))
    points[MEAN_FACE_FIRST:] = MEAN_FACE_2D * 192 + 32
    angles = np.linspace(np.pi, 0, 17)  # jaw from ear to ear through the chin
    points[:17] = np.column_stack([0.5 + 0.5 * np.cos(angles), 0.25 + 0.85 * np.sin(angles)])
    points[:17] = points[:17] * 192 + 32
    return points


def test_both_landmark_maskers_are_registered():
    assert {"components", "extended"} <= set(maskers.names())
    with pytest.raises(ValueError, match="Unknown masker 'nope'; choose one of"):
        maskers.create("nope")


@pytest.mark.parametrize("name", maskers.names())
def test_mask_contract_and_face_coverage(name: str):
    landmarks = _aligned_landmarks()
    mask = maskers.create(name).make(landmarks, SIZE)
    assert mask.shape == (SIZE, SIZE) and mask.dtype == np.uint8
    assert set(np.unique(mask)) == {0, 255}
    for index in (30, 36, 45, 48, 54, 8, 27):  # nose, eye corners, mouth, chin, bridge
        x, y = np.clip(np.round(landmarks[index]).astype(int), 0, SIZE - 1)
        # Points on the hull edge may fall either way; step 2 px towards the nose.
        step = np.sign(landmarks[30] - landmarks[index]).astype(int) * 2
        assert mask[y + step[1], x + step[0]] == 255, f"landmark {index} outside {name}"
    assert mask[2, 2] == 0 and mask[2, SIZE - 3] == 0  # crop corners are background
    with pytest.raises(ValueError, match=r"\(68, 2\)"):
        maskers.create(name).make(landmarks[:51], SIZE)


def test_extended_reaches_above_the_eyebrows_and_contains_components():
    landmarks = _aligned_landmarks()
    components = maskers.create("components").make(landmarks, SIZE)
    extended = maskers.create("extended").make(landmarks, SIZE)
    assert np.all(extended[components == 255] == 255)
    top = lambda m: np.nonzero(m.any(axis=1))[0][0]  # noqa: E731
    assert top(extended) < top(components) - 8
    brow_top = landmarks[17:27, 1].min()
    assert top(components) >= brow_top - 1


def test_extend_eyebrows_moves_only_the_eyebrows_and_upwards():
    landmarks = _aligned_landmarks()
    moved = extend_eyebrows(landmarks)
    np.testing.assert_array_equal(moved[:17], landmarks[:17])
    np.testing.assert_array_equal(moved[27:], landmarks[27:])
    assert np.all(moved[17:27, 1] < landmarks[17:27, 1])
    np.testing.assert_array_equal(landmarks, _aligned_landmarks())  # input untouched


def test_feather_softens_only_the_edge():
    mask = np.zeros((100, 100), dtype=np.uint8)
    mask[25:75, 25:75] = 255
    soft = feather(mask, 6)
    assert soft.dtype == np.uint8 and soft.shape == mask.shape
    assert soft[50, 50] == 255 and soft[2, 2] == 0
    edge = soft[50, 18:33]
    assert np.all(np.diff(edge.astype(int)) >= 0) and 0 < edge[7] < 255
    np.testing.assert_array_equal(feather(mask, 0), mask)


def test_erode_dilate_moves_the_boundary_by_px():
    mask = np.zeros((100, 100), dtype=np.uint8)
    mask[30:70, 30:70] = 255
    grown, shrunk = erode_dilate(mask, 5), erode_dilate(mask, -5)
    assert (grown[50] == 255).sum() == 50 and (shrunk[50] == 255).sum() == 30
    edge = np.zeros((20, 20), dtype=np.uint8)
    edge[:, :10] = 255  # touches the image border: erosion also eats in from there
    assert erode_dilate(edge, -2)[10, 0] == 0
    np.testing.assert_array_equal(erode_dilate(mask, 0), mask)
