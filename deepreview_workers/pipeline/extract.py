"""Face extraction: decode once, detect in batches, landmark, align, mask, measure, embed.

    result = extract_media("clip.mp4", "out/", options=ExtractOptions(target_fps=2))

writes into ``out_dir``::

    faces/<frame:07d>_<i>.png            aligned crops (RGB PNG, crop_size px)
    masks/<name>/<frame:07d>_<i>.png     one grey PNG per mask type
    alignments.json                      every face's geometry, metrics, embedding, track

Memory stays flat in video length: frames are processed a batch at a time and
only each face's small metadata is kept; pixels go to disk at once.
"""

from __future__ import annotations

import copy
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

from deepreview_workers.pipeline import quality
from deepreview_workers.pipeline.align import align_face
from deepreview_workers.pipeline.alignments import write_alignments
from deepreview_workers.pipeline.device import device_label, resolve_device
from deepreview_workers.pipeline.embed import Embedder, embedders
from deepreview_workers.pipeline.face_detectors import KeyframeTracker, detectors
from deepreview_workers.pipeline.frames import Frame, iter_frames
from deepreview_workers.pipeline.landmarks import landmarkers
from deepreview_workers.pipeline.masks import maskers
from deepreview_workers.pipeline.options.extract import ExtractOptions
from deepreview_workers.pipeline.pose import head_pose
from deepreview_workers.pipeline.progress import ProgressCallback, no_progress
from deepreview_workers.pipeline.stages import Stages
from deepreview_workers.pipeline.tracks import box_iou, link_tracks
from deepreview_workers.pipeline.types import (
    AlignedFace,
    Box,
    ExtractedFace,
    FaceDetection,
    FaceMetrics,
)
from deepreview_workers.pipeline.video_io import file_sha256, probe_media

_EMPTY = np.zeros((0, 0, 3), dtype=np.uint8)


@dataclass(frozen=True)
class SavedFace:
    """A face whose pixels are on disk; ``face`` keeps only metadata (no crop, no masks)."""

    face: ExtractedFace
    crop_path: str  # relative to out_dir
    mask_paths: dict[str, str]


@dataclass(frozen=True)
class ExtractionSummary:
    source: str
    frames_read: int
    frames_sampled: int
    faces_kept: int
    faces_dropped: dict[str, int]
    seconds: float
    device: str
    stage_seconds: dict[str, float] = field(default_factory=dict)
    # Sampled frames by how faces were found: full detection, followed, lost and redone.
    detection_frames: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ExtractionResult:
    faces: tuple[SavedFace, ...]
    summary: ExtractionSummary
    alignments_path: Path


class Extractor:
    """Loaded models for one set of options; reuse it for many inputs (CLI, tests)."""

    def __init__(self, options: ExtractOptions) -> None:
        self.options = options
        self.device = resolve_device(options.device)
        self.detector = detectors.create(
            options.detector,
            device=str(self.device),
            min_face_size=options.min_face_size,
            min_confidence=options.min_confidence,
            margin=options.margin,
            max_batch=options.batch_size,
        )
        self.landmarker = landmarkers.create(options.landmarker)
        self.embedder = embedders.create(options.embedder)
        self.maskers = {name: maskers.create(name) for name in options.masks}

    def for_segment(self, start_frame: int, end_frame: int | None) -> Extractor:
        """The same loaded models on frames [start_frame, end_frame) only."""
        segment = copy.copy(self)
        segment.options = replace(self.options, start_frame=start_frame, end_frame=end_frame)
        return segment

    def run(
        self,
        path: str | Path,
        out_dir: str | Path,
        *,
        progress: ProgressCallback = no_progress,
        sha256: str | None = None,
    ) -> ExtractionResult:
        """Extract ``path`` into ``out_dir``. ``sha256``: the file's digest when the caller
        already knows it (a stored upload), so a long video is not read once more to hash it."""
        path, out_dir = Path(path), Path(out_dir)
        options = self.options
        started = time.perf_counter()
        probe = probe_media(path)
        end = min(options.end_frame or probe.frame_count, probe.frame_count)
        total = max(end - options.start_frame, 1)
        (out_dir / "faces").mkdir(parents=True, exist_ok=True)
        for name in self.maskers:
            (out_dir / "masks" / name).mkdir(parents=True, exist_ok=True)

        stages = Stages()
        self._track_embeddings = _TrackEmbeddings(self.embedder, options.embed_interval_seconds)
        dropped: Counter[str] = Counter()
        saved: list[SavedFace] = []
        sampled = 0
        frames = iter_frames(
            path, start_frame=options.start_frame, end_frame=end, keep=options.frame_filter()
        )
        progress(0.0, "Decoding")

        def report(frame: Frame) -> None:
            # Per sampled frame, so cancel is honoured within one frame, not one batch.
            done = frame.index - options.start_frame + 1
            progress(min(done / total, 0.99), f"Frame {frame.index + 1} of {end}")

        tracker = KeyframeTracker(self.detector, options.redetect_seconds)
        for batch in _batches(frames, options.batch_size, stages, report):
            sampled += len(batch)
            detections = tracker.detect_batch(batch)
            dropped.update(tracker.last_dropped)
            stages.lap("detect")
            for frame, hits in zip(batch, detections, strict=True):
                saved.extend(self._faces_of_frame(frame, hits, out_dir, stages))
            report(batch[-1])  # detection of a batch is the long wait: show it moved
        saved = _with_tracks(saved)
        stages.lap("tracks")
        summary = ExtractionSummary(
            source=path.name,
            frames_read=total,
            frames_sampled=sampled,
            faces_kept=len(saved),
            faces_dropped=dict(dropped),
            seconds=round(time.perf_counter() - started, 3),
            device=device_label(self.device),
            stage_seconds={k: round(v, 3) for k, v in stages.seconds.items()},
            detection_frames=dict(tracker.counts),
        )
        source = {
            "name": path.name,
            "sha256": sha256 or file_sha256(path),
            "frame_count": probe.frame_count,
            "fps": probe.fps,
            "width": probe.width,
            "height": probe.height,
        }
        alignments_path = out_dir / "alignments.json"
        write_alignments(alignments_path, source=source, options=asdict(options), faces=saved)
        progress(1.0, f"{len(saved)} faces from {sampled} frames")
        return ExtractionResult(tuple(saved), summary, alignments_path)

    def _faces_of_frame(
        self, frame: Frame, hits: list[FaceDetection], out_dir: Path, stages: Stages
    ) -> list[SavedFace]:
        if not hits:
            return []
        options = self.options
        landmarks = self.landmarker.predict(frame.rgb, [hit.box for hit in hits])
        stages.lap("landmarks")
        embeddings = self._track_embeddings.embed(frame, [hit.box for hit in hits], landmarks)
        stages.lap("embed")
        faces = []
        for face_index, (hit, points, embedding) in enumerate(
            zip(hits, landmarks, embeddings, strict=True)
        ):
            aligned = align_face(frame.rgb, points, size=options.crop_size)
            masks = {
                name: masker.make(aligned.landmarks68_aligned, aligned.size)
                for name, masker in self.maskers.items()
            }
            stages.lap("align_mask")
            metrics = _metrics(frame, hit, points, aligned, masks.get("components"))
            stages.lap("metrics")
            stem = f"{frame.index:07d}_{face_index}"
            crop_path = f"faces/{stem}.png"
            cv2.imwrite(str(out_dir / crop_path), cv2.cvtColor(aligned.crop_rgb, cv2.COLOR_RGB2BGR))
            mask_paths = {}
            for name, mask in masks.items():
                mask_paths[name] = f"masks/{name}/{stem}.png"
                cv2.imwrite(str(out_dir / mask_paths[name]), mask)
            stages.lap("write")
            record = ExtractedFace(
                frame_index=frame.index,
                pts_seconds=frame.pts_seconds,
                face_index=face_index,
                detection=hit,
                landmarks68=np.asarray(points, dtype=np.float32),
                # Pixels are on disk now; keeping them would grow memory with video length.
                aligned=replace(aligned, crop_rgb=_EMPTY),
                masks={},
                metrics=metrics,
                embedding=np.asarray(embedding, dtype=np.float32),
                embedder=options.embedder,
            )
            faces.append(SavedFace(record, crop_path, mask_paths))
        return faces


class _TrackEmbeddings:
    """Embeds a face only when its track has no embedding younger than ``interval``.

    A face continues a track when its box overlaps (IoU >= 0.5) a face of the
    previous sampled frame; it then inherits that face's embedding.
    """

    def __init__(self, embedder: Embedder, interval: float) -> None:
        self.embedder = embedder
        self.interval = interval
        # (box, pts of the embedded face, embedding) of the previous sampled frame
        self._previous: list[tuple[Box, float, np.ndarray]] = []

    def embed(self, frame: Frame, boxes: list[Box], landmarks: np.ndarray) -> list[np.ndarray]:
        inherited: list[tuple[float, np.ndarray] | None] = []
        free = list(self._previous)
        for box in boxes:
            best = max(free, key=lambda prev: box_iou(box, prev[0]), default=None)
            fresh = best is not None and frame.pts_seconds - best[1] < self.interval
            if fresh and box_iou(box, best[0]) >= 0.5:
                free.remove(best)
                inherited.append((best[1], best[2]))
            else:
                inherited.append(None)
        need = [i for i, match in enumerate(inherited) if match is None]
        computed = self.embedder.embed(frame.rgb, landmarks[need]) if need else []
        for i, vector in zip(need, computed, strict=True):
            inherited[i] = (frame.pts_seconds, np.asarray(vector, dtype=np.float32))
        self._previous = [(box, *match) for box, match in zip(boxes, inherited, strict=True)]
        return [match[1] for match in inherited]


def _batches(
    frames: Iterator[Frame], size: int, stages: Stages, report: Callable[[Frame], None]
) -> Iterator[list[Frame]]:
    batch: list[Frame] = []
    for frame in frames:
        report(frame)
        batch.append(frame)
        if len(batch) == size:
            stages.lap("decode")
            yield batch
            batch = []
    if batch:
        stages.lap("decode")
        yield batch


def _metrics(
    frame: Frame,
    hit: FaceDetection,
    points: np.ndarray,
    aligned: AlignedFace,
    mask: np.ndarray | None,
) -> FaceMetrics:
    return face_metrics(
        aligned.crop_rgb, mask, hit.box, points, frame.rgb.shape[:2], confidence=float(hit.score)
    )


def face_metrics(
    crop_rgb: np.ndarray,
    mask: np.ndarray | None,
    box: Box,
    landmarks68: np.ndarray,
    frame_hw: tuple[int, ...],
    *,
    confidence: float,
) -> FaceMetrics:
    """Quality of the aligned crop (inside ``mask``) and head pose from the frame landmarks;
    ``frame_hw``: the source frame's (height, width). Imported faces are measured so too."""
    yaw, pitch, roll = head_pose(landmarks68, frame_hw)
    return FaceMetrics(
        blur=quality.blur_score(crop_rgb, mask),
        face_size=quality.face_size(box),
        brightness=quality.brightness(crop_rgb, mask),
        hue=quality.mean_hue(crop_rgb, mask),
        histogram=quality.colour_histogram(crop_rgb, mask),
        yaw=yaw,
        pitch=pitch,
        roll=roll,
        confidence=confidence,
    )


def _with_tracks(saved: list[SavedFace]) -> list[SavedFace]:
    if not saved:
        return saved
    track_ids = link_tracks(
        [(s.face.frame_index, s.face.detection.box, s.face.embedding) for s in saved]
    )
    return [
        replace(s, face=replace(s.face, track_id=int(track)))
        for s, track in zip(saved, track_ids, strict=True)
    ]


def extract_media(
    path: str | Path,
    out_dir: str | Path,
    *,
    options: ExtractOptions | None = None,
    progress: ProgressCallback = no_progress,
    sha256: str | None = None,
) -> ExtractionResult:
    """Extract every face of one video or image into ``out_dir`` (see the module doc)."""
    extractor = Extractor(options or ExtractOptions())
    return extractor.run(path, out_dir, progress=progress, sha256=sha256)
