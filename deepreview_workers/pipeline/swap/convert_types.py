"""Result types of face-swap conversion: one converted frame, one converted video."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

# Which face to swap: a track id from the alignments, or the largest face of each frame.
TrackSelection = int | Literal["largest"]


@dataclass(frozen=True)
class FrameConversion:
    """``rgb``: the converted frame; ``mask``: (H, W) uint8 blend weight, 0 = untouched;
    ``box``: the mask's bounds (x0, y0, x1, y1, ends exclusive) or None."""

    rgb: np.ndarray
    mask: np.ndarray
    box: tuple[int, int, int, int] | None

    @property
    def manipulated(self) -> bool:
        return self.box is not None


@dataclass(frozen=True)
class ConversionResult:
    output_path: Path
    ground_truth_path: Path
    frames_total: int  # frames written (= frames of the converted range)
    frames_manipulated: list[int] = field(repr=False)  # input frame indices
    start_frame: int
    end_frame: int  # exclusive
    seconds: float
    frames_per_second: float
    video_codec: str
    audio: str | None  # "copy", "aac" (transcoded) or None (no audio)
    device: str
    synthetic_tag: dict[str, Any] = field(repr=False)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["output_path"] = str(self.output_path)
        data["ground_truth_path"] = str(self.ground_truth_path)
        return data
