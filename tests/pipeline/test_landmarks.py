"""dlib 68-point landmarks on MTCNN boxes of real faces (shared media), with the real model."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from deepreview_workers.pipeline.face_detectors import detectors
from deepreview_workers.pipeline.landmarks import dlib_box_from_detector_box, landmarkers
from deepreview_workers.pipeline.weights import dlib_shape_predictor_path
from tests.media_paths import FACES, HOPPER, PD_CLIP, SHARED_MEDIA, needs_shared_media

PORTRAITS = FACES
SHARED_IMAGES = [
    SHARED_MEDIA / "real_images" / name
    for name in ("obama_biden_two_people.jpg", "simswap_multi_people_real.jpg")
]


def load_rgb(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def first_clip_frame() -> np.ndarray:
    import av

    with av.open(str(PD_CLIP)) as container:
        return next(container.decode(video=0)).to_ndarray(format="rgb24")


@pytest.fixture(scope="module")
def detector():
    return detectors.create("mtcnn")


@pytest.fixture(scope="module")
def landmarker():
    return landmarkers.create("dlib68")


def assert_plausible(points: np.ndarray, box: tuple, points5: np.ndarray) -> None:
    eyes_y = points[36:48, 1].mean()
    nose_tip_y = points[30, 1]
    mouth_y = points[48:68, 1].mean()
    assert eyes_y < nose_tip_y < mouth_y
    assert points[17:22, 1].mean() < eyes_y  # brows above eyes
    assert points[36:42, 0].mean() < points[42:48, 0].mean()  # image-left eye first
    assert points[0, 0] < points[8, 0] < points[16, 0]  # jaw runs left to right via chin
    # Every point inside the detector box grown by 15% a side (dlib's jaw and chin
    # reach a little past MTCNN's box).
    x0, y0, x1, y1 = box
    pad_x, pad_y = 0.15 * (x1 - x0), 0.15 * (y1 - y0)
    assert (points[:, 0] >= x0 - pad_x).all() and (points[:, 0] <= x1 + pad_x).all()
    assert (points[:, 1] >= y0 - pad_y).all() and (points[:, 1] <= y1 + pad_y).all()
    # The eye centres agree with MTCNN's own eye points within 15% of the eye distance.
    eyes = np.stack([points[36:42].mean(axis=0), points[42:48].mean(axis=0)])
    eye_distance = np.linalg.norm(points5[0] - points5[1])
    assert np.linalg.norm(eyes - points5[:2], axis=1).max() < 0.15 * eye_distance


@needs_shared_media
@pytest.mark.parametrize("path", PORTRAITS, ids=lambda p: p.stem)
def test_landmarks_plausible_on_portraits(detector, landmarker, path):
    frame = load_rgb(path)
    hits = detector.detect(frame)
    points = landmarker.predict(frame, [hit.box for hit in hits])
    assert points.shape == (1, 68, 2) and points.dtype == np.float32
    assert_plausible(points[0], hits[0].box, hits[0].points5)


@pytest.mark.parametrize("path", SHARED_IMAGES, ids=lambda p: p.stem)
def test_landmarks_plausible_on_several_people(detector, landmarker, path):
    if not path.is_file():
        pytest.skip("shared media absent")
    frame = load_rgb(path)
    hits = detector.detect(frame)
    assert len(hits) >= 2
    points = landmarker.predict(frame, [hit.box for hit in hits])
    assert points.shape == (len(hits), 68, 2)
    for face, hit in zip(points, hits, strict=True):
        assert_plausible(face, hit.box, hit.points5)


@needs_shared_media
def test_clip_frame_and_empty_box_list(detector, landmarker):
    frame = first_clip_frame()
    (hit,) = detector.detect(frame)
    assert_plausible(landmarker.predict(frame, [hit.box])[0], hit.box, hit.points5)
    assert landmarker.predict(frame, []).shape == (0, 68, 2)


@needs_shared_media
def test_non_contiguous_frame_gives_same_points(detector, landmarker):
    frame = load_rgb(HOPPER)
    (hit,) = detector.detect(frame)
    padded = np.zeros((frame.shape[0], frame.shape[1] * 2, 3), np.uint8)
    padded[:, ::2] = frame
    view = padded[:, ::2]  # same pixels, strided memory
    np.testing.assert_array_equal(
        landmarker.predict(view, [hit.box]), landmarker.predict(frame, [hit.box])
    )


def test_dlib_box_is_lower_and_square():
    x0, y0, x1, y1 = dlib_box_from_detector_box((100.0, 100.0, 176.0, 200.0))
    assert y0 > 100.0 and x0 < 100.0 and x1 > 176.0
    assert abs((x1 - x0) - (y1 - y0)) < 2.0


def test_rejects_grey_frames(landmarker):
    with pytest.raises(ValueError, match="RGB"):
        landmarker.predict(np.zeros((10, 10), np.uint8), [(0, 0, 5, 5)])


def test_weights_come_from_the_installed_package():
    path = dlib_shape_predictor_path()
    assert path.name == "shape_predictor_68_face_landmarks.dat"
    assert path.stat().st_size > 90_000_000
