"""Self-blended training fakes (SBI, Shiohara & Yamasaki, CVPR 2022; Face X-ray, Li et
al., CVPR 2020): a real face with a slightly altered copy of itself blended back in.

Every face swap pastes a face into a frame, leaving a blending boundary and a mismatch
of colour, sharpness and geometry between the pasted region and its surroundings. A
face blended with an altered copy of itself has exactly those traces and nothing else
(no identity change, no generator fingerprint), so a detector trained on it learns the
traces that every swap shares. The blend mask is the ground truth of where.

    blended, mask = self_blend(face_rgb, landmarks, rng)

``face_rgb``: (H, W, 3) uint8 RGB; ``landmarks``: (68, 2) float, x/y in the face's
pixels (iBUG 300-W order). ``mask``: (H, W) float32 in [0, 1], nonzero only inside
the landmarks' convex hull; ``blended`` differs from ``face_rgb`` only where
``mask > 0``.

``cross_blend`` pastes another person's face the same way (Face X-ray's blended
images), the donor chosen by ``landmark_donors``; the built-in recipe offers it as
``--cross-blend`` (tried, not shipped: see the model card). ``warp_blend`` pastes the
face's own copy bent by a smooth random field and re-rendered at a lower resolution,
as reenactment and talking-head generators warp a face and render it (``--warp-blend``).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class SelfBlendOptions:
    """Ranges the random alterations are drawn from (defaults after SBI's)."""

    hue_shift: float = 5.0  # degrees of OpenCV's 0-180 hue
    saturation_scale: float = 0.2  # +- fraction
    brightness: float = 0.1  # +- fraction of 255
    contrast: float = 0.1  # +- fraction
    channel_shift: float = 12.0  # +- per RGB channel
    scale: float = 0.06  # +- source scale about the face centre
    shift: float = 0.03  # +- source translation, fraction of the face size
    blend_ratios: tuple[float, ...] = (0.25, 0.5, 0.75, 1.0, 1.0, 1.0)
    deform: float = 0.06  # hull deformation, fraction of the face size
    max_feather: float = 0.06  # Gaussian feather sigma, fraction of the face size


def hull_mask(shape: tuple[int, int], landmarks: np.ndarray) -> np.ndarray:
    """(H, W) uint8 {0, 1}: the convex hull of ``landmarks`` filled."""
    mask = np.zeros(shape, dtype=np.uint8)
    hull = cv2.convexHull(np.round(landmarks).astype(np.int32))
    cv2.fillConvexPoly(mask, hull, 1)
    return mask


def _alter_colour(rgb: np.ndarray, rng: np.random.Generator, o: SelfBlendOptions) -> np.ndarray:
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV).astype(np.float32)
    hsv[..., 0] = (hsv[..., 0] + rng.uniform(-o.hue_shift, o.hue_shift)) % 180.0
    hsv[..., 1] *= 1.0 + rng.uniform(-o.saturation_scale, o.saturation_scale)
    out = cv2.cvtColor(np.clip(hsv, 0, 255).astype(np.uint8), cv2.COLOR_HSV2RGB)
    out = out.astype(np.float32)
    out = (out - 128.0) * (1.0 + rng.uniform(-o.contrast, o.contrast)) + 128.0
    out += rng.uniform(-o.brightness, o.brightness) * 255.0
    out += rng.uniform(-o.channel_shift, o.channel_shift, size=3)
    return np.clip(out, 0, 255).astype(np.uint8)


def _alter_sharpness(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Downscale-upscale (a swap's lower-resolution face) or sharpen (its post-filter)."""
    height, width = rgb.shape[:2]
    if rng.random() < 0.5:
        factor = rng.uniform(0.35, 0.8)
        small = cv2.resize(
            rgb,
            (max(int(width * factor), 8), max(int(height * factor), 8)),
            interpolation=cv2.INTER_AREA,
        )
        return cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)
    blurred = cv2.GaussianBlur(rgb, (0, 0), 1.0 + rng.random())
    amount = rng.uniform(0.3, 1.0)
    return cv2.addWeighted(rgb, 1.0 + amount, blurred, -amount, 0)


def _shift_scale(
    rgb: np.ndarray, centre: np.ndarray, size: float, rng: np.random.Generator, o: SelfBlendOptions
) -> np.ndarray:
    scale = 1.0 + rng.uniform(-o.scale, o.scale)
    dx, dy = rng.uniform(-o.shift, o.shift, size=2) * size
    matrix = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), 0.0, scale)
    matrix[:, 2] += (dx, dy)
    return cv2.warpAffine(
        rgb, matrix, (rgb.shape[1], rgb.shape[0]), borderMode=cv2.BORDER_REFLECT101
    )


def _face_size(points: np.ndarray) -> float:
    """The mean of the landmarks' width and height, in pixels."""
    return float(np.ptp(points[:, 0]) + np.ptp(points[:, 1])) / 2.0


def _smooth_field(
    shape: tuple[int, int], fraction: float, size: float, rng: np.random.Generator
) -> np.ndarray:
    """(H, W, 2) float32 displacements of up to ``fraction`` of ``size``, smooth: a random
    3-5 square grid, upsampled."""
    grid = int(rng.integers(3, 6))
    field = rng.uniform(-fraction, fraction, size=(grid, grid, 2)).astype(np.float32) * size
    return cv2.resize(field, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC)


def _displace(image: np.ndarray, field: np.ndarray, **remap: int | float) -> np.ndarray:
    """``image`` sampled at every pixel plus ``field`` (bilinear; ``remap``: border)."""
    height, width = image.shape[:2]
    xs, ys = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    return cv2.remap(image, xs + field[..., 0], ys + field[..., 1], cv2.INTER_LINEAR, **remap)


def _blend_mask(
    hull: np.ndarray,
    landmarks: np.ndarray,
    size: float,
    rng: np.random.Generator,
    o: SelfBlendOptions,
) -> np.ndarray:
    """A deformed, eroded and feathered mask that stays inside ``hull``."""
    height, width = hull.shape
    # Deform: a random smooth displacement field applied to the hull.
    field = _smooth_field((height, width), o.deform, size, rng)
    mask = _displace(hull.astype(np.float32), field, borderValue=0.0)
    mask = (mask > 0.5).astype(np.uint8)
    # Sometimes only the inner face (brows, eyes, nose, mouth), as many swappers paste.
    if rng.random() < 0.3:
        inner = hull_mask((height, width), landmarks[17:])
        mask = mask & inner
    sigma = max(rng.uniform(0.01, o.max_feather) * size, 0.5)
    # Erode by the feather's reach first, so the feathered edge still ends inside the hull.
    reach = int(np.ceil(2.0 * sigma))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * reach + 1, 2 * reach + 1))
    core = cv2.erode(mask, kernel)
    if core.sum() < 0.1 * max(mask.sum(), 1):  # a tiny face: feather less
        core, sigma = cv2.erode(mask, np.ones((3, 3), np.uint8)), 0.5
    soft = cv2.GaussianBlur(core.astype(np.float32), (0, 0), sigma)
    return (soft * hull).astype(np.float32)


def _check_face(face_rgb: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    if face_rgb.ndim != 3 or face_rgb.shape[2] != 3 or face_rgb.dtype != np.uint8:
        raise ValueError("face_rgb must be (H, W, 3) uint8 RGB")
    points = np.asarray(landmarks, dtype=np.float32).reshape(-1, 2)
    if points.shape[0] != 68:
        raise ValueError(f"landmarks must be (68, 2); got {landmarks.shape}")
    return points


def _paste(
    face_rgb: np.ndarray,
    points: np.ndarray,
    source: np.ndarray,
    rng: np.random.Generator,
    o: SelfBlendOptions,
) -> tuple[np.ndarray, np.ndarray]:
    """``source`` (aligned with ``face_rgb``) altered and blended in through a random mask
    inside the face's landmark hull; the blended face and the mask."""
    hull = hull_mask(face_rgb.shape[:2], points)
    if hull.sum() == 0:
        raise ValueError("the landmarks' hull lies outside the face image")
    size = _face_size(points)
    if rng.random() < 0.8:
        source = _alter_colour(source, rng, o)
    if rng.random() < 0.7:
        source = _alter_sharpness(source, rng)
    source = _shift_scale(source, points.mean(axis=0), size, rng, o)
    mask = _blend_mask(hull, points, size, rng, o) * float(rng.choice(o.blend_ratios))
    alpha = mask[..., None]
    blended = source.astype(np.float32) * alpha + face_rgb.astype(np.float32) * (1.0 - alpha)
    blended = np.where(alpha > 0, np.clip(np.round(blended), 0, 255), face_rgb)
    return blended.astype(np.uint8), mask


def self_blend(
    face_rgb: np.ndarray,
    landmarks: np.ndarray,
    rng: np.random.Generator,
    options: SelfBlendOptions | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """One self-blended fake of ``face_rgb`` and its blend mask (see the module docstring)."""
    points = _check_face(face_rgb, landmarks)
    return _paste(face_rgb, points, face_rgb.copy(), rng, options or SelfBlendOptions())


def _match_colour(source: np.ndarray, target: np.ndarray, region: np.ndarray) -> np.ndarray:
    """``source`` with the Lab mean and spread of ``target`` inside ``region``, as face
    swappers colour-correct the pasted face (Reinhard et al., 2001)."""
    src = cv2.cvtColor(source, cv2.COLOR_RGB2LAB).astype(np.float32)
    dst = cv2.cvtColor(target, cv2.COLOR_RGB2LAB).astype(np.float32)
    inside = region > 0
    s_mean, s_std = src[inside].mean(axis=0), src[inside].std(axis=0) + 1e-3
    d_mean, d_std = dst[inside].mean(axis=0), dst[inside].std(axis=0)
    out = (src - s_mean) / s_std * d_std + d_mean
    return cv2.cvtColor(np.clip(out, 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB)


def cross_blend(
    face_rgb: np.ndarray,
    landmarks: np.ndarray,
    donor_rgb: np.ndarray,
    donor_landmarks: np.ndarray,
    rng: np.random.Generator,
    options: SelfBlendOptions | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """A fake of ``face_rgb`` with another person's face (``donor_rgb``) blended in, as
    Face X-ray's blended images are: the donor is aligned on the landmarks, usually
    colour-matched, then altered and blended like a self-blend. Unlike a self-blend it
    also changes who the inner face is, as a face swap does."""
    points = _check_face(face_rgb, landmarks)
    donor_points = _check_face(donor_rgb, donor_landmarks)
    matrix, _inliers = cv2.estimateAffinePartial2D(donor_points, points)
    if matrix is None:
        raise ValueError("the donor's landmarks cannot be aligned with the face's")
    height, width = face_rgb.shape[:2]
    source = cv2.warpAffine(donor_rgb, matrix, (width, height), borderMode=cv2.BORDER_REFLECT101)
    if rng.random() < 0.7:
        source = _match_colour(source, face_rgb, hull_mask((height, width), points))
    return _paste(face_rgb, points, source, rng, options or SelfBlendOptions())


def warp_blend(
    face_rgb: np.ndarray,
    landmarks: np.ndarray,
    rng: np.random.Generator,
    options: SelfBlendOptions | None = None,
    warp: float = 0.04,
) -> tuple[np.ndarray, np.ndarray]:
    """A fake of ``face_rgb`` whose inner face is its own copy bent by a smooth random
    field (up to ``warp`` of the face size) and re-rendered at 1/2 to 1/4 of the
    resolution, then blended like a self-blend. Reenactment and talking-head generators
    warp a face and render it that way; a self-blend only shifts and scales its copy."""
    points = _check_face(face_rgb, landmarks)
    height, width = face_rgb.shape[:2]
    field = _smooth_field((height, width), warp, _face_size(points), rng)
    source = _displace(face_rgb, field, borderMode=cv2.BORDER_REFLECT101)
    factor = float(rng.uniform(2.0, 4.0))
    small = (max(int(width / factor), 8), max(int(height / factor), 8))
    source = cv2.resize(
        cv2.resize(source, small, interpolation=cv2.INTER_AREA),
        (width, height),
        interpolation=cv2.INTER_CUBIC if rng.random() < 0.5 else cv2.INTER_LINEAR,
    )
    return _paste(face_rgb, points, source, rng, options or SelfBlendOptions())


def landmark_donors(
    landmarks: np.ndarray, groups: np.ndarray, indices: np.ndarray, k: int = 8
) -> np.ndarray:
    """For every face, the ``k`` faces among ``indices`` of other people whose landmarks,
    centred and scaled, lie nearest (Face X-ray's donor choice: a similar pose keeps the
    aligned donor's face whole); ``-1`` where fewer exist. Shape (len(landmarks), k)."""
    points = np.asarray(landmarks, np.float64).reshape(len(landmarks), -1, 2)
    centred = points - points.mean(axis=1, keepdims=True)
    shapes = centred / np.linalg.norm(centred, axis=(1, 2), keepdims=True).clip(1e-6)
    flat = shapes.reshape(len(shapes), -1)
    pool = np.asarray(indices)
    # Unit-norm shapes: squared distance is 2 - 2 * dot product, without an N x N x 136 array.
    distance = 2.0 - 2.0 * flat @ flat[pool].T
    distance[np.asarray(groups)[:, None] == np.asarray(groups)[pool][None, :]] = np.inf
    nearest = np.argsort(distance, axis=1, kind="stable")[:, :k]
    donors = pool[nearest]
    donors[np.take_along_axis(distance, nearest, axis=1) == np.inf] = -1
    return donors
