"""Shared, expensive objects of the detection tests: real models, loaded once."""

from __future__ import annotations

import pytest

from deepreview_workers.pipeline.detection import DetectOptions, VideoDetector
from deepreview_workers.pipeline.face_detectors import detectors
from deepreview_workers.pipeline.landmarks import landmarkers


@pytest.fixture(scope="session")
def face_detector():
    return detectors.create("mtcnn", device="cpu")


@pytest.fixture(scope="session")
def landmarker():
    return landmarkers.create("dlib68")


@pytest.fixture(scope="session")
def video_detector() -> VideoDetector:
    # 12 analysed frames keep the tests quick; landmark-only samples at 15 fps as default.
    return VideoDetector(DetectOptions(frames=12, device="cpu"))


@pytest.fixture(scope="session")
def face_set(tmp_path_factory, face_detector, landmarker):
    """A labeled set from the shared media's real faces, with hard-edged blurred fakes."""
    from tests.media_paths import SHARED_MEDIA
    from tests.pipeline.detection.faceset import real_faces, write_face_set

    if not (SHARED_MEDIA / "real_videos").is_dir():
        pytest.skip(f"shared research media not found at {SHARED_MEDIA}")
    samples = real_faces(face_detector, landmarker, frames_per_video=6)
    return write_face_set(samples, tmp_path_factory.mktemp("faces") / "DATA")
