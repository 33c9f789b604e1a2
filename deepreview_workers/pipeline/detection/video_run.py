"""One video's detection in progress: faces, landmarks and signals as frames stream past."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from deepreview_workers.pipeline.detection.checkpoint import LoadedDetector
from deepreview_workers.pipeline.detection.explain import map_region
from deepreview_workers.pipeline.detection.result import (
    STATUS_NO_FACES,
    STATUS_OK,
    VideoDetection,
)
from deepreview_workers.pipeline.detection.sampling import (
    AnalysedFrame,
    FaceSample,
    scale_box,
    shrink,
    tracked_boxes,
)
from deepreview_workers.pipeline.detection.scoring import (
    flagging_signals,
    frame_results,
    link_sample_tracks,
    signal_values,
    video_score,
)
from deepreview_workers.pipeline.detection.signals import FaceView, FrameView
from deepreview_workers.pipeline.device import device_label
from deepreview_workers.pipeline.frames import Frame
from deepreview_workers.pipeline.stages import Stages
from deepreview_workers.pipeline.types import Box, FaceDetection

if TYPE_CHECKING:  # video.py imports this module: the type alone avoids a cycle
    from deepreview_workers.pipeline.detection.video import VideoDetector

TEMPORAL_CROP_SIZE = 128


def timed(frames: Iterator[Frame], stages: Stages) -> Iterator[Frame]:
    """``frames``, charging the time spent waiting for each to the "decode" stage."""
    for frame in frames:
        stages.lap("decode")
        yield frame


class VideoRun:
    """State of one video's detection while its frames stream past."""

    def __init__(
        self, owner: VideoDetector, detector: LoadedDetector | None, stages: Stages
    ) -> None:
        self.owner = owner
        self.options = owner.options
        self.detector = detector
        self.stages = stages
        self.pending_analysed: list[Frame] = []
        self.pending_temporal: list[tuple[Frame, float]] = []
        self.analysed: list[AnalysedFrame] = []
        self.samples: list[FaceSample] = []
        self.frames_analysed = 0
        temporal = [s for s in owner.signals.values() if s.temporal]
        self.temporal_signals = temporal

    # analysed frames -----------------------------------------------------------------

    def detect_pending(self) -> None:
        if not self.pending_analysed:
            return
        batch, self.pending_analysed = self.pending_analysed, []
        shrunk = [shrink(frame.rgb, self.options.detect_max_side) for frame in batch]
        scale = shrunk[0][1]
        min_size = max(12, int(round(self.options.min_face_size * scale)))
        hits = self.owner.face_detector(min_size).detect_batch([rgb for rgb, _s in shrunk])
        self.stages.lap("detect")
        crops: list[np.ndarray] = []
        scored: list[FaceSample] = []
        for frame, (_rgb, frame_scale), frame_hits in zip(batch, shrunk, hits, strict=True):
            kept = self._largest(frame_hits, frame_scale)
            self.frames_analysed += 1
            self.analysed.append(
                AnalysedFrame(frame.index, frame.pts_seconds, [h.box for h in kept])
            )
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
            FaceDetection(scale_box(h.box, 1.0 / scale), h.score, h.points5 / scale) for h in hits
        ]
        area = lambda h: (h.box[2] - h.box[0]) * (h.box[3] - h.box[1])  # noqa: E731
        kept = sorted(back, key=area, reverse=True)[: self.options.max_faces]
        return sorted(kept, key=lambda h: h.box[0] + h.box[2])

    def _analyse(
        self, frame: Frame, hits: list[FaceDetection]
    ) -> list[tuple[FaceSample, np.ndarray | None]]:
        if not hits:
            return []
        boxes = [hit.box for hit in hits]
        landmarks = self.owner.landmarker.predict(frame.rgb, boxes)
        self.stages.lap("landmarks")
        view = FrameView(frame.rgb, frame.index, frame.pts_seconds)
        small, scale = shrink(frame.rgb, self.options.temporal_max_side)
        # Temporal signals compare this frame with landmark-only samples kept at
        # ``temporal_max_side``; measure it at that size too, so a change of scale is
        # not mistaken for jitter.
        small_view, small_boxes, small_landmarks = view, boxes, landmarks
        if scale < 1.0:
            small_view = FrameView(small, frame.index, frame.pts_seconds)
            small_boxes = [scale_box(box, scale) for box in boxes]
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
            sample = FaceSample(
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
        boxes = tracked_boxes(
            self.analysed, frame.index, frame.pts_seconds, self.options.temporal_window
        )
        if not boxes:
            return
        small_boxes = [scale_box(box, scale) for box, _anchor in boxes]
        landmarks = self.owner.landmarker.predict(frame.rgb, small_boxes)
        view = FrameView(frame.rgb, frame.index, frame.pts_seconds)
        for (box, anchor), small_box, points in zip(boxes, small_boxes, landmarks, strict=True):
            measures = self._temporal_measures(view, small_box, points)
            self.samples.append(
                FaceSample(frame.index, frame.pts_seconds, False, box, None, measures, anchor)
            )

    def _temporal_measures(self, view: FrameView, box: Box, landmarks: np.ndarray) -> dict:
        # Temporal signals need only colour means and landmarks: a small aligned crop
        # keeps the many landmark-only samples cheap.
        face = FaceView(view, box, landmarks, crop_size=TEMPORAL_CROP_SIZE)
        return {signal.name: signal.measure(face) for signal in self.temporal_signals}

    # results -----------------------------------------------------------------------------

    def finish(
        self, probe: Any, path: Path, analysed_idx: list[int], started: float
    ) -> VideoDetection:
        link_sample_tracks(self.samples, analysed_idx)
        self.stages.lap("tracks")
        normalised, summaries = signal_values(self.samples, self.owner.signals)
        self.stages.lap("normalise")
        threshold = self.detector.threshold if self.detector is not None else None
        frames_out = frame_results(
            self.samples,
            self.analysed,
            normalised,
            threshold,
            flagging_signals(self.owner.signals),
        )
        analysed_samples = [s for s in self.samples if s.analysed]
        score = video_score(analysed_samples, summaries, self.detector, self.owner.reference)
        frames_with_faces = len({s.frame_index for s in analysed_samples})
        if analysed_samples:
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
            score_mean=score.mean,
            score_confident=score.confident,
            threshold=score.threshold,
            label=score.label,
            detector=self.detector.describe() if self.detector is not None else None,
            frames_analysed=self.frames_analysed,
            frames_with_faces=frames_with_faces,
            faces=len(analysed_samples),
            tracks=len({s.track for s in analysed_samples}),
            signals=summaries,
            frames=frames_out,
            options=self.options.as_dict(),
            device=device_label(self.owner.device),
            seconds=round(time.perf_counter() - started, 3),
            stage_seconds={k: round(v, 3) for k, v in self.stages.seconds.items()},
            map_summary=score.map_summary,
            signal_reference=score.reference,
            score_source=score.source,
        )
