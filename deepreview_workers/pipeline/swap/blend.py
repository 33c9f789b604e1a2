"""Putting a swapped face back into its frame: mask, colour transfer, sharpening, blending.

Everything here works on one face's region of interest (ROI) of the frame, in frame
pixels, so cost follows the face size, not the video size. Colour transfers are
plugins (``color_transfers.create(name)``); every function takes float32 RGB in [0, 1].

The blend weight (``alpha``) is a uint8 map: 0 means the frame pixel is left exactly as
it was, so ``alpha > 0`` *is* the changed-pixel ground truth that conversion records.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from deepreview_workers.pipeline.align import transform_points, warp_back
from deepreview_workers.pipeline.masks import erode_dilate, extend_eyebrows, feather, maskers
from deepreview_workers.pipeline.options.swap import CONVERT_MASKS
from deepreview_workers.pipeline.registry import Registry

ColourTransfer = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
color_transfers: Registry[ColourTransfer] = Registry("colour transfer")
MASK_TYPES = CONVERT_MASKS


def scale_matrix(matrix: np.ndarray, factor: float) -> np.ndarray:
    """The frame->crop matrix for the same crop rendered ``factor`` times larger.

    Pixel-index coordinates (centre of pixel i at i) scale about the image corner
    -0.5, as ``cv2.resize`` does, so a crop resized by ``factor`` lines up exactly.
    """
    scaled = np.asarray(matrix, dtype=np.float64)[:2] * factor
    scaled[:, 2] += 0.5 * (factor - 1.0)
    return scaled


def zoom_about_centre(matrix: np.ndarray, size: int, face_scale: float) -> np.ndarray:
    """Frame->crop matrix under which the crop's content appears ``face_scale`` times
    larger in the frame (about the crop centre): shrinks or grows the pasted face."""
    centre = (size - 1) / 2.0
    zoom = np.array(
        [
            [1 / face_scale, 0, centre * (1 - 1 / face_scale)],
            [0, 1 / face_scale, centre * (1 - 1 / face_scale)],
            [0, 0, 1],
        ]
    )
    full = np.vstack([np.asarray(matrix, dtype=np.float64)[:2], [0, 0, 1]])
    return (zoom @ full)[:2]


def crop_scale(matrix: np.ndarray) -> float:
    """Crop pixels per frame pixel of a frame->crop matrix."""
    return float(np.sqrt(abs(np.linalg.det(np.asarray(matrix)[:2, :2]))))


def ellipse_mask(landmarks68_aligned: np.ndarray, size: int) -> np.ndarray:
    """(size, size) uint8 0/255: the ellipse fitted to the face outline, brows raised."""
    points = extend_eyebrows(landmarks68_aligned)
    hull = cv2.convexHull(points.astype(np.float32))
    mask = np.zeros((size, size), np.uint8)
    if len(hull) >= 5:
        cv2.ellipse(mask, cv2.fitEllipse(hull), 255, thickness=-1)
    return mask


def crop_mask(
    kind: str, landmarks68_aligned: np.ndarray, size: int, learned: np.ndarray | None = None
) -> np.ndarray:
    """(size, size) uint8 face mask of ``kind`` in crop pixels (see ``MASK_TYPES``).

    ``learned``: the model's mask output (any square size, float in [0, 1]).
    """
    if kind == "learned":
        if learned is None:
            raise ValueError("the learned mask needs a model with a mask output")
        learned = learned.astype(np.float32)
        resized = cv2.resize(learned, (size, size), interpolation=cv2.INTER_LINEAR)
        return np.clip(resized * 255 + 0.5, 0, 255).astype(np.uint8)
    if kind == "ellipse":
        return ellipse_mask(landmarks68_aligned, size)
    return maskers.create(kind).make(landmarks68_aligned, size)


@color_transfers.register("none")
def no_transfer(face: np.ndarray, frame: np.ndarray, region: np.ndarray) -> np.ndarray:
    return face


@color_transfers.register("avg-color")
def average_colour(face: np.ndarray, frame: np.ndarray, region: np.ndarray) -> np.ndarray:
    """Shift each channel so the face's mean in ``region`` equals the frame's."""
    shift = frame[region].mean(axis=0) - face[region].mean(axis=0)
    return np.clip(face + shift, 0.0, 1.0)


@color_transfers.register("reinhard")
def reinhard(face: np.ndarray, frame: np.ndarray, region: np.ndarray) -> np.ndarray:
    """Reinhard et al. 2001: match mean and standard deviation per L*a*b* channel."""
    face_lab = cv2.cvtColor(face, cv2.COLOR_RGB2LAB)
    frame_lab = cv2.cvtColor(frame, cv2.COLOR_RGB2LAB)
    src, dst = face_lab[region], frame_lab[region]
    scale = dst.std(axis=0) / np.maximum(src.std(axis=0), 1e-6)
    moved = (face_lab - src.mean(axis=0)) * scale + dst.mean(axis=0)
    return np.clip(cv2.cvtColor(moved.astype(np.float32), cv2.COLOR_LAB2RGB), 0.0, 1.0)


@color_transfers.register("hist-match")
def histogram_match(face: np.ndarray, frame: np.ndarray, region: np.ndarray) -> np.ndarray:
    """Map each channel through the frame's CDF so the face's histogram in ``region``
    matches the frame's (256 bins per channel)."""
    face_q = np.clip(face * 255 + 0.5, 0, 255).astype(np.uint8)
    frame_q = np.clip(frame * 255 + 0.5, 0, 255).astype(np.uint8)
    out = np.empty_like(face)
    levels = np.arange(256, dtype=np.float64)
    for c in range(3):
        src_cdf = np.cumsum(np.bincount(face_q[..., c][region], minlength=256)).astype(np.float64)
        dst_cdf = np.cumsum(np.bincount(frame_q[..., c][region], minlength=256)).astype(np.float64)
        src_cdf /= src_cdf[-1]
        dst_cdf /= dst_cdf[-1]
        lut = np.interp(src_cdf, dst_cdf, levels) / 255.0
        out[..., c] = lut[face_q[..., c]]
    return out.astype(np.float32)


def sharpen(face: np.ndarray, amount: float, sigma: float) -> np.ndarray:
    """Unsharp mask: ``face + amount * (face - blur(face))``; ``amount`` 0 is a no-op."""
    if amount <= 0:
        return face
    blurred = cv2.GaussianBlur(face, (0, 0), sigmaX=max(sigma, 0.5))
    return np.clip(face + amount * (face - blurred), 0.0, 1.0)


def seamless(face: np.ndarray, frame: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Poisson blending (``cv2.seamlessClone``, normal clone) of ``face`` into ``frame``
    inside ``mask`` (uint8, > 0 = inside); arrays of one ROI size. Returns float [0, 1]."""
    binary = np.where(mask > 0, 255, 0).astype(np.uint8)
    if not binary.any():
        return face
    # OpenCV refuses a mask touching the image border: work on a padded copy.
    pad = 2
    src = cv2.copyMakeBorder(_to_u8(face), pad, pad, pad, pad, cv2.BORDER_REFLECT)
    dst = cv2.copyMakeBorder(_to_u8(frame), pad, pad, pad, pad, cv2.BORDER_REFLECT)
    binary = cv2.copyMakeBorder(binary, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    binary[: pad + 1], binary[-pad - 1 :], binary[:, : pad + 1], binary[:, -pad - 1 :] = 0, 0, 0, 0
    x, y, w, h = cv2.boundingRect(binary)
    if w == 0 or h == 0:
        return face
    centre = (x + w // 2, y + h // 2)  # where the mask's bounding box centre lands
    cloned = cv2.seamlessClone(src, dst, binary, centre, cv2.NORMAL_CLONE)
    return cloned[pad:-pad, pad:-pad].astype(np.float32) / 255.0


def _to_u8(image: np.ndarray) -> np.ndarray:
    return np.clip(image * 255 + 0.5, 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class BlendSettings:
    """The blending part of the conversion options (frame pixels unless said otherwise)."""

    mask: str = "extended"
    erode_dilate_px: int = 0  # > 0 grows the mask, < 0 shrinks it
    feather_px: float = 8.0
    color_transfer: str = "avg-color"
    seamless_clone: bool = False
    sharpen: float = 0.0  # unsharp-mask amount; 0.5 is a moderate sharpening
    face_scale: float = 1.0


@dataclass(frozen=True)
class Blended:
    """``frame``: the result (H, W, 3) uint8; ``alpha``: blend weight over ``box``
    (x0, y0, x1, y1, ends exclusive) as uint8, 0 = untouched; ``box`` None = nothing pasted."""

    frame: np.ndarray
    alpha: np.ndarray | None
    box: tuple[int, int, int, int] | None

    def full_mask(self) -> np.ndarray:
        """(H, W) uint8 blend weight over the whole frame."""
        mask = np.zeros(self.frame.shape[:2], np.uint8)
        if self.box is not None and self.alpha is not None:
            x0, y0, x1, y1 = self.box
            mask[y0:y1, x0:x1] = self.alpha
        return mask


def paste_face(
    frame: np.ndarray,
    face: np.ndarray,
    matrix: np.ndarray,
    landmarks68: np.ndarray,
    settings: BlendSettings,
    learned_mask: np.ndarray | None = None,
) -> Blended:
    """Blend a swapped face crop into ``frame``.

    ``frame``: (H, W, 3) uint8 RGB (not modified). ``face``: (S, S, 3) float32 [0, 1], the
    model's output for the crop that ``matrix`` (frame -> S px crop) cut out.
    ``landmarks68``: the target face's 68 landmarks in frame pixels (for the mask).
    ``learned_mask``: the model's (S, S) mask output, for ``settings.mask == "learned"``.
    """
    height, width = frame.shape[:2]
    size = face.shape[0]
    # Render crop-space images at about the face's size in the frame: no resolution is
    # lost on big faces and masks are not blocky.
    render = int(np.clip(round(size / max(crop_scale(matrix), 1e-6)), size, 1024))
    to_render = scale_matrix(matrix, render / size)
    to_render = zoom_about_centre(to_render, render, settings.face_scale)

    corners = np.array(
        [[-0.5, -0.5], [render - 0.5, -0.5], [-0.5, render - 0.5], [render - 0.5, render - 0.5]]
    )
    inverse = cv2.invertAffineTransform(to_render)
    footprint = transform_points(corners, inverse)
    margin = 2 + abs(int(settings.erode_dilate_px)) + int(math.ceil(settings.feather_px))
    x0, y0 = np.floor(footprint.min(axis=0)).astype(int) - margin
    x1, y1 = np.ceil(footprint.max(axis=0)).astype(int) + margin + 1
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
    if x1 <= x0 or y1 <= y0:
        return Blended(frame, None, None)
    roi_matrix = to_render.copy()
    roi_matrix[:, 2] += roi_matrix[:, :2] @ np.array([x0, y0], dtype=np.float64)
    roi_shape = (y1 - y0, x1 - x0)

    landmarks_render = transform_points(landmarks68, scale_matrix(matrix, render / size))
    # Crop-space mask of the crop the model saw; warping it back with the (zoomed) ROI
    # matrix scales it together with the face.
    mask = crop_mask(settings.mask, landmarks_render, render, learned_mask)
    roi_mask = warp_back(mask, roi_matrix, roi_shape)
    roi_mask = erode_dilate(roi_mask, int(settings.erode_dilate_px))
    # Keep the feathered edge inside the pasted square: outside it there is no face.
    valid = warp_back(np.full((render, render), 255, np.uint8), roi_matrix, roi_shape)
    inner = erode_dilate(
        np.where(valid == 255, 255, 0).astype(np.uint8), -(int(math.ceil(settings.feather_px)) + 1)
    )
    alpha = feather(np.minimum(roi_mask, inner), settings.feather_px)
    if not alpha.any():
        return Blended(frame, None, None)

    big_face = cv2.resize(face, (render, render), interpolation=cv2.INTER_CUBIC)
    roi_face = np.clip(warp_back(big_face, roi_matrix, roi_shape), 0.0, 1.0)
    roi_frame = frame[y0:y1, x0:x1].astype(np.float32) / 255.0
    core = alpha >= 128
    if core.any():
        roi_face = color_transfers.get(settings.color_transfer)(roi_face, roi_frame, core)
    roi_face = sharpen(roi_face, settings.sharpen, sigma=render / size / 2)
    if settings.seamless_clone:
        roi_face = seamless(roi_face, roi_frame, alpha)
    weight = alpha.astype(np.float32)[..., None] / 255.0
    blended = roi_face * weight + roi_frame * (1.0 - weight)
    pasted = np.clip(blended * 255.0 + 0.5, 0, 255).astype(np.uint8)
    out = frame.copy()
    # Where alpha is 0 the frame stays bit-exact: the ground truth says "untouched".
    out[y0:y1, x0:x1] = np.where(weight > 0, pasted, frame[y0:y1, x0:x1])
    return Blended(out, alpha, (int(x0), int(y0), int(x1), int(y1)))
