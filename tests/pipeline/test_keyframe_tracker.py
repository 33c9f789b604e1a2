"""Following faces between keyframes: the same faces as detecting every frame, cheaper."""

from __future__ import annotations

import numpy as np
import pytest

from deepreview_workers.pipeline.face_detectors import KeyframeTracker, detectors
from deepreview_workers.pipeline.frames import Frame, iter_frames
from tests.media_paths import PD_CLIP, require_shared_media


@pytest.fixture(scope="module")
def detector():
    return detectors.create("mtcnn", device="cpu")


@pytest.fixture(scope="module")
def frames() -> list[Frame]:
    require_shared_media()
    return list(iter_frames(PD_CLIP, end_frame=45))


def test_following_finds_the_faces_that_full_detection_finds(detector, frames):
    full = KeyframeTracker(detector, redetect_seconds=0).detect_batch(frames)
    tracker = KeyframeTracker(detector, redetect_seconds=1.0)
    followed = tracker.detect_batch(frames[:16]) + tracker.detect_batch(frames[16:])
    assert [len(hits) for hits in followed] == [len(hits) for hits in full] == [1] * 45
    # One keyframe per second of video (the clip is ~30 fps), everything else followed.
    assert tracker.counts["full"] == 2 and tracker.counts["followed"] == 43
    for a, b in zip(followed, full, strict=True):
        box_a, box_b = np.array(a[0].box), np.array(b[0].box)
        size = box_b[2] - box_b[0]
        # Within the detector's own frame-to-frame jitter (about 10% of the face here).
        assert np.abs(box_a - box_b).max() < 0.1 * size
        assert np.abs(a[0].points5 - b[0].points5).max() < 0.05 * size
        assert a[0].score > 0.9


def test_a_lost_face_makes_the_frame_a_keyframe(detector, frames):
    blank = Frame(frames[3].index, frames[3].pts_seconds, np.zeros_like(frames[3].rgb))
    sequence = [*frames[:3], blank, *frames[4:8]]
    tracker = KeyframeTracker(detector, redetect_seconds=10.0)
    hits = tracker.detect_batch(sequence)
    assert [len(h) for h in hits] == [1, 1, 1, 0, 1, 1, 1, 1]
    # Frame 3 lost the face and was detected in full; frame 4 followed nothing, so full.
    assert tracker.counts == {"full": 3, "followed": 5, "lost": 1}


def test_redetect_seconds_must_not_be_negative(detector):
    with pytest.raises(ValueError, match="redetect_seconds"):
        KeyframeTracker(detector, redetect_seconds=-1)
