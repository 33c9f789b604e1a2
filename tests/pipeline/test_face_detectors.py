"""MTCNN detection on the real fixture faces and clip, with the real packaged weights."""

from pathlib import Path

import av
import numpy as np
import pytest
import torch
from PIL import Image

from deepreview_workers.pipeline.device import DeviceUnavailable, device_label, resolve_device
from deepreview_workers.pipeline.face_detectors import DROP_REASONS, detectors
from tests.media_paths import (
    FACES,
    HOPPER,
    PD_CLIP,
    REAL_IMAGES,
    SHARED_MEDIA,
    require_shared_media,
)

PORTRAITS = FACES
TWO_PEOPLE = SHARED_MEDIA / "real_images" / "obama_biden_two_people.jpg"
needs_shared = pytest.mark.skipif(not SHARED_MEDIA.is_dir(), reason="shared media absent")


def load_rgb(path: Path) -> np.ndarray:
    # The congress portraits are greyscale JPEGs; the pipeline contract is RGB.
    require_shared_media()
    return np.asarray(Image.open(path).convert("RGB"))


def clip_frames(count: int, step: int = 1) -> list[np.ndarray]:
    require_shared_media()
    frames = []
    with av.open(str(PD_CLIP)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index % step == 0:
                frames.append(frame.to_ndarray(format="rgb24"))
            if len(frames) == count:
                break
    return frames


@pytest.fixture(scope="module")
def detector():
    return detectors.create("mtcnn", device="cpu")


@pytest.mark.parametrize("path", PORTRAITS, ids=lambda p: p.stem)
def test_one_face_per_portrait(detector, path):
    frame = load_rgb(path)
    (hit,) = detector.detect(frame)
    height, width = frame.shape[:2]
    x0, y0, x1, y1 = hit.box
    assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height
    assert (x1 - x0) > 0.25 * width  # a portrait: the face is a large part of the frame
    assert hit.score >= 0.9
    assert hit.points5.shape == (5, 2) and hit.points5.dtype == np.float32
    left_eye, right_eye, nose, mouth_left, mouth_right = hit.points5
    assert left_eye[0] < right_eye[0]
    assert max(left_eye[1], right_eye[1]) < nose[1] < min(mouth_left[1], mouth_right[1])


@needs_shared
def test_two_people_left_to_right(detector):
    hits = detector.detect(load_rgb(TWO_PEOPLE))
    assert len(hits) == 2
    assert hits[0].box[2] < hits[1].box[0]  # ordered by position, not by score


def test_batch_matches_single_frames(detector):
    frames = clip_frames(8, step=30)  # one frame a second: different poses
    batched = detector.detect_batch(frames)
    assert [len(hits) for hits in batched] == [1] * 8
    for frame, hits in zip(frames, batched, strict=True):
        (alone,) = detector.detect(frame)
        np.testing.assert_allclose(hits[0].box, alone.box, atol=1.0)
        np.testing.assert_allclose(hits[0].points5, alone.points5, atol=1.0)


def test_mixed_sizes_keep_input_order(detector):
    frames = [load_rgb(PORTRAITS[0]), clip_frames(1)[0], load_rgb(PORTRAITS[1])]
    blank = np.full((120, 160, 3), 128, dtype=np.uint8)
    results = detector.detect_batch([*frames, blank])
    assert [len(hits) for hits in results] == [1, 1, 1, 0]
    for frame, hits in zip(frames, results[:3], strict=True):
        (alone,) = detector.detect(frame)
        np.testing.assert_allclose(hits[0].box, alone.box, atol=1.0)
    assert detector.detect_batch([]) == []


def test_small_max_batch_gives_same_faces(detector):
    frames = clip_frames(5)
    small = detectors.create("mtcnn", max_batch=2).detect_batch(frames)
    for a, b in zip(small, detector.detect_batch(frames), strict=True):
        np.testing.assert_allclose(a[0].box, b[0].box, atol=1.0)


def test_margin_expands_and_clips(detector):
    frame = load_rgb(HOPPER)
    (tight,) = detector.detect(frame)
    (wide,) = detectors.create("mtcnn", margin=0.2).detect(frame)
    width, height = tight.box[2] - tight.box[0], tight.box[3] - tight.box[1]
    np.testing.assert_allclose(wide.box[2] - wide.box[0], 1.2 * width, rtol=0.01)
    np.testing.assert_allclose(wide.box[3] - wide.box[1], 1.2 * height, rtol=0.01)
    (huge,) = detectors.create("mtcnn", margin=2.0).detect(frame)
    x0, y0, x1, y1 = tight.box
    expected = (
        max(x0 - width, 0),
        max(y0 - height, 0),
        min(x1 + width, frame.shape[1]),
        min(y1 + height, frame.shape[0]),
    )
    np.testing.assert_allclose(huge.box, expected, atol=0.01)
    assert huge.box[0] == 0.0 and huge.box[2] == frame.shape[1]  # clipped to the frame


def test_dropped_hits_are_counted(detector):
    schumer = load_rgb(REAL_IMAGES / "pd_congress_S000148_chuck_schumer.jpg")  # scores 0.996
    strict = detectors.create("mtcnn", min_confidence=1.0)
    assert strict.detect(schumer) == []
    assert strict.last_dropped == {"low_confidence": 1, "too_small": 0}
    hopper = load_rgb(HOPPER)  # face about 200 px
    big_only = detectors.create("mtcnn", min_face_size=250)
    assert big_only.detect(hopper) == []
    assert big_only.last_dropped == {"low_confidence": 0, "too_small": 1}
    detector.detect(hopper)
    assert detector.last_dropped == dict.fromkeys(DROP_REASONS, 0)  # reset per call


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"min_face_size": 5}, "min_face_size"),
        ({"thresholds": (0.6, 0.7)}, "thresholds"),
        ({"thresholds": (0.6, 0.7, 1.5)}, "thresholds"),
        ({"min_confidence": 1.5}, "min_confidence"),
        ({"margin": -0.1}, "margin"),
        ({"max_batch": 0}, "max_batch"),
    ],
)
def test_bad_params_name_the_field(params, field):
    with pytest.raises(ValueError, match=field):
        detectors.create("mtcnn", **params)


def test_rejects_non_rgb_frames(detector):
    with pytest.raises(ValueError, match="frame 1 must be an"):
        detector.detect_batch([np.zeros((8, 8, 3), np.uint8), np.zeros((8, 8), np.uint8)])
    with pytest.raises(ValueError, match="uint8"):
        detector.detect(np.zeros((8, 8, 3), np.float32))


def test_unknown_detector_lists_choices():
    with pytest.raises(ValueError, match="mtcnn"):
        detectors.create("retinaface")


def test_resolve_device():
    assert resolve_device("cpu") == torch.device("cpu")
    assert device_label(resolve_device("cpu")) == "cpu"
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    assert resolve_device(None).type == expected
    with pytest.raises(DeviceUnavailable, match="Unknown device"):
        resolve_device("tpu-ish")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_gpu_is_a_clear_error():
    with pytest.raises(DeviceUnavailable, match="CUDA is not available"):
        resolve_device("cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_detection_matches_cpu(detector):
    device = resolve_device("cuda")
    assert device_label(device).startswith("cuda:0 ")
    frames = clip_frames(4, step=30)
    on_gpu = detectors.create("mtcnn", device=device).detect_batch(frames)
    for a, b in zip(on_gpu, detector.detect_batch(frames), strict=True):
        np.testing.assert_allclose(a[0].box, b[0].box, atol=2.0)
