"""Frame access: one-pass iteration and random access agree frame for frame."""

from __future__ import annotations

import numpy as np
import pytest

from deepreview_workers.pipeline.frames import iter_frames, read_frame
from deepreview_workers.pipeline.video_io import probe_media
from tests.media_paths import FACES, PD_CLIP, needs_shared_media

pytestmark = needs_shared_media


@pytest.fixture(scope="module")
def all_frames() -> list:
    return list(iter_frames(PD_CLIP))


def test_iteration_counts_every_frame(all_frames):
    assert len(all_frames) == probe_media(PD_CLIP).frame_count
    assert [f.index for f in all_frames] == list(range(len(all_frames)))
    assert all_frames[0].pts_seconds == 0.0
    times = [f.pts_seconds for f in all_frames]
    assert times == sorted(set(times))


def test_filter_and_range(all_frames):
    kept = list(iter_frames(PD_CLIP, start_frame=10, end_frame=40, keep=lambda i, t: i % 10 == 0))
    assert [f.index for f in kept] == [10, 20, 30]
    assert np.array_equal(kept[1].rgb, all_frames[20].rgb)


@pytest.mark.parametrize("index", [0, 1, 77, 150, 258])
def test_random_access_matches_iteration(all_frames, index):
    frame = read_frame(PD_CLIP, index)
    assert frame.shape == all_frames[index].rgb.shape
    assert np.array_equal(frame, all_frames[index].rgb)


def test_images_are_one_frame():
    photo = FACES[0]
    frames = list(iter_frames(photo))
    assert len(frames) == 1 and frames[0].rgb.ndim == 3
    assert np.array_equal(read_frame(photo, 0), frames[0].rgb)
