"""Real faces and deliberately bad fakes made from them, for the detection tests.

Fakes are made the way a crude face swap makes them: the source face is aligned to a
64 px crop (a swap model's output size), warped onto the target face's landmarks and
pasted with a hard-edged landmark mask, or the target's own face interior is blurred
inside a hard-edged hull. Both leave a seam and a soft face, which is what the
signals and a small detector should notice.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from deepreview_workers.pipeline.align import (
    align_face,
    alignment_matrix,
    transform_points,
    warp_back,
)
from deepreview_workers.pipeline.masks import maskers
from deepreview_workers.pipeline.types import Box

RATE = 30


def read_rgb(path: Path, max_side: int | None = None) -> np.ndarray:
    image = cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    if max_side is not None and max(image.shape[:2]) > max_side:
        scale = max_side / max(image.shape[:2])
        size = (round(image.shape[1] * scale), round(image.shape[0] * scale))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    return image


def decode(path: Path, count: int, step: int = 1) -> list[np.ndarray]:
    """The first ``count`` frames (every ``step``-th) of a video as RGB arrays."""
    frames = []
    with av.open(str(path)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index % step == 0:
                frames.append(frame.to_ndarray(format="rgb24"))
            if len(frames) >= count:
                break
    return frames


def write_video(frames: list[np.ndarray], path: Path, crf: int = 18) -> Path:
    """Encode RGB frames as H.264 (yuv420p) at 30 fps with PyAV."""
    height, width = frames[0].shape[:2]
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=RATE)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"crf": str(crf), "preset": "veryfast"}
        for index, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
            frame.pts, frame.time_base = index, Fraction(1, RATE)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def largest_face(detector: object, landmarker: object, rgb: np.ndarray) -> tuple[Box, np.ndarray]:
    """(box, (68, 2) landmarks) of the largest face, or raise when there is none."""
    hits = detector.detect(rgb)
    if not hits:
        raise LookupError("no face")
    hit = max(hits, key=lambda h: (h.box[2] - h.box[0]) * (h.box[3] - h.box[1]))
    return hit.box, landmarker.predict(rgb, [hit.box])[0]


def faces_of(detector: object, landmarker: object, frames: list[np.ndarray]) -> list:
    """(box, landmarks) of the largest face per frame, detected in one batch."""
    hits = detector.detect_batch(frames)
    out = []
    for rgb, frame_hits in zip(frames, hits, strict=True):
        hit = max(frame_hits, key=lambda h: (h.box[2] - h.box[0]) * (h.box[3] - h.box[1]))
        out.append((hit.box, landmarker.predict(rgb, [hit.box])[0]))
    return out


def swap_source(rgb: np.ndarray, landmarks: np.ndarray, size: int = 64) -> np.ndarray:
    """The source face as a swap model would output it: an aligned ``size`` px crop."""
    return align_face(rgb, landmarks, size=size).crop_rgb


def paste_face(
    target_rgb: np.ndarray, target_landmarks: np.ndarray, source_crop: np.ndarray
) -> np.ndarray:
    """Warp an aligned source crop onto the target face and paste it inside the target's
    extended landmark mask with a hard edge (no feather, no colour transfer)."""
    size = source_crop.shape[0]
    matrix = alignment_matrix(target_landmarks, size=size)
    mask = maskers.create("extended").make(transform_points(target_landmarks, matrix), size)
    face = warp_back(source_crop, matrix, target_rgb.shape)
    inside = warp_back(mask, matrix, target_rgb.shape) > 127
    out = target_rgb.copy()
    out[inside] = face[inside]
    return out


def blur_interior(rgb: np.ndarray, landmarks: np.ndarray, box: Box) -> np.ndarray:
    """Blur the face inside the hull of its landmarks, with a hard edge."""
    size = max(box[2] - box[0], box[3] - box[1])
    sigma = max(size / 15.0, 1.5)
    mask = np.zeros(rgb.shape[:2], dtype=np.uint8)
    cv2.fillConvexPoly(mask, cv2.convexHull(np.round(landmarks[:27]).astype(np.int32)), 255)
    # Blur only around the face: a whole 720p frame at this sigma is slow.
    pad = int(3 * sigma) + 1
    ys, xs = np.nonzero(mask)
    y0, y1 = max(ys.min() - pad, 0), min(ys.max() + pad + 1, rgb.shape[0])
    x0, x1 = max(xs.min() - pad, 0), min(xs.max() + pad + 1, rgb.shape[1])
    out = rgb.copy()
    region = out[y0:y1, x0:x1]
    inside = mask[y0:y1, x0:x1] > 0
    region[inside] = cv2.GaussianBlur(rgb[y0:y1, x0:x1], (0, 0), sigma)[inside]
    return out
