"""Detect on keyframes, follow faces in between: most frames skip MTCNN's pyramid.

A full detection (the image pyramid) costs most of an extraction on a CPU. Between
keyframes a face is looked for only where it was one sampled frame earlier
(:meth:`MtcnnDetector.refine`: R- and O-net on the previous boxes), which is an
order of magnitude cheaper and finds the same faces, boxes within the detector's own
frame-to-frame jitter.

When a frame is a keyframe (full detection):
- the first sampled frame, and the first one of every ``redetect_seconds`` window of
  video time, so a face that enters the picture is found within that window;
- any frame after one without faces (nothing to follow);
- any frame where following lost a face (it turned away, was covered, or left):
  the frame is detected again in full, so losing a face never loses a frame.

``redetect_seconds = 0`` makes every frame a keyframe (the detector alone).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from deepreview_workers.pipeline.face_detectors.base import DROP_REASONS, Detector
from deepreview_workers.pipeline.frames import Frame
from deepreview_workers.pipeline.types import FaceDetection


class KeyframeTracker:
    """Wraps a detector; one instance per video (``reset`` between videos)."""

    def __init__(self, detector: Detector, redetect_seconds: float = 1.0) -> None:
        if redetect_seconds < 0:
            raise ValueError(f"redetect_seconds must be >= 0, got {redetect_seconds}")
        self.detector = detector
        self.redetect_seconds = float(redetect_seconds)
        self.counts: Counter[str] = Counter()  # full / followed / lost frames
        self.last_dropped: dict[str, int] = dict.fromkeys(DROP_REASONS, 0)
        self.reset()

    @property
    def follows(self) -> bool:
        return self.redetect_seconds > 0 and hasattr(self.detector, "refine")

    def reset(self) -> None:
        self._previous: list[FaceDetection] = []
        self._window: int | None = None

    def _opens_window(self, frame: Frame) -> bool:
        window = math.floor(frame.pts_seconds / self.redetect_seconds + 1e-9)
        opens = window != self._window
        self._window = window
        return opens

    def _add_dropped(self) -> None:
        for reason, count in getattr(self.detector, "last_dropped", {}).items():
            self.last_dropped[reason] = self.last_dropped.get(reason, 0) + count

    def _full(self, frames: Sequence[Frame]) -> list[list[FaceDetection]]:
        if not frames:
            return []
        hits = self.detector.detect_batch([frame.rgb for frame in frames])
        self._add_dropped()
        self.counts["full"] += len(frames)
        return hits

    def detect_batch(self, frames: Sequence[Frame]) -> list[list[FaceDetection]]:
        """Faces per frame, in order; frames must come in video order."""
        self.last_dropped = dict.fromkeys(DROP_REASONS, 0)
        if not self.follows:
            return self._full(frames)
        keyframes = [i for i, frame in enumerate(frames) if self._opens_window(frame)]
        # Keyframes known in advance are detected together (one batched pyramid).
        planned = dict(zip(keyframes, self._full([frames[i] for i in keyframes]), strict=True))
        results: list[list[FaceDetection]] = []
        for i, frame in enumerate(frames):
            if i in planned:
                hits = planned[i]
            elif not self._previous:
                (hits,) = self._full([frame])
            else:
                hits = self.detector.refine(frame.rgb, [hit.box for hit in self._previous])
                if len(hits) < len(self._previous):
                    self.counts["lost"] += 1
                    (hits,) = self._full([frame])  # its drops are the ones that count
                else:
                    self._add_dropped()
                    self.counts["followed"] += 1
            self._previous = hits
            results.append(hits)
        return results
