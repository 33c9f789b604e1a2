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

import time
from pathlib import Path
from typing import Any

from deepreview_workers.pipeline.detection.checkpoint import LoadedDetector
from deepreview_workers.pipeline.detection.reference import SignalReference
from deepreview_workers.pipeline.detection.result import (
    SCHEMA,
    SCHEMA_VERSION,
    STATUS_NO_FACES,
    STATUS_OK,
    FaceResult,
    FrameResult,
    SignalSummary,
    SignalValue,
    VideoDetection,
)
from deepreview_workers.pipeline.detection.sampling import (
    sample_indices,
    shrink,
    temporal_indices,
)
from deepreview_workers.pipeline.detection.scoring import SIGNAL_FLAG_Z, frame_flag
from deepreview_workers.pipeline.detection.signals import Signal, signals
from deepreview_workers.pipeline.detection.video_run import (
    TEMPORAL_CROP_SIZE,
    Stages,
    VideoRun,
    timed,
)
from deepreview_workers.pipeline.device import resolve_device
from deepreview_workers.pipeline.face_detectors import detectors
from deepreview_workers.pipeline.frames import Frame, iter_frames
from deepreview_workers.pipeline.landmarks import landmarkers
from deepreview_workers.pipeline.options.detection import DetectOptions
from deepreview_workers.pipeline.progress import ProgressCallback, no_progress
from deepreview_workers.pipeline.video_io import probe_media


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

    def face_detector(self, min_face_size: int) -> Any:
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
        stages = Stages()
        probe = probe_media(path)
        fps = probe.fps if probe.kind == "video" else None
        analysed_idx = sample_indices(probe.frame_count, options.frames)
        temporal_idx = temporal_indices(analysed_idx, probe.frame_count, fps, options)
        wanted_analysed, wanted_temporal = set(analysed_idx), set(temporal_idx)
        last = max(analysed_idx[-1], temporal_idx[-1] if temporal_idx else 0)
        stages.lap("probe")
        progress(0.0, "Decoding")

        run = VideoRun(self, detector, stages)
        frames = iter_frames(
            path,
            end_frame=last + 1,
            keep=lambda i, s: i in wanted_analysed or i in wanted_temporal,
        )
        for frame in timed(frames, stages):
            if frame.index in wanted_analysed:
                run.pending_analysed.append(frame)
                if len(run.pending_analysed) >= options.batch_size:
                    run.detect_pending()
            else:
                small, scale = shrink(frame.rgb, options.temporal_max_side)
                run.pending_temporal.append((Frame(frame.index, frame.pts_seconds, small), scale))
            progress(min(0.9 * (frame.index + 1) / (last + 1), 0.9), f"Frame {frame.index + 1}")
        run.detect_pending()
        run.flush_temporal(final=True)
        progress(0.92, "Linking tracks and normalising signals")
        result = run.finish(probe, path, analysed_idx, started)
        progress(1.0, result.message)
        return result


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


__all__ = [
    "SCHEMA",
    "SCHEMA_VERSION",
    "SIGNAL_FLAG_Z",
    "STATUS_NO_FACES",
    "STATUS_OK",
    "TEMPORAL_CROP_SIZE",
    "DetectOptions",
    "FaceResult",
    "FrameResult",
    "SignalSummary",
    "SignalValue",
    "VideoDetection",
    "VideoDetector",
    "detect_video",
    "frame_flag",
    "sample_indices",
    "temporal_indices",
]
