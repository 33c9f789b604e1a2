"""Face masks from 68 landmarks: filled convex hulls of face parts, in aligned-crop pixels.

Plugins (``maskers.create(name)``), each with ``make(landmarks68_aligned, size)``:

- ``components``: faceswap's "components" mask (``plugins/extract/mask/components.py``):
  the union of eight convex hulls (each jaw half with its eyebrow end, each cheek,
  the nose ridge, each eye region with the nose, the nose), all anchored at the chin,
  so the mask covers the face from the eyebrows down and stops at the jaw line.
- ``extended``: faceswap's "extended" mask: the same hulls after the eyebrow points
  are pushed up, away from the eyes, by half their distance to the upper eyelid,
  so the mask reaches into the forehead.

Masks are (size, size) uint8 with values 0 and 255 only; ``feather`` and
``erode_dilate`` post-process them.
"""

from __future__ import annotations

from typing import Protocol

import cv2
import numpy as np

from deepreview_workers.pipeline.registry import Registry

# Sub-pixel precision for cv2's polygon fill: coordinates are passed as fixed point
# with this many fractional bits, so hulls do not jitter by a pixel as faces move.
_SHIFT = 4


class Masker(Protocol):
    """A landmark masker: ``make`` returns a (size, size) uint8 0/255 mask."""

    name: str

    def make(self, landmarks68_aligned: np.ndarray, size: int) -> np.ndarray: ...


maskers: Registry[Masker] = Registry("masker")


def _check_landmarks(landmarks68_aligned: np.ndarray) -> np.ndarray:
    points = np.asarray(landmarks68_aligned, dtype=np.float64)
    if points.shape != (68, 2):
        raise ValueError(f"landmarks68_aligned must be (68, 2), got {points.shape}")
    return points


def _components_parts(points: np.ndarray) -> list[np.ndarray]:
    # Slices as in faceswap's Components.parse_parts; "r_" there is the image's left.
    def part(*slices: slice) -> np.ndarray:
        return np.concatenate([points[s] for s in slices])

    chin = slice(8, 9)
    return [
        part(slice(0, 9), slice(17, 18)),  # image-left jaw + outer eyebrow end
        part(slice(8, 17), slice(26, 27)),  # image-right jaw + outer eyebrow end
        part(slice(17, 20), chin),  # image-left cheek
        part(slice(24, 27), chin),  # image-right cheek
        part(slice(19, 25), chin),  # nose ridge band, eyebrows to chin
        part(slice(17, 22), slice(27, 28), slice(31, 36), chin),  # image-left eye region
        part(slice(22, 27), slice(27, 28), slice(31, 36), chin),  # image-right eye region
        part(slice(27, 31), slice(31, 36)),  # nose
    ]


def _fill_hulls(parts: list[np.ndarray], size: int) -> np.ndarray:
    if size <= 0:
        raise ValueError(f"mask size must be positive, got {size}")
    mask = np.zeros((size, size), dtype=np.uint8)
    for points in parts:
        fixed = np.round(points * (1 << _SHIFT)).astype(np.int32)
        hull = cv2.convexHull(fixed)
        cv2.fillConvexPoly(mask, hull, 255, lineType=cv2.LINE_8, shift=_SHIFT)
    return mask


@maskers.register("components")
class ComponentsMasker:
    """Face parts hull from the eyebrows to the jaw line (faceswap "components")."""

    name = "components"

    def make(self, landmarks68_aligned: np.ndarray, size: int) -> np.ndarray:
        """``landmarks68_aligned``: (68, 2) crop pixels -> (size, size) uint8 0/255."""
        points = _check_landmarks(landmarks68_aligned)
        return _fill_hulls(_components_parts(points), size)


def extend_eyebrows(landmarks68: np.ndarray) -> np.ndarray:
    """The landmarks with eyebrows 17..26 moved up into the forehead (faceswap "extended").

    Each eyebrow point moves away from the matching upper-eyelid point by half their
    distance; the outer ends pair with points a quarter of the way from the outer eye
    corner to the jaw start (0 / 16), so the extension follows the face's tilt.
    (68, 2) float in, (68, 2) float64 out; the input is not changed.
    """
    points = np.array(landmarks68, dtype=np.float64)
    mid_left = (points[36] + points[0]) / 2
    mid_right = (points[16] + points[45]) / 2
    quarter_left = (points[36] + mid_left) / 2
    quarter_right = (points[45] + mid_right) / 2
    below_left = np.stack([quarter_left, points[36], points[37], points[38], points[39]])
    below_right = np.stack([points[42], points[43], points[44], points[45], quarter_right])
    points[17:22] += (points[17:22] - below_left) / 2
    points[22:27] += (points[22:27] - below_right) / 2
    return points


@maskers.register("extended")
class ExtendedMasker:
    """``components`` with the eyebrows raised into the forehead (faceswap "extended")."""

    name = "extended"

    def make(self, landmarks68_aligned: np.ndarray, size: int) -> np.ndarray:
        """``landmarks68_aligned``: (68, 2) crop pixels -> (size, size) uint8 0/255."""
        points = extend_eyebrows(_check_landmarks(landmarks68_aligned))
        return _fill_hulls(_components_parts(points), size)


def feather(mask: np.ndarray, radius_px: float) -> np.ndarray:
    """Soften the mask edge with a Gaussian blur of about ``radius_px`` pixels.

    ``mask``: (H, W) uint8 0..255. Returns (H, W) uint8 0..255; ``radius_px`` <= 0 returns
    a copy. The kernel spans 2 * radius + 1 px with sigma = radius / 2, so the ramp is
    about ``radius_px`` wide on each side of the original edge.
    """
    if mask.ndim != 2 or mask.dtype != np.uint8:
        raise ValueError(f"mask must be (H, W) uint8, got {mask.shape} {mask.dtype}")
    if radius_px <= 0:
        return mask.copy()
    radius = int(round(radius_px))
    kernel = 2 * radius + 1
    return cv2.GaussianBlur(
        mask, (kernel, kernel), sigmaX=radius / 2.0, borderType=cv2.BORDER_CONSTANT
    )


def erode_dilate(mask: np.ndarray, px: int) -> np.ndarray:
    """Grow (``px`` > 0) or shrink (``px`` < 0) the mask by ``|px|`` pixels.

    ``mask``: (H, W) uint8. Uses an elliptical structuring element of diameter
    2 * |px| + 1, so the boundary moves evenly in every direction. Returns (H, W) uint8.
    """
    if mask.ndim != 2 or mask.dtype != np.uint8:
        raise ValueError(f"mask must be (H, W) uint8, got {mask.shape} {mask.dtype}")
    if px == 0:
        return mask.copy()
    radius = abs(int(px))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    if px > 0:
        return cv2.dilate(mask, kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0)
    # Outside the image counts as "not face" so masks touching the border erode from it.
    return cv2.erode(mask, kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0)
