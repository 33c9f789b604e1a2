"""Real faces for self-blend training: detector-input crops with their 68 landmarks.

    bank = collect_real_faces([("alice", Path("a.mp4")), ("bob", Path("b.jpg"))])
    bank.crops        # (N, S, S, 3) uint8 RGB, the detector's 30%-margin square crop
    bank.landmarks    # (N, 68, 2) float32, in crop pixels
    bank.groups       # (N,) the identity each face belongs to (for person-level splits)

Each video is decoded once and ``frames_per_video`` frames spread evenly over it are
kept; every face of at least ``min_face_size`` pixels is taken (up to ``max_faces`` per
frame, largest first), detected with MTCNN and landmarked with dlib, exactly as
detection will see it (:func:`~deepreview_workers.pipeline.detection.models.face_crop`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from deepreview_workers.pipeline.detection.models import CROP_MARGIN, square_crop_box
from deepreview_workers.pipeline.detection.sampling import sample_indices
from deepreview_workers.pipeline.device import resolve_device
from deepreview_workers.pipeline.face_detectors import detectors
from deepreview_workers.pipeline.frames import iter_frames
from deepreview_workers.pipeline.landmarks import landmarkers
from deepreview_workers.pipeline.progress import ProgressCallback, no_progress
from deepreview_workers.pipeline.video_io import probe_media

BANK_CROP_SIZE = 256  # stored size; training resizes to the model's input


@dataclass
class RealFaceBank:
    crops: np.ndarray
    landmarks: np.ndarray
    groups: np.ndarray
    sources: np.ndarray

    def __len__(self) -> int:
        return len(self.crops)

    def subset(self, keep: np.ndarray) -> RealFaceBank:
        return RealFaceBank(
            self.crops[keep], self.landmarks[keep], self.groups[keep], self.sources[keep]
        )

    def save(self, path: Path) -> None:
        np.savez_compressed(
            path,
            crops=self.crops,
            landmarks=self.landmarks,
            groups=self.groups,
            sources=self.sources,
        )

    @classmethod
    def load(cls, path: Path) -> RealFaceBank:
        """A bank saved by :meth:`save`; ``ValueError`` saying what to do otherwise."""
        try:
            with np.load(path) as data:
                return cls(data["crops"], data["landmarks"], data["groups"], data["sources"])
        except (OSError, ValueError, KeyError, EOFError) as exc:
            raise ValueError(
                f"{path} is not a saved face bank ({exc}); delete it and the faces are "
                "collected again"
            ) from None


def crop_with_landmarks(
    frame_rgb: np.ndarray, box: tuple, points: np.ndarray, size: int, margin: float = CROP_MARGIN
) -> tuple[np.ndarray, np.ndarray]:
    """The detector's margin crop of one face and its landmarks moved into the crop."""
    from deepreview_workers.pipeline.detection.models import face_crop

    cx, cy, side = square_crop_box(box, margin)
    side_px = max(int(round(side)), 1)
    x0, y0 = int(round(cx - side / 2.0)), int(round(cy - side / 2.0))
    crop = face_crop(frame_rgb, box, size, margin)
    scale = size / side_px
    return crop, ((points - (x0, y0)) * scale).astype(np.float32)


def collect_real_faces(
    sources: Sequence[tuple[str, Path]],
    *,
    frames_per_video: int = 12,
    min_face_size: int = 64,
    max_faces: int = 6,
    size: int = BANK_CROP_SIZE,
    device: str = "cpu",
    progress: ProgressCallback = no_progress,
) -> RealFaceBank:
    """Faces from ``sources`` (identity, image or video path); see the module docstring."""
    detector = detectors.create(
        "mtcnn",
        device=str(resolve_device(device)),
        min_face_size=min_face_size,
        min_confidence=0.95,
        max_batch=frames_per_video,
    )
    landmarker = landmarkers.create("dlib68")
    crops, marks, groups, names = [], [], [], []
    for number, (identity, path) in enumerate(sources):
        progress(number / max(len(sources), 1), f"Faces from {path.name}")
        probe = probe_media(path)
        wanted = set(sample_indices(probe.frame_count, frames_per_video))
        frames = [
            f.rgb
            for f in iter_frames(
                path, end_frame=max(wanted) + 1, keep=lambda i, _s, w=wanted: i in w
            )
        ]
        for rgb, hits in zip(frames, detector.detect_batch(frames), strict=True):
            hits = sorted(
                hits, key=lambda h: (h.box[2] - h.box[0]) * (h.box[3] - h.box[1]), reverse=True
            )[:max_faces]
            if not hits:
                continue
            points = landmarker.predict(rgb, [h.box for h in hits])
            for hit, face_points in zip(hits, points, strict=True):
                crop, local = crop_with_landmarks(rgb, hit.box, face_points, size)
                crops.append(crop)
                marks.append(local)
                groups.append(identity)
                names.append(path.name)
    progress(1.0, f"{len(crops)} faces")
    if not crops:
        raise ValueError("No faces found in the given media")
    return RealFaceBank(np.stack(crops), np.stack(marks), np.asarray(groups), np.asarray(names))
