"""What a foreign face reader returns, and the checks both readers share."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from deepreview_workers.pipeline.foreign_faces.containers import ForeignFaceError
from deepreview_workers.pipeline.types import Box

FACESWAP = "faceswap"
DEEPFACELAB = "deepfacelab"
FORMATS = (FACESWAP, DEEPFACELAB)


@dataclass(frozen=True, eq=False)
class ForeignFace:
    """One aligned face made by another tool, as its file says.

    ``crop_rgb``: (N, N, 3) uint8, the tool's aligned crop. ``landmarks68``: (68, 2)
    float64 source-frame pixels (iBUG order). ``matrix``: (2, 3) float64 source-frame ->
    ``crop_rgb`` pixels, or None when the file does not give it (the importer estimates
    it); ``matrix_source`` says where it came from.
    """

    name: str  # the file's name in the faceset
    tool: str  # FACESWAP | DEEPFACELAB
    crop_rgb: np.ndarray
    landmarks68: np.ndarray
    matrix: np.ndarray | None
    matrix_source: str
    source_filename: str  # the frame the face was cut from, as the tool named it
    face_index: int
    box: Box | None  # source-frame pixels, when the file gives one
    frame_size: tuple[int, int] | None  # (width, height), when the file gives it
    metadata: Mapping[str, Any] = field(default_factory=dict)  # as decoded, for checks


def points(value: Any, shape: tuple[int, ...], what: str) -> np.ndarray:
    """``value`` as a finite float64 array of ``shape``; ``bad_metadata`` otherwise."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ForeignFaceError("bad_metadata", f"{what} is not numbers") from None
    if array.shape != shape:
        raise ForeignFaceError("bad_metadata", f"{what} has shape {array.shape}, not {shape}")
    if not np.isfinite(array).all():
        raise ForeignFaceError("bad_metadata", f"{what} holds a non-finite number")
    return array


def box_from(x0: Any, y0: Any, x1: Any, y1: Any) -> Box | None:
    try:
        box = tuple(float(v) for v in (x0, y0, x1, y1))
    except (TypeError, ValueError):
        return None
    if not all(np.isfinite(box)) or box[2] <= box[0] or box[3] <= box[1]:
        return None
    return box
