"""The embedder plugin kind, its registry, and helpers shared by the embedders."""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from deepreview_workers.pipeline.registry import Registry


class Embedder(Protocol):
    """Turns faces into identity vectors.

    ``embed(frame_rgb, landmarks68)``: an (H, W, 3) uint8 RGB frame and (N, 68, 2)
    source-pixel landmarks give (N, dim) float32 L2-normalised embeddings; faces of one
    person are close in cosine distance.
    """

    name: str
    dim: int

    def embed(self, frame_rgb: np.ndarray, landmarks68: np.ndarray) -> np.ndarray: ...


embedders: Registry[Embedder] = Registry("embedder")


def cosine_distance(a: np.ndarray, b: np.ndarray) -> float:
    """``1 - cos(a, b)`` of two (D,) vectors: 0 same direction, 1 orthogonal, 2 opposite."""
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    norms = np.linalg.norm(a) * np.linalg.norm(b)
    if norms == 0:
        raise ValueError("cosine distance is undefined for a zero vector")
    return float(1.0 - np.dot(a, b) / norms)


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows of an (N, D) array scaled to unit length, as float32."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, np.finfo(np.float32).tiny)


def check_landmarks68(landmarks68: np.ndarray) -> np.ndarray:
    """``landmarks68`` as an (N, 68, 2) float array; a single (68, 2) face becomes N=1."""
    points = np.asarray(landmarks68, dtype=np.float64)
    if points.ndim == 2:
        points = points[None]
    if points.ndim != 3 or points.shape[1:] != (68, 2):
        raise ValueError(f"landmarks68 must be (N, 68, 2), got {np.shape(landmarks68)}")
    return points


def full_object_detections(dlib: Any, landmarks68: np.ndarray) -> Any:
    """dlib ``full_object_detections`` for (N, 68, 2) landmarks (``dlib`` is the module)."""
    shapes = dlib.full_object_detections()
    for points in check_landmarks68(landmarks68):
        # The rectangle only anchors the shape; dlib's chip alignment uses the points.
        rect = dlib.rectangle(
            int(points[:, 0].min()),
            int(points[:, 1].min()),
            int(np.ceil(points[:, 0].max())),
            int(np.ceil(points[:, 1].max())),
        )
        shapes.append(
            dlib.full_object_detection(
                rect, [dlib.point(int(round(x)), int(round(y))) for x, y in points]
            )
        )
    return shapes


def face_chips(
    dlib: Any, frame_rgb: np.ndarray, landmarks68: np.ndarray, *, size: int, padding: float
) -> list[np.ndarray]:
    """dlib-aligned face chips: N (size, size, 3) uint8 RGB crops, eyes level and centred.

    ``padding`` is dlib's: the fraction of the tight landmark box added on each side.
    """
    shapes = full_object_detections(dlib, landmarks68)
    if len(shapes) == 0:
        return []
    return list(dlib.get_face_chips(np.ascontiguousarray(frame_rgb), shapes, size, padding))
