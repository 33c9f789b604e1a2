"""Forensic signal plugins: ``signals.create(name)``; every one is tied to an artifact kind.

| name              | artifact kind            | measured on                     |
| ----------------- | ------------------------ | ------------------------------- |
| ``face_blur``       | ``face-blur``              | analysed frames                 |
| ``edge_seam``       | ``edge-seam``              | analysed frames                 |
| ``skin_tone``       | ``skin-tone-mismatch``     | analysed frames                 |
| ``mouth_sharpness`` | ``teeth``                  | analysed frames                 |
| ``flicker``         | ``flicker``                | every sample (neighbours)       |
| ``landmark_jitter`` | ``unnatural-head-movement`` | every sample (neighbours)      |
| ``blinking``        | ``gaze-error``             | every sample (blinks / minute)  |

Each class's ``description`` says what its number means (the review UI shows it).
"""

from deepreview_workers.pipeline.detection.signals import spatial, temporal
from deepreview_workers.pipeline.detection.signals.base import (
    CROP_SIZE,
    FaceView,
    FrameView,
    Signal,
    TrackValues,
    signals,
)
from deepreview_workers.pipeline.detection.signals.temporal import eye_aspect_ratio
from deepreview_workers.pipeline.options.detection import DEFAULT_SIGNALS

__all__ = [
    "CROP_SIZE",
    "DEFAULT_SIGNALS",
    "FaceView",
    "FrameView",
    "Signal",
    "TrackValues",
    "eye_aspect_ratio",
    "signals",
    "signal_info",
    "spatial",
    "temporal",
]


def signal_info() -> list[dict]:
    """Name, kind, description, unit and orientation of every registered signal."""
    return [signals.get(name).info() for name in signals.names()]
