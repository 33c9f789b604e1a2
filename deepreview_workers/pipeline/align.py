"""Alignment: a similarity transform of the 68 landmarks onto the canonical mean face.

All matrices are affine maps of *pixel* coordinates, applied as ``M @ [x, y, 1]``:
``align_face`` returns the (2, 3) matrix from source-frame pixels to aligned-crop
pixels, the inverse (``cv2.invertAffineTransform``) maps the crop back onto the frame.
"""

from __future__ import annotations

import cv2
import numpy as np

from deepreview_workers.pipeline.mean_face import MEAN_FACE_2D, MEAN_FACE_FIRST
from deepreview_workers.pipeline.types import AlignedFace


def umeyama(src: np.ndarray, dst: np.ndarray, estimate_scale: bool = True) -> np.ndarray:
    """Least-squares similarity (or rigid) transform taking ``src`` points onto ``dst``.

    Umeyama, "Least-squares estimation of transformation parameters between two point
    patterns", PAMI 1991 (the same algorithm as ``skimage.transform.SimilarityTransform``
    and faceswap's ``_umeyama``).

    ``src``, ``dst``: (N, D) float, N >= D, corresponding points. Returns the
    (D+1, D+1) float64 homogeneous matrix T with ``dst ~ T @ [src, 1]``; with
    ``estimate_scale=False`` the scale is fixed at 1 (rotation + translation only).
    A reflection is never returned, even when it would fit better.
    """
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    if src.shape != dst.shape or src.ndim != 2:
        raise ValueError(
            f"umeyama needs two (N, D) arrays of one shape, got {src.shape}, {dst.shape}"
        )
    num, dim = src.shape
    src_mean = src.mean(axis=0)
    dst_mean = dst.mean(axis=0)
    src_c = src - src_mean
    dst_c = dst - dst_mean
    covariance = dst_c.T @ src_c / num
    # d flips the last singular direction when the best orthogonal fit is a reflection.
    d = np.ones(dim)
    if np.linalg.det(covariance) < 0:
        d[-1] = -1
    u, s, vt = np.linalg.svd(covariance)
    rank = np.linalg.matrix_rank(covariance)
    if rank == 0:
        raise ValueError("umeyama: all source points coincide; no transform is defined")
    if rank == dim - 1:
        # Degenerate (e.g. collinear points in 2-D): det(cov) is 0 and cannot tell a
        # rotation from a reflection; det(U) det(V) can (Umeyama eq. 43).
        d_rot = d.copy()
        d_rot[-1] = 1.0 if np.linalg.det(u) * np.linalg.det(vt) > 0 else -1.0
        rotation = u @ np.diag(d_rot) @ vt
    else:
        rotation = u @ np.diag(d) @ vt
    transform = np.eye(dim + 1)
    scale = 1.0
    if estimate_scale:
        src_var = src_c.var(axis=0).sum()
        scale = float(s @ d) / src_var
    transform[:dim, :dim] = scale * rotation
    transform[:dim, dim] = dst_mean - scale * rotation @ src_mean
    return transform


def transform_points(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Apply a (2, 3) or (3, 3) affine ``matrix`` to (N, 2) points; returns (N, 2) float64."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    matrix = np.asarray(matrix, dtype=np.float64)
    return points @ matrix[:2, :2].T + matrix[:2, 2]


def alignment_matrix(
    landmarks68: np.ndarray, *, size: int = 256, coverage: float = 0.75, y_offset: float = 0.0
) -> np.ndarray:
    """(2, 3) float64 matrix from source-frame pixels to a ``size`` x ``size`` aligned crop.

    ``landmarks68``: (68, 2) source-frame pixels (iBUG order). Points 17..67 are fitted
    to ``MEAN_FACE_2D`` (the jaw is left out: it slides with head turn). The mean face
    then spans ``coverage`` of the crop width, centred; ``y_offset`` (fraction of
    ``size``) moves the face down in the crop when positive, showing more forehead.
    """
    landmarks68 = np.asarray(landmarks68, dtype=np.float64)
    if landmarks68.shape != (68, 2):
        raise ValueError(f"landmarks68 must be (68, 2), got {landmarks68.shape}")
    if not 0.0 < coverage <= 1.0:
        raise ValueError(f"coverage must be in (0, 1], got {coverage}")
    to_unit = umeyama(landmarks68[MEAN_FACE_FIRST:], MEAN_FACE_2D, estimate_scale=True)
    # Unit mean-face coordinates -> crop pixels: scale, then pad equally on both sides.
    span = size * coverage
    pad = (size - span) / 2.0
    to_crop = np.array([[span, 0.0, pad], [0.0, span, pad + y_offset * size], [0, 0, 1]])
    return (to_crop @ to_unit)[:2]


def _interpolation(matrix: np.ndarray) -> int:
    # INTER_AREA averages the source pixels when shrinking (no aliasing on big faces);
    # when enlarging it degenerates, so use bicubic, as faceswap does.
    scale = np.sqrt(abs(np.linalg.det(matrix[:2, :2])))
    return cv2.INTER_AREA if scale < 1.0 else cv2.INTER_CUBIC


def align_face(
    frame_rgb: np.ndarray,
    landmarks68: np.ndarray,
    *,
    size: int = 256,
    coverage: float = 0.75,
    y_offset: float = 0.0,
) -> AlignedFace:
    """Cut the face out of ``frame_rgb`` and normalise it to the mean face.

    ``frame_rgb``: (H, W, 3) uint8 RGB. ``landmarks68``: (68, 2) float, source-frame
    pixels. Returns an ``AlignedFace`` with a (size, size, 3) uint8 RGB crop, the (2, 3)
    float64 frame->crop matrix and the 68 landmarks in crop pixels (float32). Pixels
    outside the frame are black rather than reflected: a mirrored copy of the face at
    the crop's edge would teach a swap model a face that never existed.
    """
    if frame_rgb.ndim != 3 or frame_rgb.shape[2] != 3 or frame_rgb.dtype != np.uint8:
        raise ValueError(
            f"frame_rgb must be (H, W, 3) uint8, got {frame_rgb.shape} {frame_rgb.dtype}"
        )
    matrix = alignment_matrix(landmarks68, size=size, coverage=coverage, y_offset=y_offset)
    crop = cv2.warpAffine(
        frame_rgb,
        matrix,
        (size, size),
        flags=_interpolation(matrix),
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(0, 0, 0),
    )
    aligned_points = transform_points(landmarks68, matrix).astype(np.float32)
    return AlignedFace(crop_rgb=crop, matrix=matrix, landmarks68_aligned=aligned_points, size=size)


def warp_back(
    crop_or_mask: np.ndarray, matrix: np.ndarray, frame_shape: tuple[int, ...]
) -> np.ndarray:
    """Warp an aligned crop or mask back into source-frame pixels.

    ``crop_or_mask``: (size, size) or (size, size, C), any dtype cv2 can warp (uint8,
    float32). ``matrix``: the (2, 3) frame->crop matrix from ``align_face``.
    ``frame_shape``: (H, W, ...) of the source frame. Returns an array of the frame's
    height and width with the crop's channels and dtype; outside the crop it is 0, so a
    warped-back mask doubles as the blend weight of a pasted face.
    """
    height, width = int(frame_shape[0]), int(frame_shape[1])
    matrix = np.asarray(matrix, dtype=np.float64)[:2]
    # WARP_INVERSE_MAP: cv2 treats ``matrix`` as dst->src, i.e. frame->crop, which is
    # what we have; saves inverting it and is exact.
    return cv2.warpAffine(
        crop_or_mask,
        matrix,
        (width, height),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0,
    )


def roll_degrees(landmarks68: np.ndarray) -> float:
    """In-plane angle of the line between the eye centres, degrees, + = clockwise in the image.

    ``landmarks68``: (68, 2) pixels (image y down). 0 for level eyes.
    """
    points = np.asarray(landmarks68, dtype=np.float64)
    left_eye = points[36:42].mean(axis=0)
    right_eye = points[42:48].mean(axis=0)
    dx, dy = right_eye - left_eye
    return float(np.degrees(np.arctan2(dy, dx)))
