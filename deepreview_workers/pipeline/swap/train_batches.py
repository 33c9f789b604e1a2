"""Training data of a face-swap model: faceset checks, face geometry and batch sampling."""

from __future__ import annotations

import math
from dataclasses import astuple

import numpy as np
import torch

from deepreview_workers.pipeline.masks import maskers
from deepreview_workers.pipeline.options.swap import TrainOptions
from deepreview_workers.pipeline.swap.augment import to_stack
from deepreview_workers.pipeline.swap.errors import SwapInputError
from deepreview_workers.pipeline.swap.faceset import Faceset
from deepreview_workers.pipeline.swap.losses import eye_mouth_mask
from deepreview_workers.pipeline.swap.models import FaceGeometry, arch_class

# Keep the whole faceset on the GPU below this size: no per-batch host->device copies.
GPU_RESIDENT_BYTES = 2 << 30
# How far the two facesets' mean-face framing may differ and still train together.
GEOMETRY_TOLERANCE = 0.02


def faceset_size(options: TrainOptions) -> int:
    """Crop side to load facesets at: the model input is the centre ``coverage`` of it."""
    return math.ceil(arch_class(options.arch).size / options.coverage)


class TrainingSide:
    """One identity's training pixels: (N, W, W, 5) uint8 = RGB, face mask, eye/mouth mask;
    batches are drawn as an epoch-wise shuffle."""

    def __init__(self, faceset: Faceset, size: int, mask_type: str, device: torch.device) -> None:
        faceset = faceset.resized(size)
        masker = maskers.create(mask_type)
        face = np.stack([masker.make(points, size) for points in faceset.landmarks])
        features = np.stack([eye_mouth_mask(points, size) for points in faceset.landmarks])
        pixels = np.concatenate([faceset.images, face[..., None], features[..., None]], axis=-1)
        self.count = len(pixels)
        self.device = device
        self.pixels = torch.from_numpy(np.ascontiguousarray(pixels))
        if device.type == "cuda" and self.pixels.nbytes <= GPU_RESIDENT_BYTES:
            self.pixels = self.pixels.to(device)
        self.order = np.zeros(0, np.int64)
        self.position = 0

    def take(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """The next ``n`` indices of an epoch-wise shuffle (reshuffled when used up)."""
        picked: list[np.ndarray] = []
        while n > 0:
            if self.position >= len(self.order):
                self.order = rng.permutation(self.count)
                self.position = 0
            chunk = self.order[self.position : self.position + n]
            self.position += len(chunk)
            n -= len(chunk)
            picked.append(chunk)
        return np.concatenate(picked)

    def stack(self, indices: np.ndarray) -> torch.Tensor:
        """(n, 5, W, W) float in [0, 1] on the training device."""
        index = torch.from_numpy(indices)
        if self.pixels.device.type == "cuda":
            return self.pixels[index.to(self.device)].permute(0, 3, 1, 2).float().div_(255.0)
        return to_stack(self.pixels[index], self.device)


def check_faceset(side: str, faceset: Faceset, minimum: int) -> None:
    """``SwapInputError`` unless ``faceset`` holds at least ``minimum`` faces."""
    name = f"faceset {side.upper()}" + (f" ({faceset.label})" if faceset.label else "")
    if len(faceset) < minimum:
        found = "no faces" if not len(faceset) else f"only {len(faceset)} face(s)"
        raise SwapInputError(
            f"{name} has {found}; training needs at least {minimum} faces per identity "
            "(extract more frames or add more media)"
        )


def model_geometry(faceset_a: Faceset, faceset_b: Faceset, coverage: float) -> FaceGeometry:
    """Where the mean face sits in the model input: the crops' geometry over ``coverage``."""
    geometry_a, geometry_b = faceset_a.geometry(), faceset_b.geometry()
    both = np.array([astuple(geometry_a), astuple(geometry_b)])
    if np.abs(both[0] - both[1]).max() > GEOMETRY_TOLERANCE:
        raise SwapInputError(
            "facesets A and B were aligned with different framing (mean-face coverage "
            f"{geometry_a.coverage:.3f} vs {geometry_b.coverage:.3f}); extract both with "
            "the same crop settings"
        )
    face_coverage, x_offset, y_offset = both.mean(axis=0)
    if face_coverage / coverage > 1.0 + 1e-6:
        raise SwapInputError(
            f"coverage {coverage} would cut into the face (the faces span "
            f"{face_coverage:.3f} of their crops); use a coverage of at least "
            f"{math.ceil(face_coverage * 1000) / 1000}"
        )
    # The centre crop keeps the centre fixed, so every fraction grows by 1 / coverage.
    return FaceGeometry(
        float(face_coverage / coverage), float(x_offset / coverage), float(y_offset / coverage)
    )
