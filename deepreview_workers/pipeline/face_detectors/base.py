"""The detector plugin kind: what a detector promises, and its registry."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from deepreview_workers.pipeline.registry import Registry
from deepreview_workers.pipeline.types import FaceDetection

DROP_REASONS = ("low_confidence", "too_small")


class Detector(Protocol):
    """Finds faces in RGB frames.

    ``detect_batch(frames_rgb)``: a list of (H, W, 3) uint8 RGB frames (sizes may differ)
    gives, per frame and in the same order, its kept detections, boxes ``(x0, y0, x1, y1)``
    in that frame's pixels. ``last_dropped`` counts what the last call discarded, by
    reason (see ``DROP_REASONS``).
    """

    name: str
    last_dropped: dict[str, int]

    def detect_batch(self, frames_rgb: list[np.ndarray]) -> list[list[FaceDetection]]: ...


detectors: Registry[Detector] = Registry("detector")


def check_frame_rgb(frame_rgb: np.ndarray, *, index: int = 0) -> None:
    """Raise ``ValueError`` unless ``frame_rgb`` is an (H, W, 3) uint8 array."""
    if not isinstance(frame_rgb, np.ndarray) or frame_rgb.ndim != 3 or frame_rgb.shape[2] != 3:
        shape = getattr(frame_rgb, "shape", type(frame_rgb).__name__)
        raise ValueError(f"frame {index} must be an (H, W, 3) RGB array, got {shape}")
    if frame_rgb.dtype != np.uint8:
        raise ValueError(f"frame {index} must be uint8, got {frame_rgb.dtype}")
