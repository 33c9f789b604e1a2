"""Training augmentations for face crops, in the spirit of the DFDC winners.

The detector must not latch on to one easy cue (one blurry eye, one seam) or on to the
compression of the training videos, so each training crop gets, independently:

- part dropping: with landmarks, one face part (an eye, both eyes, the nose, the mouth,
  or the upper/lower/left/right half of the face hull) is blacked out, as in Selim
  Seferbekov's ``remove_landmark`` / ``blackout_convex_hull``; it forces the network to
  look at the whole face. Without landmarks, a random rectangle is erased (cut-out).
- JPEG re-compression at a random quality (uploads are re-encoded many times);
- Gaussian blur (focus, motion, low-resolution sources);
- colour jitter of brightness, contrast, saturation and hue (lighting, cameras);
- horizontal flip (faces are roughly symmetric; the label does not change).

Everything is numpy/OpenCV on (S, S, 3) uint8 RGB and driven by one seeded
``numpy.random.Generator``, so a training run is reproducible.
"""

from __future__ import annotations

import cv2
import numpy as np

from deepreview_workers.pipeline.options.detection import AugmentOptions

_PARTS = (
    "left_eye",
    "right_eye",
    "eyes",
    "nose",
    "mouth",
    "upper_half",
    "lower_half",
    "left_half",
    "right_half",
)


def augment(
    crop_rgb: np.ndarray,
    rng: np.random.Generator,
    options: AugmentOptions,
    landmarks: np.ndarray | None = None,
) -> np.ndarray:
    """One augmented copy of ``crop_rgb`` ((S, S, 3) uint8 RGB); ``landmarks``: (68, 2)
    in the crop's pixels or None. The input is not changed."""
    return augment_with_mask(crop_rgb, None, rng, options, landmarks)[0]


def augment_with_mask(
    crop_rgb: np.ndarray,
    mask: np.ndarray | None,
    rng: np.random.Generator,
    options: AugmentOptions,
    landmarks: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """:func:`augment`, with ``mask`` (an (h, w) array over the crop, any resolution)
    moved by the same geometric changes, so it stays on the face it describes."""
    image = crop_rgb.copy()
    if rng.random() < options.drop_part:
        if landmarks is not None:
            image = drop_part(image, landmarks, str(rng.choice(_PARTS)))
        else:
            image = random_erase(image, rng)
    if rng.random() < options.jpeg:
        image = jpeg(image, int(rng.integers(options.jpeg_quality[0], options.jpeg_quality[1] + 1)))
    if rng.random() < options.blur:
        sigma = float(rng.uniform(*options.blur_sigma))
        image = cv2.GaussianBlur(image, (0, 0), sigma)
    if rng.random() < options.colour:
        image = colour_jitter(image, rng, options)
    if rng.random() < options.flip:
        image = np.ascontiguousarray(image[:, ::-1])
        if mask is not None:
            mask = np.ascontiguousarray(mask[:, ::-1])
    return image, mask


def drop_part(image: np.ndarray, landmarks: np.ndarray, part: str) -> np.ndarray:
    """Black out one face part given (68, 2) landmarks in the image's pixels."""
    points = np.asarray(landmarks, dtype=np.float64)
    out = image.copy()

    def fill(selected: np.ndarray, grow: float = 0.0) -> None:
        centre = selected.mean(axis=0)
        grown = centre + (selected - centre) * (1.0 + grow)
        hull = cv2.convexHull(np.round(grown).astype(np.int32))
        cv2.fillConvexPoly(out, hull, (0, 0, 0))

    if part in ("left_eye", "eyes"):
        fill(np.vstack([points[36:42], points[17:22]]), grow=0.2)
    if part in ("right_eye", "eyes"):
        fill(np.vstack([points[42:48], points[22:27]]), grow=0.2)
    if part == "nose":
        fill(points[27:36], grow=0.3)
    if part == "mouth":
        fill(points[48:68], grow=0.3)
    if part.endswith("_half"):
        # The face outline (jaw and brows) on one side of the line through the nose,
        # closed along that line.
        outline = points[0:27]
        centre = points[27:36].mean(axis=0)
        dim, side = {"upper": (1, -1), "lower": (1, 1), "left": (0, -1), "right": (0, 1)}[
            part.split("_")[0]
        ]
        half = outline[(outline[:, dim] - centre[dim]) * side >= 0]
        other = 1 - dim
        ends = np.zeros((2, 2))
        ends[:, dim] = centre[dim]
        ends[:, other] = outline[:, other].min(), outline[:, other].max()
        if len(half) >= 1:
            fill(np.vstack([half, ends]))
    return out


def random_erase(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Black out a random rectangle of 5-25% of the image (cut-out)."""
    height, width = image.shape[:2]
    area = rng.uniform(0.05, 0.25) * height * width
    aspect = np.exp(rng.uniform(np.log(0.5), np.log(2.0)))
    h = int(min(height, round(np.sqrt(area * aspect))))
    w = int(min(width, round(np.sqrt(area / aspect))))
    y = int(rng.integers(0, height - h + 1))
    x = int(rng.integers(0, width - w + 1))
    out = image.copy()
    out[y : y + h, x : x + w] = 0
    return out


def jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    """Round-trip through JPEG at ``quality`` (1..100)."""
    ok, data = cv2.imencode(
        ".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, int(quality)]
    )
    if not ok:
        return image
    return cv2.cvtColor(cv2.imdecode(data, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def colour_jitter(
    image: np.ndarray, rng: np.random.Generator, options: AugmentOptions
) -> np.ndarray:
    """Random brightness, contrast, saturation and hue change."""
    out = image.astype(np.float32)
    out *= 1.0 + rng.uniform(-options.brightness, options.brightness)
    mean = out.mean()
    out = (out - mean) * (1.0 + rng.uniform(-options.contrast, options.contrast)) + mean
    hsv = cv2.cvtColor(np.clip(out, 0, 255).astype(np.uint8), cv2.COLOR_RGB2HSV).astype(np.float32)
    hsv[..., 0] = (hsv[..., 0] + rng.uniform(-options.hue_degrees, options.hue_degrees) / 2.0) % 180
    hsv[..., 1] *= 1.0 + rng.uniform(-options.saturation, options.saturation)
    hsv = np.clip(hsv, 0, [179, 255, 255]).astype(np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
