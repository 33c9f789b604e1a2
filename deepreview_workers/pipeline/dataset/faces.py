"""Face crops of an export: sampled frames, one face each, labels and masks per frame.

For each video, one decoding pass (:func:`~deepreview_workers.pipeline.frames.iter_frames` with a
keep filter) yields the evenly spaced sample frames and the key frames the annotations
need. On each sample frame MTCNN finds faces; the largest is kept, except on a frame
the ground truth marks as manipulated, where the face the mask covers most is kept (the
swapped face, not a bystander). The crop is the face box grown by ``margin`` on each
side, squared, padded with black outside the frame and resized to ``crop_size``
(:func:`~deepreview_workers.pipeline.detection.models.face_crop`, the learned detector's own
cropping). A dlib embedding of each kept face feeds the near-duplicate check.

Crops, masks and key frames go to files in a work folder as they are made, so memory
stays flat however many videos an export holds.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from deepreview_workers.pipeline.dataset.layout import face_name
from deepreview_workers.pipeline.dataset.types import ExportOptions, ExportVideo
from deepreview_workers.pipeline.detection.models import face_crop
from deepreview_workers.pipeline.device import resolve_device
from deepreview_workers.pipeline.embed import embedders
from deepreview_workers.pipeline.face_detectors import detectors
from deepreview_workers.pipeline.frames import Frame, iter_frames
from deepreview_workers.pipeline.landmarks import landmarkers
from deepreview_workers.pipeline.progress import ProgressCallback, no_progress
from deepreview_workers.pipeline.swap.groundtruth import read_ground_truth
from deepreview_workers.pipeline.types import Box, FaceDetection

# Fixed encoder settings: the same pixels always give the same bytes (determinism).
PNG_PARAMS = [cv2.IMWRITE_PNG_COMPRESSION, 6]
JPEG_PARAMS = [cv2.IMWRITE_JPEG_QUALITY, 92, cv2.IMWRITE_JPEG_OPTIMIZE, 0]
_BATCH = 8  # sample frames detected together: MTCNN batches, memory stays bounded


@dataclass(frozen=True)
class SampledFace:
    """One kept face. ``crop``: PNG file, (crop_size, crop_size) RGB; ``mask``: grey PNG
    of the same square cut from the ground-truth mask (manipulated frames of fakes with
    ground truth), else None. ``box``: the detector's ``(x0, y0, x1, y1)`` without margin,
    source pixels. ``embedding``: (128,) float32, L2-normalised (dlib ResNet)."""

    video: str
    frame: int
    face: int  # index within the frame; always 0 (one face per frame is kept)
    label: str  # real | fake: this frame's label
    box: Box
    crop: Path
    mask: Path | None
    embedding: np.ndarray = field(compare=False, repr=False)

    @property
    def name(self) -> str:
        """``<video>_<frame:06d>_<face>.png``: the crop's file name in the export."""
        return face_name(self.video, self.frame, self.face)


@dataclass(frozen=True)
class VideoFaces:
    """What one decoding pass gave: ``key_frames`` maps frame index -> JPEG file (the
    full frame, RGB), ``size`` is the decoded ``(width, height)``."""

    video: str
    sampled: tuple[int, ...]
    faces: tuple[SampledFace, ...]
    key_frames: dict[int, Path]
    size: tuple[int, int] | None


class FaceModels:
    """The detector, landmarker and embedder an export uses, loaded once per build."""

    def __init__(self, options: ExportOptions) -> None:
        device = resolve_device(options.device)
        self.detector = detectors.create(
            "mtcnn", device=device, min_face_size=options.min_face_size
        )
        self.landmarker = landmarkers.create("dlib68")
        self.embedder = embedders.create("dlib_resnet")


def sample_frames(frame_count: int, count: int) -> tuple[int, ...]:
    """``count`` frame indices evenly spaced over ``[0, frame_count)``: the middle of
    ``count`` equal parts. Centred rather than first-and-last because the first and last
    frames are often fades, and a container's frame count can overstate the last one."""
    if frame_count <= 0 or count <= 0:
        return ()
    if frame_count <= count:
        return tuple(range(frame_count))
    return tuple(sorted({int((i + 0.5) * frame_count / count) for i in range(count)}))


def key_frames(video: ExportVideo) -> tuple[int, ...]:
    """The middle frame of each mark that has a region: where its box is drawn."""
    return tuple(
        sorted({(m.start_frame + m.end_frame) // 2 for m in video.marks if m.region is not None})
    )


class GroundTruthMasks:
    """A video's ground-truth masks by *this file's* frame index (the manifest's
    ``output_index``), read from the zip on demand."""

    def __init__(self, path: Path) -> None:
        truth = read_ground_truth(path)  # ValueError for anything but a ground-truth zip
        self.path = path
        self.members: dict[int, str] = {
            int(f.get("output_index", f["frame_index"])): f["mask"]
            for f in truth.frames
            if f["manipulated"] and f["mask"]
        }
        self._zip = zipfile.ZipFile(path)

    @property
    def manipulated(self) -> frozenset[int]:
        return frozenset(self.members)

    def mask(self, frame: int) -> np.ndarray | None:
        """(H, W) uint8 blend weight of ``frame``, or None when it was not manipulated."""
        member = self.members.get(frame)
        if member is None:
            return None
        data = np.frombuffer(self._zip.read(member), np.uint8)
        return cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)

    def close(self) -> None:
        self._zip.close()


def manipulated_frames(video: ExportVideo, truth: GroundTruthMasks | None) -> frozenset[int] | None:
    """Frames of ``video`` labeled fake: the ground truth's manipulated frames when it has
    any, else the inclusive ``manipulated_ranges``; None means every frame (a fake labeled
    as a whole, e.g. by reviewers, with no ranges). Reals: no frame.

    A ground truth that marks no frame at all says nothing about a video labeled fake
    (e.g. one rebuilt by an importer from an export without masks), so it is ignored.
    """
    if video.label != "fake":
        return frozenset()
    if truth is not None and truth.members:
        return truth.manipulated
    if video.manipulated_ranges:
        return frozenset(f for a, b in video.manipulated_ranges for f in range(a, b + 1))
    return None


def _write_image(path: Path, image_rgb_or_grey: np.ndarray, params: list[int]) -> Path:
    image = image_rgb_or_grey
    if image.ndim == 3:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    ok, data = cv2.imencode(path.suffix, image, params)
    if not ok:
        raise RuntimeError(f"could not encode {path.name}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.tobytes())
    return path


def _area(hit: FaceDetection) -> float:
    return (hit.box[2] - hit.box[0]) * (hit.box[3] - hit.box[1])


def choose_face(hits: list[FaceDetection], mask: np.ndarray | None) -> FaceDetection | None:
    """The largest face, or with a ground-truth ``mask`` ((H, W) uint8) the face whose box
    holds the most mask weight (ties and an empty overlap fall back to the largest)."""
    if not hits:
        return None
    if mask is not None:

        def covered(hit: FaceDetection) -> float:
            x0, y0, x1, y1 = (int(round(v)) for v in hit.box)
            return float(mask[max(y0, 0) : max(y1, 0), max(x0, 0) : max(x1, 0)].sum())

        best = max(hits, key=lambda h: (covered(h), _area(h)))
        if covered(best) > 0:
            return best
    return max(hits, key=_area)


def crop_mask(mask: np.ndarray, box: Box, size: int, margin: float) -> np.ndarray:
    """The (size, size) uint8 cut of a full-frame (H, W) mask with the face crop's
    geometry, so mask pixel (y, x) lies on crop pixel (y, x)."""
    return face_crop(np.repeat(mask[:, :, None], 3, axis=2), box, size, margin)[:, :, 0]


def _frames(video: ExportVideo, wanted: set[int], progress: ProgressCallback) -> Iterator[Frame]:
    last = max(wanted)

    def keep(index: int, _seconds: float) -> bool:
        if index % 32 == 0:  # a long decode still lets a cancel through
            progress(index / (last + 1), f"Decoding {video.name}: frame {index}")
        return index in wanted

    return iter_frames(video.path, end_frame=last + 1, keep=keep)


def extract_video_faces(
    video: ExportVideo,
    options: ExportOptions,
    models: FaceModels | None,
    work_dir: Path,
    *,
    faces: bool = True,
    annotation_frames: bool = True,
    progress: ProgressCallback = no_progress,
) -> VideoFaces:
    """Decode ``video`` once; write its face crops (with ``faces``) and its annotation key
    frames (with ``annotation_frames``) under ``work_dir/<video key>/``.

    ``models`` may be None when ``faces`` is False. A video where no face is found gives
    no faces (not an error). Raises ``ValueError``
    for a ground-truth file that is not one, and whatever PyAV reports for a file it
    cannot decode (:class:`~deepreview_workers.pipeline.probe.MediaRejected`).
    """
    if faces and models is None:
        raise ValueError("face crops need the face models")
    samples = set(sample_frames(video.frame_count, options.frames_per_video)) if faces else set()
    keys = set(key_frames(video)) if annotation_frames else set()
    if not samples and not keys:
        return VideoFaces(video.key, (), (), {}, None)
    folder = work_dir / video.key
    truth = GroundTruthMasks(video.ground_truth) if video.ground_truth else None
    fake_frames = manipulated_frames(video, truth)
    kept: list[SampledFace] = []
    stills: dict[int, Path] = {}
    batch: list[Frame] = []
    size: tuple[int, int] | None = None

    def flush() -> None:
        hits = models.detector.detect_batch([f.rgb for f in batch]) if batch else []
        for frame, frame_hits in zip(batch, hits, strict=True):
            face = _face(video, frame, frame_hits, truth, fake_frames, options, models, folder)
            if face is not None:
                kept.append(face)
        batch.clear()

    try:
        for frame in _frames(video, samples | keys, progress):
            size = (frame.rgb.shape[1], frame.rgb.shape[0])
            if frame.index in keys:
                path = folder / "frames" / f"{frame.index:06d}.jpg"
                stills[frame.index] = _write_image(path, frame.rgb, JPEG_PARAMS)
            if frame.index in samples:
                batch.append(frame)
                if len(batch) >= _BATCH:
                    flush()
        flush()
    finally:
        if truth is not None:
            truth.close()
    progress(1.0, f"{video.name}: {len(kept)} faces")
    return VideoFaces(video.key, tuple(sorted(samples)), tuple(kept), stills, size)


def _face(
    video: ExportVideo,
    frame: Frame,
    hits: list[FaceDetection],
    truth: GroundTruthMasks | None,
    fake_frames: frozenset[int] | None,
    options: ExportOptions,
    models: FaceModels,
    folder: Path,
) -> SampledFace | None:
    fake = fake_frames is None or frame.index in fake_frames
    mask = truth.mask(frame.index) if truth is not None and fake else None
    hit = choose_face(hits, mask)
    if hit is None:
        return None
    name = f"{frame.index:06d}_0.png"
    crop = face_crop(frame.rgb, hit.box, options.crop_size, options.margin)
    crop_path = _write_image(folder / "faces" / name, crop, PNG_PARAMS)
    mask_path = None
    if mask is not None:
        cut = crop_mask(mask, hit.box, options.crop_size, options.margin)
        mask_path = _write_image(folder / "masks" / name, cut, PNG_PARAMS)
    landmarks = models.landmarker.predict(frame.rgb, [hit.box])
    embedding = models.embedder.embed(frame.rgb, landmarks)[0]
    return SampledFace(
        video=video.key,
        frame=frame.index,
        face=0,
        label="fake" if fake else "real",
        box=tuple(float(v) for v in hit.box),
        crop=crop_path,
        mask=mask_path,
        embedding=embedding,
    )


__all__ = [
    "FaceModels",
    "GroundTruthMasks",
    "SampledFace",
    "VideoFaces",
    "choose_face",
    "crop_mask",
    "extract_video_faces",
    "key_frames",
    "manipulated_frames",
    "sample_frames",
]
