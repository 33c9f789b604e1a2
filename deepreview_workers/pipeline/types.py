"""Plain data passed between extraction steps. Shapes and units are the contract.

Coordinates are float pixels of the *source frame* unless named ``*_aligned``;
boxes are ``(x0, y0, x1, y1)``; images are ``uint8`` RGB ``(H, W, 3)`` unless
a name ends in ``_bgr``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class FaceDetection:
    """One detector hit in one frame.

    ``points5``: (5, 2) float32, MTCNN order: left eye, right eye, nose, left
    mouth corner, right mouth corner (left/right as seen in the image).
    """

    box: Box
    score: float
    points5: np.ndarray


@dataclass(frozen=True)
class FaceMetrics:
    """Quality and pose of one face (what the faceset grid sorts and filters on)."""

    blur: float  # variance of the Laplacian on the aligned face: higher is sharper
    face_size: float  # source-frame pixels: sqrt of the box area
    brightness: float  # mean V of HSV on the masked aligned face, 0..255
    hue: float  # circular mean hue of the masked face, degrees 0..360
    histogram: tuple[float, ...]  # normalised HSV colour histogram of the masked face
    yaw: float  # degrees, + = face turned to the image's right
    pitch: float  # degrees, + = face tilted up
    roll: float  # degrees, + = clockwise in the image
    confidence: float  # detector score 0..1


@dataclass(frozen=True)
class AlignedFace:
    """A face cut out of its frame and normalised to the canonical mean face.

    ``matrix``: (2, 3) float64 similarity transform from source-frame pixels to
    aligned-crop pixels; ``cv2.invertAffineTransform(matrix)`` warps back.
    ``crop_rgb``: (size, size, 3) uint8. ``landmarks68_aligned``: (68, 2) in crop pixels.
    """

    crop_rgb: np.ndarray
    matrix: np.ndarray
    landmarks68_aligned: np.ndarray
    size: int


@dataclass(frozen=True)
class ExtractedFace:
    """Everything known about one face; ``track_id`` links faces of one person in a video."""

    frame_index: int
    pts_seconds: float
    face_index: int  # order within its frame
    detection: FaceDetection
    landmarks68: np.ndarray  # (68, 2) float32, source-frame pixels (iBUG 300-W order)
    aligned: AlignedFace
    masks: dict[str, np.ndarray]  # name -> (size, size) uint8 0..255, in aligned-crop pixels
    metrics: FaceMetrics
    embedding: np.ndarray  # (D,) float32, L2-normalised; D=128 for dlib
    embedder: str
    track_id: int = -1
    extras: dict = field(default_factory=dict)


@dataclass(frozen=True)
class StoredFaceCrop:
    """An aligned face crop kept outside the pipeline (the web app's storage).

    ``read()``: the encoded crop (PNG or JPEG, ``crop_size`` square); ``landmarks68``:
    (68, 2) source-frame pixels; ``matrix``: (2, 3) source-frame -> crop transform.
    """

    name: str
    read: Callable[[], bytes]
    landmarks68: np.ndarray
    matrix: np.ndarray
    crop_size: int
