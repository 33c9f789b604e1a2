"""Per-face quality measures on the aligned crop: sharpness, brightness, hue, colour histogram.

Inputs are aligned crops, (S, S, 3) uint8 RGB, and optional masks, (S, S) uint8 where
> 127 counts as face (a feathered mask works too). Measuring inside the face mask keeps
background and hair out of the numbers, which is what curation sorts on.
"""

from __future__ import annotations

import cv2
import numpy as np

from deepreview_workers.pipeline.types import Box

# OpenCV's 8-bit HSV stores hue as 0..179 (degrees / 2).
_CV_HUE_RANGE = 180


def _check_crop(crop_rgb: np.ndarray) -> None:
    if crop_rgb.ndim != 3 or crop_rgb.shape[2] != 3 or crop_rgb.dtype != np.uint8:
        raise ValueError(
            f"crop_rgb must be (H, W, 3) uint8 RGB, got {crop_rgb.shape} {crop_rgb.dtype}"
        )


def _inside(mask: np.ndarray | None, shape: tuple[int, ...]) -> np.ndarray | None:
    """Boolean (H, W) selection from a uint8 mask, or None for "everywhere"."""
    if mask is None:
        return None
    if mask.shape != shape[:2]:
        raise ValueError(f"mask shape {mask.shape} does not match the crop {shape[:2]}")
    selected = mask > 127
    # An empty mask (landmarks off the crop) would make every measure NaN; measuring the
    # whole crop is the more useful answer for sorting.
    return selected if selected.any() else None


def blur_score(crop_rgb: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Variance of the Laplacian of the grey crop; higher is sharper.

    ``crop_rgb``: (H, W, 3) uint8 RGB; ``mask``: optional (H, W) uint8. The Laplacian
    is taken on the whole crop, then its variance inside the mask eroded by 2 px, so
    the mask's own edge (face against black border) never counts as detail.
    The value depends on the crop size: compare faces aligned at one size.
    """
    _check_crop(crop_rgb)
    grey = cv2.cvtColor(crop_rgb, cv2.COLOR_RGB2GRAY)
    laplacian = cv2.Laplacian(grey, cv2.CV_64F, ksize=1)
    inside = _inside(mask, crop_rgb.shape)
    if inside is not None:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
        eroded = cv2.erode(inside.astype(np.uint8), kernel).astype(bool)
        inside = eroded if eroded.any() else inside
        return float(laplacian[inside].var())
    return float(laplacian.var())


def _hsv(crop_rgb: np.ndarray) -> np.ndarray:
    _check_crop(crop_rgb)
    return cv2.cvtColor(crop_rgb, cv2.COLOR_RGB2HSV)


def brightness(crop_rgb: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Mean V (HSV value, 0..255) of the crop inside the mask. (H, W, 3) uint8 RGB in."""
    value = _hsv(crop_rgb)[..., 2]
    inside = _inside(mask, crop_rgb.shape)
    return float(value[inside].mean() if inside is not None else value.mean())


def mean_hue(crop_rgb: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Circular mean hue in degrees [0, 360), weighted by saturation.

    (H, W, 3) uint8 RGB in. Hue is an angle, so red at 350 deg and 10 deg average to 0,
    not 180; weighting by saturation keeps grey pixels, whose hue is noise, out.
    A crop with no saturated pixel returns 0.
    """
    hsv = _hsv(crop_rgb).astype(np.float64)
    inside = _inside(mask, crop_rgb.shape)
    if inside is not None:
        hsv = hsv[inside]
    hsv = hsv.reshape(-1, 3)
    angle = np.radians(hsv[:, 0] * (360.0 / _CV_HUE_RANGE))
    weight = hsv[:, 1]
    x = float((weight * np.cos(angle)).sum())
    y = float((weight * np.sin(angle)).sum())
    if np.hypot(x, y) < 1e-9:
        return 0.0
    return float(np.degrees(np.arctan2(y, x)) % 360.0)


def colour_histogram(
    crop_rgb: np.ndarray, mask: np.ndarray | None = None, bins: tuple[int, int, int] = (8, 4, 4)
) -> tuple[float, ...]:
    """HSV histogram of the crop inside the mask, flattened (H-major), summing to 1.

    ``crop_rgb``: (H, W, 3) uint8 RGB; ``bins``: counts for hue (over 0..360 deg),
    saturation and value (over 0..255). Returns ``prod(bins)`` floats.
    """
    hsv = _hsv(crop_rgb)
    inside = _inside(mask, crop_rgb.shape)
    cv_mask = None if inside is None else inside.astype(np.uint8) * 255
    hist = (
        cv2.calcHist([hsv], [0, 1, 2], cv_mask, list(bins), [0, _CV_HUE_RANGE, 0, 256, 0, 256])
        .astype(np.float64)
        .ravel()
    )
    total = hist.sum()
    if total > 0:
        hist /= total
    return tuple(float(v) for v in hist)


def face_size(box: Box) -> float:
    """Square root of the box area in source-frame pixels; ``box`` is (x0, y0, x1, y1)."""
    x0, y0, x1, y1 = box
    return float(np.sqrt(max(x1 - x0, 0.0) * max(y1 - y0, 0.0)))
