"""Track linking: crossing people keep their ids, gaps are bridged, newcomers get new ids."""

from __future__ import annotations

import numpy as np
import pytest

from deepreview_workers.pipeline.tracks import box_iou, link_tracks


def _embedding(seed: int) -> np.ndarray:
    vector = np.random.default_rng(seed).normal(size=128)
    return (vector / np.linalg.norm(vector)).astype(np.float32)


def _jitter(embedding: np.ndarray, seed: int) -> np.ndarray:
    """The same person in another frame: a small change of the embedding."""
    noisy = embedding + np.random.default_rng(seed).normal(scale=0.01, size=embedding.shape)
    return (noisy / np.linalg.norm(noisy)).astype(np.float32)


def _box(cx: float, cy: float, size: float = 80.0) -> tuple[float, float, float, float]:
    return (cx - size / 2, cy - size / 2, cx + size / 2, cy + size / 2)


def test_box_iou():
    assert box_iou((0, 0, 10, 10), (0, 0, 10, 10)) == pytest.approx(1.0)
    assert box_iou((0, 0, 10, 10), (5, 0, 15, 10)) == pytest.approx(1 / 3)
    assert box_iou((0, 0, 10, 10), (20, 20, 30, 30)) == 0.0


def test_two_people_crossing_keep_their_ids():
    alice, bob = _embedding(1), _embedding(2)
    faces = []
    for frame in range(40):
        # Alice walks right, Bob walks left; they pass each other at frame ~20.
        faces.append((frame, _box(100 + 15 * frame, 300), _jitter(alice, frame)))
        faces.append((frame, _box(700 - 15 * frame, 310), _jitter(bob, 1000 + frame)))
    ids = link_tracks(faces)
    assert set(ids[0::2]) == {0} and set(ids[1::2]) == {1}


def test_crossing_without_embeddings_follows_motion():
    faces = []
    for frame in range(40):
        faces.append((frame, _box(100 + 15 * frame, 300), None))
        faces.append((frame, _box(700 - 15 * frame, 300), None))
    ids = link_tracks(faces)
    assert set(ids[0::2]) == {0} and set(ids[1::2]) == {1}


def test_a_short_gap_keeps_the_id_and_a_long_one_ends_the_track():
    alice = _embedding(3)
    frames = [*range(0, 10), *range(14, 20), *range(200, 205)]  # gap of 4, then of 180
    faces = [(f, _box(300 + f, 300), _jitter(alice, f)) for f in frames]
    ids = link_tracks(faces, max_gap_frames=30)
    assert ids[:16] == [0] * 16
    assert ids[16:] == [1] * 5


def test_a_new_person_gets_a_new_id_even_where_another_was():
    alice, carol = _embedding(4), _embedding(5)
    faces = [(f, _box(300, 300), _jitter(alice, f)) for f in range(10)]
    faces += [(f, _box(302, 300), _jitter(carol, f)) for f in range(10, 20)]  # same spot
    ids = link_tracks(faces)
    assert ids == [0] * 10 + [1] * 10


def test_sparse_embeddings_and_input_order():
    alice, bob = _embedding(6), _embedding(7)
    faces = []
    for frame in range(0, 60, 3):
        embed = frame % 12 == 0  # a track's faces are embedded sparsely
        faces.append((frame, _box(200 + frame, 200), _jitter(alice, frame) if embed else None))
        faces.append((frame, _box(600, 400 - frame), _jitter(bob, frame) if embed else None))
    shuffled = np.random.default_rng(0).permutation(len(faces))
    ids = link_tracks([faces[i] for i in shuffled])
    by_person = {0: set(), 1: set()}
    for position, index in enumerate(shuffled):
        by_person[index % 2].add(ids[position])
    assert len(by_person[0]) == 1 and len(by_person[1]) == 1
    assert by_person[0] != by_person[1]


def test_faces_of_one_frame_never_share_a_track():
    alice = _embedding(8)
    faces = [(0, _box(100, 100), alice), (0, _box(105, 100), _jitter(alice, 1))]
    assert sorted(link_tracks(faces)) == [0, 1]
    assert link_tracks([]) == []
