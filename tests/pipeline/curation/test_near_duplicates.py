"""Near-duplicate removal by blocks of matrix products gives the face-by-face result."""

from __future__ import annotations

import numpy as np
import pytest

from deepreview_workers.pipeline.curation import near_duplicates
from deepreview_workers.pipeline.curation.near_duplicates import near_duplicate_rows


def _one_by_one(
    vectors: np.ndarray, angles: np.ndarray, distance: float, angle: float
) -> list[int]:
    """The definition: sharpest first, drop a face close to a kept one at the same angle."""
    kept: list[int] = []
    dropped = []
    for i in range(len(vectors)):
        if kept:
            close = np.linalg.norm(vectors[kept] - vectors[i], axis=1) < distance
            same = np.abs(angles[kept] - angles[i]).max(axis=1) <= angle
            if np.any(close & same):
                dropped.append(i)
                continue
        kept.append(i)
    return dropped


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_blocks_give_the_face_by_face_result(seed, monkeypatch):
    monkeypatch.setattr(near_duplicates, "BLOCK", 37)  # several blocks and chunks
    monkeypatch.setattr(near_duplicates, "CHUNK", 53)
    rng = np.random.default_rng(seed)
    people = rng.normal(size=(12, 128))
    who = rng.integers(0, 12, size=700)
    vectors = people[who] + rng.normal(scale=0.25, size=(700, 128))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    angles = rng.uniform(-40, 40, size=(700, 2))
    expected = _one_by_one(vectors, angles, 0.45, 10.0)
    assert 50 < len(expected) < 650  # the case is not trivial either way
    assert near_duplicate_rows(vectors, angles, 0.45, 10.0) == expected


def test_no_faces_and_one_face():
    assert near_duplicate_rows(np.zeros((0, 128)), np.zeros((0, 2)), 0.5, 10) == []
    assert near_duplicate_rows(np.ones((1, 128)), np.zeros((1, 2)), 0.5, 10) == []
