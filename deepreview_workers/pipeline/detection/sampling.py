"""Which frames a video detection reads, and where faces sit on the landmark-only ones."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from deepreview_workers.pipeline.options.detection import DetectOptions
from deepreview_workers.pipeline.tracks import box_iou
from deepreview_workers.pipeline.types import Box

MATCH_MIN_IOU = 0.3  # boxes of two analysed frames overlapping less are different faces


@dataclass
class FaceSample:
    """One face in one sampled frame while the video is being read."""

    frame_index: int
    seconds: float
    analysed: bool
    box: Box  # source pixels
    confidence: float | None
    measures: dict[str, Any]
    anchor: tuple[int, int]  # (analysed frame index, face position) it was tracked from
    score: float | None = None
    track: int = -1
    points: np.ndarray | None = None  # (68, 2) landmarks, source pixels (analysed frames)
    map: np.ndarray | None = None  # (MAP_SIZE, MAP_SIZE) manipulation map over the crop
    finding: dict | None = None  # explain.map_region of the map


@dataclass
class AnalysedFrame:
    """An analysed frame's face boxes (source pixels), in face-position order."""

    index: int
    seconds: float
    boxes: list[Box]


def sample_indices(frame_count: int, frames: int) -> list[int]:
    """``frames`` indices spread evenly over ``[0, frame_count)``, first and last included."""
    if frame_count <= 0:
        return []
    if frame_count <= frames:
        return list(range(frame_count))
    return sorted({int(round(v)) for v in np.linspace(0, frame_count - 1, frames)})


def temporal_indices(
    analysed: list[int], frame_count: int, fps: float | None, options: DetectOptions
) -> list[int]:
    """Landmark-only sample indices: the multiples of ``round(fps / temporal_fps)``
    within ``temporal_window / 2`` seconds of an analysed frame, analysed ones excluded."""
    if not fps or options.temporal_fps <= 0 or options.temporal_window <= 0:
        return []
    step = max(int(round(fps / options.temporal_fps)), 1)
    half = int(round(options.temporal_window / 2.0 * fps))
    chosen: set[int] = set()
    for a in analysed:
        # One global grid (multiples of ``step``), so overlapping windows share samples.
        first = max(a - half, 0)
        first += -first % step
        chosen.update(range(first, min(a + half, frame_count - 1) + 1, step))
    return sorted(chosen - set(analysed))


def shrink(rgb: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    """``rgb`` area-resized so its longer side is at most ``max_side``, and the scale."""
    height, width = rgb.shape[:2]
    scale = min(1.0, max_side / max(height, width))
    if scale >= 1.0:
        return rgb, 1.0
    size = (max(int(round(width * scale)), 1), max(int(round(height * scale)), 1))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), scale


def scale_box(box: Box, scale: float) -> Box:
    """``box`` with every coordinate multiplied by ``scale``."""
    return (box[0] * scale, box[1] * scale, box[2] * scale, box[3] * scale)


def tracked_boxes(
    analysed: list[AnalysedFrame], index: int, seconds: float, temporal_window: float
) -> list[tuple[Box, tuple[int, int]]]:
    """Boxes (source pixels) and their anchor faces for a landmark-only sample:
    interpolated between the analysed frames around it when the face is in both,
    else held from the nearer one within half the temporal window."""
    before = next((a for a in reversed(analysed) if a.index < index), None)
    after = next((a for a in analysed if a.index > index), None)
    hold = temporal_window / 2.0 + 1e-6
    out: list[tuple[Box, tuple[int, int]]] = []
    matched_after: set[int] = set()
    if before is not None:
        pairs = match_boxes(before, after, temporal_window) if after is not None else {}
        for i, box in enumerate(before.boxes):
            j = pairs.get(i)
            if j is not None and after is not None:
                matched_after.add(j)
                span = after.seconds - before.seconds
                w = (seconds - before.seconds) / span if span > 0 else 0.0
                lerp = tuple((1 - w) * a + w * b for a, b in zip(box, after.boxes[j], strict=True))
                anchor = (before.index, i) if w <= 0.5 else (after.index, j)
                out.append((lerp, anchor))
            elif seconds - before.seconds <= hold:
                out.append((box, (before.index, i)))
    if after is not None:
        for j, box in enumerate(after.boxes):
            if j not in matched_after and after.seconds - seconds <= hold:
                out.append((box, (after.index, j)))
    return out


def match_boxes(
    before: AnalysedFrame, after: AnalysedFrame, temporal_window: float
) -> dict[int, int]:
    """Face position in ``before`` -> the same face's position in ``after`` (greedy by
    overlap); none when the frames are further apart than the temporal window."""
    if after.seconds - before.seconds > temporal_window + 1e-6:
        return {}
    pairs = sorted(
        (
            (box_iou(a, b), i, j)
            for i, a in enumerate(before.boxes)
            for j, b in enumerate(after.boxes)
        ),
        reverse=True,
    )
    matched: dict[int, int] = {}
    used: set[int] = set()
    for iou, i, j in pairs:
        if iou < MATCH_MIN_IOU or i in matched or j in used:
            continue
        matched[i] = j
        used.add(j)
    return matched
