"""Fake detection on one video: faces, forensic signals and (optionally) a learned score.

    result = detect_video("suspect.mp4", detector=load_detector("detector.pt"), frames=32)
    result.status            # "ok" or "no_faces"
    result.score_confident   # video score (None without a detector or without faces)
    result.to_json()         # what the job stores and the timeline draws

How the video is read (one decoding pass, no seeking):

- ``frames`` *analysed* frames are spread evenly over the video (first and last
  included). They get everything: batched face detection (MTCNN, on a copy shrunk to
  ``detect_max_side`` for speed; boxes are mapped back), 68 landmarks, every frame-local
  signal, and the learned detector's score on a face crop with a 30% margin.
- Around each analysed frame, ``temporal_window`` seconds are also sampled at
  ``temporal_fps`` as *landmark-only* samples: the faces' boxes are interpolated between
  the neighbouring analysed frames' detections (held near the ends), landmarks are placed
  and the temporal signals (flicker, landmark jitter, blinking) measured, because those
  happen within a few frames and 32 frames over 10 s are too sparse to see them. For a
  10-second clip the windows overlap, so the whole clip is covered at ``temporal_fps``.
  Frames wait in memory only until the next batch of analysed frames is detected.

Faces are linked into tracks (box overlap), temporal signals compare neighbours within
a track, and every signal is normalised per video
(:mod:`deepreview_workers.pipeline.detection.normalise`). Video scores: ``score_mean`` is the
mean of all face scores, ``score_confident`` Selim Seferbekov's confident-frames rule
(:func:`deepreview_workers.pipeline.detection.metrics.confident_strategy`); ``label`` compares the
latter with the detector's threshold. A video where no analysed frame has a face gets
``status="no_faces"`` and no score at all, never a neutral 0.5.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from deepreview_workers.pipeline.detection.checkpoint import LoadedDetector
from deepreview_workers.pipeline.detection.explain import map_region, summarise_regions
from deepreview_workers.pipeline.detection.metrics import confident_strategy, mean_score
from deepreview_workers.pipeline.detection.normalise import normalise
from deepreview_workers.pipeline.detection.reference import SignalReference
from deepreview_workers.pipeline.detection.signals import (
    CROP_SIZE,
    DEFAULT_SIGNALS,
    FaceView,
    FrameView,
    Signal,
    TrackValues,
    signals,
)
from deepreview_workers.pipeline.device import device_label, resolve_device
from deepreview_workers.pipeline.face_detectors import detectors
from deepreview_workers.pipeline.frames import Frame, iter_frames
from deepreview_workers.pipeline.landmarks import landmarkers
from deepreview_workers.pipeline.progress import ProgressCallback, no_progress
from deepreview_workers.pipeline.tracks import box_iou, link_tracks
from deepreview_workers.pipeline.types import Box, FaceDetection
from deepreview_workers.pipeline.video_io import probe_media

SCHEMA = "deepreview.detection"
SCHEMA_VERSION = 1
STATUS_OK = "ok"
STATUS_NO_FACES = "no_faces"
TEMPORAL_CROP_SIZE = 128
SIGNAL_FLAG_Z = 3.5  # a signal this many robust spreads above the video's normal flags a frame


@dataclass(frozen=True)
class DetectOptions:
    """Everything a detection run can be told; the job, the CLI and the bench share it."""

    frames: int = 32  # analysed frames, evenly spread (the DFDC winner used 32)
    temporal_fps: float = 15.0  # landmark-only samples per second; 0 turns them off
    temporal_window: float = 1.0  # seconds sampled around each analysed frame
    signals: tuple[str, ...] = DEFAULT_SIGNALS
    min_face_size: int = 40  # source pixels
    min_confidence: float = 0.8  # lower than extraction's 0.9: dim, small faces still get scored
    max_faces: int = 6  # per frame, the largest; a crowd would otherwise cost minutes
    detect_max_side: int = 960  # frames are shrunk to this for face detection only
    temporal_max_side: int = 960  # and landmark-only samples are kept at this size
    batch_size: int = 8  # analysed frames per detector call (bounds memory too)
    crop_size: int = CROP_SIZE  # aligned crop the pixel signals measure on
    detector: str = "mtcnn"
    landmarker: str = "dlib68"
    device: str = "auto"

    def __post_init__(self) -> None:
        if self.frames < 1 or self.batch_size < 1 or self.max_faces < 1:
            raise ValueError("frames, batch_size and max_faces must be at least 1")
        if self.temporal_fps < 0 or self.temporal_window < 0:
            raise ValueError("temporal_fps and temporal_window must not be negative")
        if min(self.detect_max_side, self.temporal_max_side) < 64:
            raise ValueError("detect_max_side and temporal_max_side must be at least 64")
        for name in self.signals:
            signals.get(name)  # ValueError naming the choices

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "signals": list(self.signals)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DetectOptions:
        """Options from job params; unknown keys raise ``ValueError``."""
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"Unknown detection options: {', '.join(sorted(unknown))}")
        values = dict(data)
        if "signals" in values:
            values["signals"] = tuple(values["signals"])
        return cls(**values)


# --- results ------------------------------------------------------------------------


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
                      "best_epoch", "epochs_done", "validation", "created"} | null,
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
                              "fusion_probability"} | null}

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


# --- the run ------------------------------------------------------------------------


@dataclass
class _Sample:
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
class _Analysed:
    index: int
    seconds: float
    boxes: list[Box]


class _Stages:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self._mark = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.seconds[stage] += now - self._mark
        self._mark = now


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


def _shrink(rgb: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    height, width = rgb.shape[:2]
    scale = min(1.0, max_side / max(height, width))
    if scale >= 1.0:
        return rgb, 1.0
    size = (max(int(round(width * scale)), 1), max(int(round(height * scale)), 1))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), scale


def _scale_box(box: Box, scale: float) -> Box:
    return (box[0] * scale, box[1] * scale, box[2] * scale, box[3] * scale)


class VideoDetector:
    """Loaded face detector, landmarker and signals for one set of options; reuse it for
    many videos (CLI, job worker). The learned detector is passed per call."""

    def __init__(self, options: DetectOptions | None = None) -> None:
        self.options = options or DetectOptions()
        self.device = resolve_device(self.options.device)
        self.landmarker = landmarkers.create(self.options.landmarker)
        self.signals: dict[str, Signal] = {
            name: signals.create(name) for name in self.options.signals
        }
        self._face_detectors: dict[int, Any] = {}
        # Signals on an absolute scale: percentiles among real videos (shipped file).
        self.reference = SignalReference.load_builtin()

    def _face_detector(self, min_face_size: int) -> Any:
        # One MTCNN per effective minimum size: a shrunk frame needs a smaller one.
        if min_face_size not in self._face_detectors:
            self._face_detectors[min_face_size] = detectors.create(
                self.options.detector,
                device=str(self.device),
                min_face_size=min_face_size,
                min_confidence=self.options.min_confidence,
                max_batch=self.options.batch_size,
            )
        return self._face_detectors[min_face_size]

    def run(
        self,
        path: str | Path,
        detector: LoadedDetector | None = None,
        *,
        progress: ProgressCallback = no_progress,
    ) -> VideoDetection:
        """Detect fakes in ``path`` (see the module docstring); ``MediaRejected`` for a
        file that is not usable media, ``Cancelled`` when ``progress`` raises it."""
        path = Path(path)
        options = self.options
        started = time.perf_counter()
        stages = _Stages()
        probe = probe_media(path)
        fps = probe.fps if probe.kind == "video" else None
        analysed_idx = sample_indices(probe.frame_count, options.frames)
        temporal_idx = temporal_indices(analysed_idx, probe.frame_count, fps, options)
        wanted_analysed, wanted_temporal = set(analysed_idx), set(temporal_idx)
        last = max(analysed_idx[-1], temporal_idx[-1] if temporal_idx else 0)
        stages.lap("probe")
        progress(0.0, "Decoding")

        run = _Run(self, detector, stages)
        frames = iter_frames(
            path,
            end_frame=last + 1,
            keep=lambda i, s: i in wanted_analysed or i in wanted_temporal,
        )
        for frame in _timed(frames, stages):
            if frame.index in wanted_analysed:
                run.pending_analysed.append(frame)
                if len(run.pending_analysed) >= options.batch_size:
                    run.detect_pending()
            else:
                small, scale = _shrink(frame.rgb, options.temporal_max_side)
                run.pending_temporal.append((Frame(frame.index, frame.pts_seconds, small), scale))
            progress(min(0.9 * (frame.index + 1) / (last + 1), 0.9), f"Frame {frame.index + 1}")
        run.detect_pending()
        run.flush_temporal(final=True)
        progress(0.92, "Linking tracks and normalising signals")
        result = run.finish(probe, path, analysed_idx, started)
        progress(1.0, result.message)
        return result


def _timed(frames: Iterator[Frame], stages: _Stages) -> Iterator[Frame]:
    for frame in frames:
        stages.lap("decode")
        yield frame


class _Run:
    """State of one video's detection while its frames stream past."""

    def __init__(
        self, owner: VideoDetector, detector: LoadedDetector | None, stages: _Stages
    ) -> None:
        self.owner = owner
        self.options = owner.options
        self.detector = detector
        self.stages = stages
        self.pending_analysed: list[Frame] = []
        self.pending_temporal: list[tuple[Frame, float]] = []
        self.analysed: list[_Analysed] = []
        self.samples: list[_Sample] = []
        self.frames_analysed = 0
        temporal = [s for s in owner.signals.values() if s.temporal]
        self.temporal_signals = temporal

    # analysed frames -----------------------------------------------------------------

    def detect_pending(self) -> None:
        if not self.pending_analysed:
            return
        batch, self.pending_analysed = self.pending_analysed, []
        shrunk = [_shrink(frame.rgb, self.options.detect_max_side) for frame in batch]
        scale = shrunk[0][1]
        min_size = max(12, int(round(self.options.min_face_size * scale)))
        hits = self.owner._face_detector(min_size).detect_batch([rgb for rgb, _s in shrunk])
        self.stages.lap("detect")
        crops: list[np.ndarray] = []
        scored: list[_Sample] = []
        for frame, (_rgb, frame_scale), frame_hits in zip(batch, shrunk, hits, strict=True):
            kept = self._largest(frame_hits, frame_scale)
            self.frames_analysed += 1
            self.analysed.append(_Analysed(frame.index, frame.pts_seconds, [h.box for h in kept]))
            for sample, crop in self._analyse(frame, kept):
                if crop is not None:
                    crops.append(crop)
                    scored.append(sample)
        if self.detector is not None and crops:
            scores, maps = self.detector.score_crops_with_maps(crops)
            for position, (sample, score) in enumerate(zip(scored, scores, strict=True)):
                sample.score = float(score)
                if maps is not None:
                    sample.map = maps[position]
                    sample.finding = map_region(maps[position], sample.box, sample.points)
            self.stages.lap("cnn")
        self.flush_temporal(final=False)

    def _largest(self, hits: list[FaceDetection], scale: float) -> list[FaceDetection]:
        back = [
            FaceDetection(_scale_box(h.box, 1.0 / scale), h.score, h.points5 / scale) for h in hits
        ]
        area = lambda h: (h.box[2] - h.box[0]) * (h.box[3] - h.box[1])  # noqa: E731
        kept = sorted(back, key=area, reverse=True)[: self.options.max_faces]
        return sorted(kept, key=lambda h: h.box[0] + h.box[2])

    def _analyse(
        self, frame: Frame, hits: list[FaceDetection]
    ) -> list[tuple[_Sample, np.ndarray | None]]:
        if not hits:
            return []
        boxes = [hit.box for hit in hits]
        landmarks = self.owner.landmarker.predict(frame.rgb, boxes)
        self.stages.lap("landmarks")
        view = FrameView(frame.rgb, frame.index, frame.pts_seconds)
        small, scale = _shrink(frame.rgb, self.options.temporal_max_side)
        # Temporal signals compare this frame with landmark-only samples kept at
        # ``temporal_max_side``; measure it at that size too, so a change of scale is
        # not mistaken for jitter.
        small_view, small_boxes, small_landmarks = view, boxes, landmarks
        if scale < 1.0:
            small_view = FrameView(small, frame.index, frame.pts_seconds)
            small_boxes = [_scale_box(box, scale) for box in boxes]
            small_landmarks = self.owner.landmarker.predict(small, small_boxes)
        out = []
        for position, (hit, points) in enumerate(zip(hits, landmarks, strict=True)):
            face = FaceView(view, hit.box, points, crop_size=self.options.crop_size)
            measures = {
                name: signal.measure(face)
                for name, signal in self.owner.signals.items()
                if not signal.temporal
            }
            measures.update(
                self._temporal_measures(
                    small_view, small_boxes[position], small_landmarks[position]
                )
            )
            sample = _Sample(
                frame_index=frame.index,
                seconds=frame.pts_seconds,
                analysed=True,
                box=hit.box,
                confidence=float(hit.score),
                measures=measures,
                anchor=(frame.index, position),
                points=points,
            )
            self.samples.append(sample)
            crop = self.detector.crop(frame.rgb, hit.box) if self.detector is not None else None
            out.append((sample, crop))
        self.stages.lap("signals")
        return out

    # landmark-only samples -------------------------------------------------------------

    def flush_temporal(self, *, final: bool) -> None:
        """Measure the landmark-only samples whose later analysed frame is detected (or
        all of them at the end of the video)."""
        if not self.pending_temporal:
            return
        last_detected = self.analysed[-1].index if self.analysed else -1
        keep: list[tuple[Frame, float]] = []
        for frame, scale in self.pending_temporal:
            if frame.index < last_detected or final:
                self._temporal(frame, scale)
            else:
                keep.append((frame, scale))
        self.pending_temporal = keep
        self.stages.lap("temporal")

    def _temporal(self, frame: Frame, scale: float) -> None:
        if not self.temporal_signals:
            return
        boxes = self._tracked_boxes(frame.index, frame.pts_seconds)
        if not boxes:
            return
        small_boxes = [_scale_box(box, scale) for box, _anchor in boxes]
        landmarks = self.owner.landmarker.predict(frame.rgb, small_boxes)
        view = FrameView(frame.rgb, frame.index, frame.pts_seconds)
        for (box, anchor), small_box, points in zip(boxes, small_boxes, landmarks, strict=True):
            measures = self._temporal_measures(view, small_box, points)
            self.samples.append(
                _Sample(frame.index, frame.pts_seconds, False, box, None, measures, anchor)
            )

    def _temporal_measures(self, view: FrameView, box: Box, landmarks: np.ndarray) -> dict:
        # Temporal signals need only colour means and landmarks: a small aligned crop
        # keeps the many landmark-only samples cheap.
        face = FaceView(view, box, landmarks, crop_size=TEMPORAL_CROP_SIZE)
        return {signal.name: signal.measure(face) for signal in self.temporal_signals}

    def _tracked_boxes(self, index: int, seconds: float) -> list[tuple[Box, tuple[int, int]]]:
        """Boxes (source pixels) and their anchor faces for a landmark-only sample:
        interpolated between the analysed frames around it when the face is in both,
        else held from the nearer one within half the temporal window."""
        before = next((a for a in reversed(self.analysed) if a.index < index), None)
        after = next((a for a in self.analysed if a.index > index), None)
        hold = self.options.temporal_window / 2.0 + 1e-6
        out: list[tuple[Box, tuple[int, int]]] = []
        matched_after: set[int] = set()
        if before is not None:
            pairs = self._match(before, after) if after is not None else {}
            for i, box in enumerate(before.boxes):
                j = pairs.get(i)
                if j is not None and after is not None:
                    matched_after.add(j)
                    span = after.seconds - before.seconds
                    w = (seconds - before.seconds) / span if span > 0 else 0.0
                    lerp = tuple(
                        (1 - w) * a + w * b for a, b in zip(box, after.boxes[j], strict=True)
                    )
                    anchor = (before.index, i) if w <= 0.5 else (after.index, j)
                    out.append((lerp, anchor))
                elif seconds - before.seconds <= hold:
                    out.append((box, (before.index, i)))
        if after is not None:
            for j, box in enumerate(after.boxes):
                if j not in matched_after and after.seconds - seconds <= hold:
                    out.append((box, (after.index, j)))
        return out

    def _match(self, before: _Analysed, after: _Analysed) -> dict[int, int]:
        if after.seconds - before.seconds > self.options.temporal_window + 1e-6:
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
            if iou < 0.3 or i in matched or j in used:
                continue
            matched[i] = j
            used.add(j)
        return matched

    # results -----------------------------------------------------------------------------

    def finish(
        self, probe: Any, path: Path, analysed_idx: list[int], started: float
    ) -> VideoDetection:
        options = self.options
        analysed_samples = [s for s in self.samples if s.analysed]
        track_of: dict[tuple[int, int], int] = {}
        if analysed_samples:
            spacing = np.diff(analysed_idx).max() if len(analysed_idx) > 1 else 1
            ids = link_tracks(
                [(s.frame_index, s.box, None) for s in analysed_samples],
                max_gap_frames=int(max(3 * spacing, 60)),
            )
            for sample, track in zip(analysed_samples, ids, strict=True):
                track_of[sample.anchor] = int(track)
        for sample in self.samples:
            sample.track = track_of.get(sample.anchor, -1)
        self.stages.lap("tracks")

        raw: dict[str, dict[int, float | None]] = defaultdict(dict)  # signal -> sample id -> raw
        per_track: dict[str, list[TrackValues]] = defaultdict(list)
        by_track: dict[int, list[_Sample]] = defaultdict(list)
        for sample in self.samples:
            by_track[sample.track].append(sample)
        for track_samples in by_track.values():
            track_samples.sort(key=lambda s: (s.frame_index, s.seconds))
            times = np.array([s.seconds for s in track_samples], dtype=np.float64)
            for name, signal in self.owner.signals.items():
                measures = [s.measures.get(name) for s in track_samples]
                values = signal.series(times, measures)
                per_track[name].append(TrackValues(times, values, measures))
                for sample, value in zip(track_samples, values, strict=True):
                    raw[name][id(sample)] = value

        normalised: dict[str, dict[int, SignalValue]] = {}
        summaries: dict[str, SignalSummary] = {}
        order = [id(s) for s in self.samples]
        for name, signal in self.owner.signals.items():
            values = [raw[name].get(key) for key in order]
            z, norm, scale = normalise(values)
            normalised[name] = {
                key: SignalValue(_finite(v), zv, nv)
                for key, v, zv, nv in zip(order, values, z, norm, strict=True)
            }
            info = signal.info()
            summaries[name] = SignalSummary(
                name=name,
                kind=info["kind"],
                description=info["description"],
                unit=info["unit"],
                higher_is_suspicious=info["higher_is_suspicious"],
                temporal=info["temporal"],
                scale=scale.as_dict(),
                summary=signal.summary(per_track[name]),
            )
        self.stages.lap("normalise")

        frames_out = self._frames(normalised)
        scores = [s.score for s in analysed_samples if s.score is not None]
        has_faces = bool(analysed_samples)
        score_mean = mean_score(scores) if scores else None
        score_confident = confident_strategy(scores) if scores else None
        threshold = self.detector.threshold if self.detector is not None else None
        score_source = "detector" if score_confident is not None else None
        reference = None
        if has_faces and self.owner.reference is not None:
            reference = self.owner.reference.compare(summaries)
            if score_confident is None and reference["fusion_probability"] is not None:
                # No CNN ran: the signals' fusion is the score (a second opinion otherwise).
                score_confident, threshold = reference["fusion_probability"], 0.5
                score_source = "signal fusion"
        label = None
        if score_confident is not None and threshold is not None:
            label = "fake" if score_confident >= threshold else "real"
        frames_with_faces = len({s.frame_index for s in analysed_samples})
        map_summary = None
        if self.detector is not None and self.detector.has_map and scores:
            scored = [s for s in analysed_samples if s.score is not None]
            map_summary = summarise_regions(
                [s.finding for s in scored], [s.score for s in scored], self.detector.threshold
            )
        if has_faces:
            status = STATUS_OK
            message = (
                f"{len(analysed_samples)} faces in {frames_with_faces} of "
                f"{self.frames_analysed} analysed frames"
            )
        else:
            status = STATUS_NO_FACES
            message = (
                f"No faces found in the {self.frames_analysed} analysed frames: nothing to score"
            )
        source = {
            "name": path.name,
            "kind": probe.kind,
            "frame_count": probe.frame_count,
            "fps": probe.fps,
            "width": probe.width,
            "height": probe.height,
            "duration_seconds": probe.duration_seconds,
        }
        return VideoDetection(
            source=source,
            status=status,
            message=message,
            score_mean=score_mean,
            score_confident=score_confident,
            threshold=threshold,
            label=label,
            detector=self.detector.describe() if self.detector is not None else None,
            frames_analysed=self.frames_analysed,
            frames_with_faces=frames_with_faces,
            faces=len(analysed_samples),
            tracks=len({s.track for s in analysed_samples}),
            signals=summaries,
            frames=frames_out,
            options=options.as_dict(),
            device=device_label(self.owner.device),
            seconds=round(time.perf_counter() - started, 3),
            stage_seconds={k: round(v, 3) for k, v in self.stages.seconds.items()},
            map_summary=map_summary,
            signal_reference=reference,
            score_source=score_source,
        )

    def _threshold(self) -> float | None:
        return self.detector.threshold if self.detector is not None else None

    def _suspicious_high(self) -> set[str]:
        return {n for n, s in self.owner.signals.items() if s.info()["higher_is_suspicious"]}

    def _frames(self, normalised: dict[str, dict[int, SignalValue]]) -> tuple[FrameResult, ...]:
        by_frame: dict[int, list[_Sample]] = defaultdict(list)
        for sample in self.samples:
            by_frame[sample.frame_index].append(sample)
        seconds = {a.index: a.seconds for a in self.analysed}
        for index, samples in by_frame.items():
            seconds.setdefault(index, samples[0].seconds)
        analysed = {a.index for a in self.analysed}
        out = []
        for index in sorted(seconds):
            faces = tuple(
                FaceResult(
                    track=s.track,
                    box=tuple(float(v) for v in s.box),
                    confidence=s.confidence,
                    score=s.score,
                    signals={name: values[id(s)] for name, values in normalised.items()},
                    map=s.map,
                    map_region=s.finding,
                )
                for s in sorted(by_frame.get(index, []), key=lambda s: (s.track, s.box[0]))
            )
            scores = [f.score for f in faces if f.score is not None]
            out.append(
                FrameResult(
                    index=index,
                    seconds=float(seconds[index]),
                    analysed=index in analysed,
                    score=max(scores) if scores else None,
                    faces=faces,
                    flag=frame_flag(faces, self._threshold(), self._suspicious_high()),
                )
            )
        return tuple(out)


def frame_flag(
    faces: tuple[FaceResult, ...],
    threshold: float | None,
    suspicious_high: set[str],
    signal_z: float = SIGNAL_FLAG_Z,
) -> dict | None:
    """Why a frame is flagged, or None: the detector's score at or above its threshold
    (naming the map's region when there is a map), else a suspicious signal far above
    this video's normal (robust z >= ``signal_z``), naming the signal."""
    scored = [f for f in faces if f.score is not None]
    if threshold is not None and scored:
        top = max(scored, key=lambda f: f.score)
        if top.score >= threshold:
            region = top.map_region["region"] if top.map_region else None
            return {"by": "detector", "score": round(top.score, 4), "region": region}
    best: tuple[float, str] | None = None
    for face in faces:
        for name, value in face.signals.items():
            if name not in suspicious_high or value.z is None or value.z < signal_z:
                continue
            if best is None or value.z > best[0]:
                best = (value.z, name)
    return {"by": "signal", "signal": best[1], "z": round(best[0], 2)} if best else None


def _finite(value: float | None) -> float | None:
    return None if value is None or not np.isfinite(value) else float(value)


def detect_video(
    path: str | Path,
    detector: LoadedDetector | str | Path | None = None,
    *,
    frames: int = 32,
    device: str = "auto",
    options: DetectOptions | None = None,
    progress: ProgressCallback = no_progress,
) -> VideoDetection:
    """Detect fakes in one video (see the module docstring).

    ``detector``: a :class:`LoadedDetector`, a checkpoint path, or None for the forensic
    signals only. ``frames`` and ``device`` are shorthands that ``options`` overrides.
    For many videos, build one :class:`VideoDetector` and call ``run`` on each.
    """
    options = options or DetectOptions(frames=frames, device=device)
    if isinstance(detector, (str, Path)):
        detector = LoadedDetector.load(detector, device=options.device)
    return VideoDetector(options).run(path, detector, progress=progress)
