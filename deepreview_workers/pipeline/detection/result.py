"""Result types of a video detection and their JSON form (schema ``deepreview.detection``)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from deepreview_workers.pipeline.types import Box

SCHEMA = "deepreview.detection"
SCHEMA_VERSION = 1
STATUS_OK = "ok"
STATUS_NO_FACES = "no_faces"


@dataclass(frozen=True)
class SignalValue:
    """One signal on one face: raw (the signal's unit), robust z, 0..1 for the timeline."""

    raw: float | None
    z: float | None
    norm: float | None


@dataclass(frozen=True)
class FaceResult:
    track: int
    box: Box  # face detector box, source pixels (interpolated on landmark-only samples)
    confidence: float | None  # face detector score; None on landmark-only samples
    score: float | None  # learned detector's fake probability; analysed frames only
    signals: dict[str, SignalValue]
    map: np.ndarray | None = None  # (MAP_SIZE, MAP_SIZE) in [0, 1] over the detector crop
    map_region: dict | None = None  # explain.map_region: where the map points, in words


@dataclass(frozen=True)
class FrameResult:
    index: int
    seconds: float
    analysed: bool  # False: a landmark-only sample (temporal signals only)
    score: float | None  # the highest face score of the frame
    faces: tuple[FaceResult, ...]
    flag: dict | None = None  # why the frame is flagged: {"by": "detector"|"signal", ...}


@dataclass(frozen=True)
class SignalSummary:
    name: str
    kind: str
    description: str
    unit: str
    higher_is_suspicious: bool | None
    temporal: bool
    scale: dict  # how raw values were normalised in this video (centre, spread)
    summary: dict  # video-level numbers (mean, p90, ...; blinking: blinks_per_minute)


@dataclass(frozen=True)
class VideoDetection:
    """The result of one video's detection; ``as_dict()`` / ``to_json()`` give::

        {"schema": "deepreview.detection", "version": 1,
         "source": {"name", "kind", "frame_count", "fps", "width", "height",
                    "duration_seconds"},
         "status": "ok" | "no_faces", "message": "...",
         "score": {"mean", "confident", "threshold", "label", "calibrated",
                   "threshold_fpr", "source": "detector" | "signal fusion"} | null,
         "detector": {"arch", "input_size", "crop_margin", "threshold", "path",
                      "best_epoch", "epochs_done", "validation", "created",
                      "external_check" (the built-in: external_check.py)} | null,
         "frames_analysed", "frames_with_faces", "faces", "tracks",
         "signals": {name: {"name", "kind", "description", "unit",
                            "higher_is_suspicious", "temporal",
                            "scale": {"method", "centre", "spread", "count"},
                            "summary": {"count", "mean", "median", "p90", "max", ...}}},
         "frames": [{"index", "seconds", "analysed", "score",
                     "faces": [{"track", "box", "confidence", "score",
                                "signals": {name: {"raw", "z", "norm"}}}]}],
         "options": {...DetectOptions}, "device", "seconds", "stage_seconds": {...},
         "map_summary": {"region", "flagged_faces", "counts", "text"} | null,
         "signal_reference": {"statistic", "reference_videos", "source",
                              "signals": {name: {"value", "percentile"}},
                              "fusion_probability", "fusion_external"} | null}

    Faces of a map-head detector also carry ``"map"`` (16 x 16) and ``"map_region"``;
    frames flagged by the detector or a signal carry ``"flag"`` (see ``frame_flag``).

    ``score`` is null without faces; without a detector it is the signal fusion's
    probability when the signal reference is installed (``source`` says which), else
    null. ``frames`` lists analysed
    frames and landmark-only samples in frame order (``analysed`` tells them apart).
    """

    source: dict
    status: str  # "ok" | "no_faces"
    message: str
    score_mean: float | None
    score_confident: float | None
    threshold: float | None
    label: str | None  # "fake" | "real" by score_confident >= threshold; None if unscored
    detector: dict | None
    frames_analysed: int
    frames_with_faces: int
    faces: int  # face detections on analysed frames
    tracks: int
    signals: dict[str, SignalSummary]
    frames: tuple[FrameResult, ...]
    options: dict
    device: str
    seconds: float
    stage_seconds: dict[str, float] = field(default_factory=dict)
    map_summary: dict | None = None  # explain.summarise_regions, for a map-head detector
    signal_reference: dict | None = None  # reference.SignalReference.compare: percentiles
    score_source: str | None = None  # "detector" | "signal fusion" (no CNN ran) | None

    @property
    def face_scores(self) -> list[float]:
        return [f.score for fr in self.frames for f in fr.faces if f.score is not None]

    def as_dict(self) -> dict[str, Any]:
        """The JSON-ready result (shape in the class docstring)."""
        scored = self.score_confident is not None
        return {
            "schema": SCHEMA,
            "version": SCHEMA_VERSION,
            "source": self.source,
            "status": self.status,
            "message": self.message,
            "score": (
                {
                    "mean": self.score_mean,
                    "confident": self.score_confident,
                    "threshold": self.threshold,
                    "label": self.label,
                    # A calibrated detector's score is a probability; threshold_fpr is the
                    # share of held-out real videos its threshold flags.
                    "calibrated": bool((self.detector or {}).get("calibrated")),
                    "threshold_fpr": (self.detector or {}).get("threshold_fpr"),
                    "source": self.score_source,
                }
                if scored
                else None
            ),
            "detector": self.detector,
            "frames_analysed": self.frames_analysed,
            "frames_with_faces": self.frames_with_faces,
            "faces": self.faces,
            "tracks": self.tracks,
            "signals": {name: asdict(s) for name, s in self.signals.items()},
            "frames": [_frame_dict(frame) for frame in self.frames],
            "options": self.options,
            "device": self.device,
            "seconds": self.seconds,
            "stage_seconds": self.stage_seconds,
            "map_summary": self.map_summary,
            "signal_reference": self.signal_reference,
        }

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.as_dict(), indent=indent, allow_nan=False)


def _round(value: float | None, digits: int = 5) -> float | None:
    return None if value is None else round(float(value), digits)


def _frame_dict(frame: FrameResult) -> dict[str, Any]:
    return {
        "index": frame.index,
        "seconds": round(frame.seconds, 5),
        "analysed": frame.analysed,
        "score": _round(frame.score),
        "faces": [
            {
                "track": face.track,
                "box": [round(v, 2) for v in face.box],
                "confidence": _round(face.confidence),
                "score": _round(face.score),
                "signals": {
                    name: {"raw": _round(v.raw), "z": _round(v.z), "norm": _round(v.norm)}
                    for name, v in face.signals.items()
                },
                **(
                    {"map": np.round(face.map, 2).tolist(), "map_region": face.map_region}
                    if face.map is not None
                    else {}
                ),
            }
            for face in frame.faces
        ],
        **({"flag": frame.flag} if frame.flag else {}),
    }
