"""Training-batch augmentation on the training device, seeded by a numpy Generator.

The model's input is a *randomly warped* face and its target the same face without the
warp (faceswap's and DeepFaceLab's "random warp"): a 5x5 grid of control points is
jittered, the offsets are upsampled (bicubic) to a dense displacement field, and the
input is resampled through it, so the autoencoder must learn faces rather than copy
pixels. Both input and target share a random similarity transform (rotation, zoom,
shift, horizontal flip) and a colour change (brightness, contrast, and faceswap's LAB
jitter), so the decoders see more poses and lighting than the faceset has.

Only the random *numbers* come from the numpy Generator (a few hundred per batch); the
pixels are resampled by one ``grid_sample`` per batch on the device, so building a
batch costs about as much as one small layer of the model and the GPU is never starved
by a Python loop over faces. Extra channels stacked after RGB (the face mask and the
eye/mouth mask used by the losses) follow the geometry but not the colour change.

The centre ``coverage`` fraction of each stored crop becomes the model's input: the
stored crop is larger than the model input, so shifted or rotated faces show real
surroundings rather than black borders.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812 - the torch convention

from deepreview_workers.pipeline.options.swap import AugmentOptions

# sRGB (D65) <-> CIE XYZ, as in the sRGB standard and OpenCV's cvtColor.
_RGB_TO_XYZ = torch.tensor(
    [[0.412453, 0.357580, 0.180423], [0.212671, 0.715160, 0.072169], [0.019334, 0.119193, 0.950227]]
)
_WHITE_D65 = torch.tensor([0.950456, 1.0, 1.088754])
_LAB_EPSILON = 0.008856


NO_AUGMENTATION = AugmentOptions(
    rotation_degrees=0.0,
    zoom=0.0,
    shift=0.0,
    flip_probability=0.0,
    warp=False,
    brightness=0.0,
    contrast=0.0,
    lab_lightness=0.0,
    lab_ab=0.0,
)


@dataclass(frozen=True)
class AugmentParams:
    """The random draws for one batch of ``n`` faces (all numpy float32 / bool)."""

    angle: np.ndarray  # (n,) radians
    scale: np.ndarray  # (n,) zoom factor, > 1 enlarges the face
    shift: np.ndarray  # (n, 2) normalised units ([-1, 1] spans the image)
    flip: np.ndarray  # (n,) bool
    warp: np.ndarray | None  # (n, 2, 5, 5) normalised offsets, or None
    brightness: np.ndarray  # (n,)
    contrast: np.ndarray  # (n,)
    lab: np.ndarray  # (n, 3) faceswap LAB adjustments in [-1, 1]


def sample_params(rng: np.random.Generator, n: int, options: AugmentOptions) -> AugmentParams:
    """Draw one batch's random changes. Same generator state, same batch."""

    def uniform(limit: float, shape: tuple[int, ...] = ()) -> np.ndarray:
        return rng.uniform(-limit, limit, size=(n, *shape)).astype(np.float32)

    warp = None
    if options.warp and options.warp_std > 0:
        warp = (rng.standard_normal((n, 2, 5, 5)) * options.warp_std * 2).astype(np.float32)
    lab_limits = np.array([options.lab_lightness, options.lab_ab, options.lab_ab], np.float32)
    return AugmentParams(
        angle=np.radians(uniform(options.rotation_degrees)),
        scale=1.0 + uniform(options.zoom),
        shift=uniform(options.shift, (2,)) * 2,
        flip=rng.random(n) < options.flip_probability,
        warp=warp,
        brightness=uniform(options.brightness),
        contrast=uniform(options.contrast),
        lab=uniform(1.0, (3,)) * lab_limits,
    )


def identity_params(n: int) -> AugmentParams:
    """No change at all: the centre crop only (previews, evaluation)."""
    zeros = np.zeros(n, np.float32)
    return AugmentParams(
        angle=zeros,
        scale=zeros + 1,
        shift=np.zeros((n, 2), np.float32),
        flip=np.zeros(n, bool),
        warp=None,
        brightness=zeros,
        contrast=zeros,
        lab=np.zeros((n, 3), np.float32),
    )


def _affine_theta(params: AugmentParams, coverage: float, device: torch.device) -> torch.Tensor:
    """(n, 2, 3) output->source maps in normalised coordinates for ``F.affine_grid``."""
    cos = np.cos(params.angle) * coverage / params.scale
    sin = np.sin(params.angle) * coverage / params.scale
    mirror = np.where(params.flip, -1.0, 1.0).astype(np.float32)
    theta = np.empty((len(cos), 2, 3), np.float32)
    theta[:, 0, 0], theta[:, 0, 1], theta[:, 0, 2] = cos * mirror, -sin, params.shift[:, 0]
    theta[:, 1, 0], theta[:, 1, 1], theta[:, 1, 2] = sin * mirror, cos, params.shift[:, 1]
    return torch.from_numpy(theta).to(device)


def rgb_to_lab(rgb: torch.Tensor) -> torch.Tensor:
    """(N, 3, H, W) sRGB in [0, 1] -> CIE L*a*b* (L 0..100, a/b about -128..127)."""
    linear = torch.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    matrix = _RGB_TO_XYZ.to(rgb)
    xyz = torch.einsum("ij,njhw->nihw", matrix, linear) / _WHITE_D65.to(rgb).view(1, 3, 1, 1)
    f = torch.where(xyz > _LAB_EPSILON, xyz.clamp_min(1e-12) ** (1 / 3), 7.787 * xyz + 16 / 116)
    fx, fy, fz = f[:, 0], f[:, 1], f[:, 2]
    return torch.stack([116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)], dim=1)


def lab_to_rgb(lab: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`rgb_to_lab`, clipped to [0, 1]."""
    fy = (lab[:, 0] + 16) / 116
    f = torch.stack([fy + lab[:, 1] / 500, fy, fy - lab[:, 2] / 200], dim=1)
    threshold = 6 / 29
    xyz = torch.where(f > threshold, f**3, (f - 16 / 116) / 7.787)
    xyz = xyz * _WHITE_D65.to(lab).view(1, 3, 1, 1)
    linear = torch.einsum("ij,njhw->nihw", torch.linalg.inv(_RGB_TO_XYZ).to(lab), xyz)
    linear = linear.clamp(0.0, 1.0)
    rgb = torch.where(linear <= 0.0031308, linear * 12.92, 1.055 * linear ** (1 / 2.4) - 0.055)
    return rgb.clamp(0.0, 1.0)


def _colour(rgb: torch.Tensor, params: AugmentParams) -> torch.Tensor:
    device = rgb.device

    def per_face(values: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(values).to(device).view(-1, *([1] * (rgb.dim() - 1)))

    if np.any(params.lab):
        # faceswap's random_lab on 8-bit-style LAB: move each channel towards its top
        # (positive draw) or bottom (negative draw) by the drawn fraction.
        lab = rgb_to_lab(rgb)
        scaled = torch.stack(
            [lab[:, 0] / 100, (lab[:, 1] + 128) / 255, (lab[:, 2] + 128) / 255], dim=1
        )
        adjust = torch.from_numpy(params.lab).to(device).view(-1, 3, 1, 1)
        scaled = torch.where(adjust >= 0, scaled + (1 - scaled) * adjust, scaled * (1 + adjust))
        lab = torch.stack(
            [scaled[:, 0] * 100, scaled[:, 1] * 255 - 128, scaled[:, 2] * 255 - 128], dim=1
        )
        rgb = lab_to_rgb(lab)
    if np.any(params.contrast):
        mean = rgb.mean(dim=(1, 2, 3), keepdim=True)
        rgb = (rgb - mean) * (1 + per_face(params.contrast)) + mean
    if np.any(params.brightness):
        rgb = rgb + per_face(params.brightness)
    return rgb.clamp(0.0, 1.0)


@dataclass(frozen=True)
class AugmentedBatch:
    """``inputs``: (n, 3, S, S) warped faces; ``targets``: (n, C, S, S) unwarped faces with
    the extra channels (masks) after RGB. Float32 in [0, 1] on the stack's device."""

    inputs: torch.Tensor
    targets: torch.Tensor


def augment_batch(
    stack: torch.Tensor, params: AugmentParams, out_size: int, coverage: float = 1.0
) -> AugmentedBatch:
    """Resample a batch of stored crops into warped inputs and clean targets.

    ``stack``: (n, C, W, W) float in [0, 1] on the training device, RGB first (C >= 3).
    ``coverage``: the centre fraction of each crop that fills the ``out_size`` output.
    """
    n, channels = stack.shape[:2]
    if channels < 3:
        raise ValueError(f"stack needs RGB first, got {channels} channels")
    rgb = _colour(stack[:, :3], params)
    stack = torch.cat([rgb, stack[:, 3:]], dim=1) if channels > 3 else rgb
    theta = _affine_theta(params, coverage, stack.device)
    grid = F.affine_grid(theta, [n, channels, out_size, out_size], align_corners=False)
    targets = F.grid_sample(
        stack, grid, mode="bilinear", padding_mode="border", align_corners=False
    )
    if params.warp is None:
        return AugmentedBatch(targets[:, :3], targets)
    # The warp offsets are in output-normalised units; scale them like the face so the
    # same setting warps a zoomed-out face as much as a zoomed-in one.
    offsets = torch.from_numpy(params.warp).to(stack.device)
    field = F.interpolate(offsets, size=(out_size, out_size), mode="bicubic", align_corners=True)
    face_scale = torch.from_numpy(coverage / params.scale).to(stack.device).view(n, 1, 1, 1)
    warped_grid = grid + (field * face_scale).permute(0, 2, 3, 1)
    inputs = F.grid_sample(
        rgb, warped_grid, mode="bilinear", padding_mode="border", align_corners=False
    )
    return AugmentedBatch(inputs, targets)


def to_stack(pixels: np.ndarray | torch.Tensor, device: torch.device) -> torch.Tensor:
    """(n, W, W, C) uint8 from the faceset -> (n, C, W, W) float [0, 1] on ``device``.

    The uint8 batch crosses to the GPU (4x fewer bytes than float) and is converted there.
    """
    tensor = torch.as_tensor(pixels)
    if device.type == "cuda":
        tensor = tensor.pin_memory().to(device, non_blocking=True)
    else:
        tensor = tensor.to(device)
    return tensor.permute(0, 3, 1, 2).float().div_(255.0)


__all__ = [
    "NO_AUGMENTATION",
    "AugmentOptions",
    "AugmentParams",
    "AugmentedBatch",
    "augment_batch",
    "identity_params",
    "lab_to_rgb",
    "rgb_to_lab",
    "sample_params",
    "to_stack",
]
