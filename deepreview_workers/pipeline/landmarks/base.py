"""The landmarker plugin kind: what a landmarker promises, and its registry."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from deepreview_workers.pipeline.registry import Registry
from deepreview_workers.pipeline.types import Box


class Landmarker(Protocol):
    """Places 68 iBUG 300-W points on each detected face.

    ``predict(frame_rgb, boxes)``: an (H, W, 3) uint8 RGB frame and N detector boxes
    ``(x0, y0, x1, y1)`` give an (N, 68, 2) float32 array of source-frame pixels.
    """

    name: str

    def predict(self, frame_rgb: np.ndarray, boxes: list[Box]) -> np.ndarray: ...


landmarkers: Registry[Landmarker] = Registry("landmarker")
