"""Reconstruction losses for the swap autoencoder.

- mean absolute error (the classic deepfakes loss), optionally weighted per pixel;
- SSIM (Wang et al. 2004, 11x11 Gaussian window, sigma 1.5) written with a grouped
  ``conv2d`` so it runs wherever the model runs; the loss uses ``1 - SSIM``;
- mask weighting: pixels inside the landmark face mask count ``1 / background_weight``
  times more than the background, so capacity goes to the face, not to the wall;
- eye and mouth priority: the hulls of the eyes and the mouth (from the aligned
  landmarks, slightly dilated) count ``eye_mouth_weight`` times more, since people judge
  a face by its eyes and mouth first (DeepFaceLab's "eyes_mouth_prio").

Weights are normalised (a weighted *mean*), so switching a weighting on does not change
the loss scale and one learning rate suits every setting.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812 - the torch convention

from deepreview_workers.pipeline.masks import _fill_hulls
from deepreview_workers.pipeline.mean_face import EYE_IMAGE_LEFT, EYE_IMAGE_RIGHT, MOUTH_OUTER

_SSIM_C1 = 0.01**2
_SSIM_C2 = 0.03**2


def gaussian_window(size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    """(size, size) float32 Gaussian summing to 1."""
    if size < 1 or size % 2 == 0:
        raise ValueError(f"window size must be odd and positive, got {size}")
    coords = torch.arange(size, dtype=torch.float32) - size // 2
    g = torch.exp(-(coords**2) / (2 * sigma**2))
    g = g / g.sum()
    return torch.outer(g, g)


def ssim_map(
    x: torch.Tensor, y: torch.Tensor, *, window_size: int = 11, sigma: float = 1.5
) -> torch.Tensor:
    """Per-pixel SSIM of two (N, C, H, W) images in [0, 1], averaged over channels.

    Returns (N, 1, H, W): edges are reflect-padded so the map lines up with the images
    (and with a weight map of the same size).
    """
    if x.shape != y.shape:
        raise ValueError(f"ssim needs equal shapes, got {tuple(x.shape)} and {tuple(y.shape)}")
    channels = x.shape[1]
    window = gaussian_window(window_size, sigma).to(x)
    kernel = window.expand(channels, 1, window_size, window_size)
    pad = window_size // 2

    def blur(t: torch.Tensor) -> torch.Tensor:
        return F.conv2d(F.pad(t, [pad] * 4, mode="reflect"), kernel, groups=channels)

    mu_x, mu_y = blur(x), blur(y)
    sigma_x = blur(x * x) - mu_x**2
    sigma_y = blur(y * y) - mu_y**2
    sigma_xy = blur(x * y) - mu_x * mu_y
    numerator = (2 * mu_x * mu_y + _SSIM_C1) * (2 * sigma_xy + _SSIM_C2)
    denominator = (mu_x**2 + mu_y**2 + _SSIM_C1) * (sigma_x + sigma_y + _SSIM_C2)
    return (numerator / denominator).mean(dim=1, keepdim=True)


def ssim(x: torch.Tensor, y: torch.Tensor, **kwargs: float) -> torch.Tensor:
    """Mean SSIM (scalar tensor); 1 for identical images."""
    return ssim_map(x, y, **kwargs).mean()


def weighted_mean(values: torch.Tensor, weight: torch.Tensor | None) -> torch.Tensor:
    """Mean of (N, C, H, W) ``values`` with an (N, 1, H, W) weight (None = plain mean)."""
    if weight is None:
        return values.mean()
    weight = weight.expand_as(values)
    return (values * weight).sum() / weight.sum().clamp_min(1e-8)


def mae(
    pred: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None
) -> torch.Tensor:
    """(Weighted) mean absolute error."""
    return weighted_mean((pred - target).abs(), weight)


def eye_mouth_mask(landmarks68_aligned: np.ndarray, size: int, dilate_px: int = 0) -> np.ndarray:
    """(size, size) uint8 0/255: convex hulls of both eyes and the outer mouth.

    ``dilate_px`` defaults to about 3 % of ``size`` so eyelids and lip edges are inside.
    """
    points = np.asarray(landmarks68_aligned, dtype=np.float64)
    parts = [points[list(group)] for group in (EYE_IMAGE_LEFT, EYE_IMAGE_RIGHT, MOUTH_OUTER)]
    mask = _fill_hulls(parts, size)  # the same sub-pixel hull fill as the face masks
    radius = dilate_px or max(1, round(size * 0.03))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    return cv2.dilate(mask, kernel)


@dataclass(frozen=True)
class LossOptions:
    """How reconstruction error is measured (see the module docstring)."""

    ssim_weight: float = 0.0  # 0 = MAE only; the loss is MAE + w * (1 - SSIM)
    mask_loss: bool = True
    background_weight: float = 0.1  # relative weight of pixels outside the face mask
    eye_mouth_priority: bool = False
    eye_mouth_weight: float = 3.0
    learned_mask_weight: float = 1.0  # for models that predict a mask

    def __post_init__(self) -> None:
        if self.ssim_weight < 0 or not 0 <= self.background_weight <= 1:
            raise ValueError("ssim_weight must be >= 0 and background_weight in [0, 1]")
        if self.eye_mouth_weight < 1:
            raise ValueError("eye_mouth_weight must be >= 1")


def pixel_weights(
    face_mask: torch.Tensor, eye_mouth: torch.Tensor, options: LossOptions
) -> torch.Tensor | None:
    """(N, 1, H, W) loss weight from masks in [0, 1]; None when nothing is weighted."""
    weight = None
    if options.mask_loss:
        weight = options.background_weight + (1 - options.background_weight) * face_mask
    if options.eye_mouth_priority:
        base = torch.ones_like(eye_mouth) if weight is None else weight
        weight = base * (1 + (options.eye_mouth_weight - 1) * eye_mouth)
    return weight


def reconstruction_loss(
    pred: torch.Tensor,
    target: torch.Tensor,
    face_mask: torch.Tensor,
    eye_mouth: torch.Tensor,
    options: LossOptions,
    pred_mask: torch.Tensor | None = None,
) -> torch.Tensor:
    """Scalar loss of one decoder's output against its target.

    ``pred``, ``target``: (N, 3, S, S); ``face_mask``, ``eye_mouth``: (N, 1, S, S) in
    [0, 1]; ``pred_mask``: the decoder's mask output, trained towards ``face_mask``.
    Computed in float32 even under autocast (SSIM's variances cancel badly in fp16).
    """
    pred, target = pred.float(), target.float()
    weight = pixel_weights(face_mask.float(), eye_mouth.float(), options)
    loss = mae(pred, target, weight)
    if options.ssim_weight > 0:
        loss = loss + options.ssim_weight * (1 - weighted_mean(ssim_map(pred, target), weight))
    if pred_mask is not None and options.learned_mask_weight > 0:
        loss = loss + options.learned_mask_weight * mae(pred_mask.float(), face_mask.float())
    return loss
