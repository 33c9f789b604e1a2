"""Training faces from ``deepreview extract`` output, cut the way detection cuts them.

``deepreview extract INPUT... -o DIR`` writes ``DIR/<input stem>/`` with
``alignments.json``, ``faces/*.png`` (aligned crops: the face rotated and scaled onto a
mean face) and ``masks/<name>/*.png``. Detection never looks at an aligned crop: it
scores a square with a 30% margin around the face detector's box, cut from the frame
(:func:`~deepreview_workers.pipeline.detection.models.face_crop`). A detector trained on
aligned crops learns from a picture it is never shown, so a training face is made
here as detection makes it: the frame is decoded from the source video again and cut
with ``face_crop``, with the same margin and output size. The box is the one detection
would score: the frame goes through detection's own face detection (shrunk to its
``detect_max_side``, its minimum size and confidence, :class:`DetectionBoxes`) and the
found box that overlaps the stored face most is used. ``extract`` only runs full
detection on keyframes (``--redetect-seconds``) and follows faces in between, and
detects on full-size frames where detection shrinks large ones (over 960 px); its
stored box is off by 2 to 12 px there (a mean difference of 2 to 16 grey levels over
a 256 px crop, measured on a 512 x 388 clip's followed faces and a 1080p clip's
keyframes), and the same only on keyframes of a small video. A face detection does
not find (no box overlapping it by IoU 0.3) keeps its stored box. Otherwise the crop
is the array detection scores, pixel for pixel.

The aligned crop cannot stand in for the frame: the landmarks fill 75% of it, so it
spans about the detector box, while the margin crop spans 1.6 times the box a side
(and is not rotated): the aligned crop holds 23 to 27% of the margin crop's area
(measured on the 512 x 388 and 1080p clips above), so it cannot be warped back into it.

**The source.** ``alignments.json`` names the video (file name and SHA-256), not where
it is. It is looked for by name in the ``source_dirs`` given (``--source-dir``, searched
with their subfolders), then beside the extracted folder and in each folder above it
up to the parent of the training folder, then in the working folder; the first file
of that name whose SHA-256 matches is used. None found is an error naming the video.

**Which faces.** Each face of ``alignments.json`` whose aligned crop is still in
``faces/``: deleting a face image is how a curator drops a face (``deepreview sort``
lists them worst first); masks and other files are never read as faces. A stored
box keeps no ``extract --margin``: it is taken off again. The 68 landmarks come along,
mapped into the crop, for the part-dropping augmentation.

**Identity** (for the identity-disjoint validation split), per class folder
``DATA/real`` or ``DATA/fake``: ``DATA/real/<source>/alignments.json`` (what
``extract V -o DATA/real`` writes) is one person per source, named after the folder;
``DATA/real/<identity>/<source>/alignments.json`` (``extract V... -o
DATA/real/<identity>``) is that identity, shared by ``real`` and ``fake``, so a fake
lands on the same side of the split as its original.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from deepreview_workers.pipeline.alignments import (
    ALIGNMENTS_FILE,
    AlignmentsError,
    AlignmentsFile,
    FaceRecord,
    SourceInfo,
    extracted_folders,
    read_alignments,
)
from deepreview_workers.pipeline.progress import ProgressCallback, no_progress
from deepreview_workers.pipeline.types import Box

CLASS_NAMES = {0: "real", 1: "fake"}


class ExtractedSetError(ValueError):
    """Extract output that cannot give training faces; the message says what to do.
    (``dataset.TrainingDataError`` wraps it, so callers see one error type.)"""


@dataclass(frozen=True)
class Extraction:
    """One folder ``deepreview extract`` wrote for one input, with its class and identity."""

    folder: Path
    label: int  # 0 real, 1 fake
    identity: str | None  # None: the source's own name (alignments.json at the class root)


@dataclass(frozen=True)
class CutFace:
    """A training crop written to disk, with what ``LabeledFace`` needs."""

    path: Path
    label: int
    identity: str
    video: str
    landmarks: np.ndarray  # (68, 2) in the written crop's pixels


def extractions_in(class_folder: Path, label: int) -> list[Extraction]:
    """The extracted folders of ``DATA/real`` or ``DATA/fake`` (see the module docstring):
    the class folder itself, its subfolders, or the subfolders of an identity folder."""
    try:
        found = extracted_folders(class_folder)
    except AlignmentsError:
        found = []
    if found == [class_folder]:
        return [Extraction(class_folder, label, None)]
    out = [Extraction(folder, label, folder.name) for folder in found]
    for child in sorted(p for p in class_folder.iterdir() if p.is_dir()):
        if child in found:
            continue
        with contextlib.suppress(AlignmentsError):  # else a plain folder of images
            out += [Extraction(f, label, child.name) for f in extracted_folders(child)]
    return out


def detector_box(box: Box, extract_margin: float) -> Box:
    """The face detector's own box inside one an ``extract --margin`` grew (the
    inverse of the detector's margin, exact unless the grown box was clipped)."""
    if not extract_margin:
        return tuple(float(v) for v in box)
    x0, y0, x1, y1 = (float(v) for v in box)
    shrink = (1.0 / (1.0 + extract_margin) - 1.0) / 2.0
    dx, dy = (x1 - x0) * shrink, (y1 - y0) * shrink
    return (x0 - dx, y0 - dy, x1 + dx, y1 + dy)


class DetectionBoxes:
    """Face boxes as ``deepreview detect`` finds them in analysed frames
    (``VideoDetector``: frames shrunk to ``detect_max_side``, MTCNN with the minimum size
    scaled alike and detection's confidence threshold, boxes mapped back to source pixels)."""

    def __init__(self, device: str = "auto") -> None:
        from deepreview_workers.pipeline.detection.video import DetectOptions
        from deepreview_workers.pipeline.device import resolve_device

        self.options = DetectOptions(device=device)  # the defaults `detect` runs with
        self.device = resolve_device(device)
        self._detectors: dict[int, object] = {}

    def __call__(self, frames_rgb: Sequence[np.ndarray]) -> list[list[Box]]:
        """Boxes per frame (source pixels); frames of one video, so of one size."""
        from deepreview_workers.pipeline.detection.sampling import scale_box, shrink
        from deepreview_workers.pipeline.face_detectors import detectors

        if not frames_rgb:
            return []
        options = self.options
        shrunk = [shrink(rgb, options.detect_max_side) for rgb in frames_rgb]
        scale = shrunk[0][1]
        min_size = max(12, int(round(options.min_face_size * scale)))
        if min_size not in self._detectors:
            self._detectors[min_size] = detectors.create(
                options.detector,
                device=str(self.device),
                min_face_size=min_size,
                min_confidence=options.min_confidence,
                max_batch=options.batch_size,
            )
        hits = self._detectors[min_size].detect_batch([rgb for rgb, _scale in shrunk])
        return [
            [scale_box(hit.box, 1.0 / frame_scale) for hit in frame_hits]
            for (_rgb, frame_scale), frame_hits in zip(shrunk, hits, strict=True)
        ]


MATCH_IOU = 0.3  # a stored face and a detection box this much overlapped are one face


def matching_box(stored: Box, found: Sequence[Box]) -> Box | None:
    """The box of ``found`` that overlaps ``stored`` most, if by ``MATCH_IOU`` or more."""
    from deepreview_workers.pipeline.tracks import box_iou

    best = max(found, key=lambda box: box_iou(box, stored), default=None)
    return best if best is not None and box_iou(best, stored) >= MATCH_IOU else None


def crop_origin(box: Box, margin: float) -> tuple[int, int, int]:
    """``(x0, y0, side)`` in frame pixels of the square ``face_crop`` cuts (before resizing)."""
    from deepreview_workers.pipeline.detection.models import square_crop_box

    cx, cy, side = square_crop_box(box, margin)
    side_px = max(int(round(side)), 1)
    return int(round(cx - side / 2.0)), int(round(cy - side / 2.0)), side_px


def margin_crop(
    frame_rgb: np.ndarray, face: FaceRecord, box: Box, size: int | None, margin: float
) -> tuple[np.ndarray, np.ndarray]:
    """``face_crop`` of ``box`` (the face's detection box), (S, S, 3) uint8 RGB, and the
    face's 68 landmarks in crop pixels. ``size`` None keeps the square at source
    resolution: resizing that file to any input size (as training does) gives the crop
    ``face_crop`` makes at that size."""
    from deepreview_workers.pipeline.detection.models import face_crop

    x0, y0, side = crop_origin(box, margin)
    out = side if size is None else int(size)
    crop = face_crop(frame_rgb, box, out, margin)
    scale = out / side  # pixel centres: cv2.resize maps x to (x + 0.5) * scale - 0.5
    points = (face.landmarks68.astype(np.float64) - (x0, y0) + 0.5) * scale - 0.5
    return crop, points.astype(np.float32)


def find_source(
    info: SourceInfo,
    folder: Path,
    root: Path,
    source_dirs: Sequence[Path],
    hashes: dict[Path, str],
) -> Path:
    """The source video of ``folder``'s alignments (see the module docstring)."""
    from deepreview_workers.pipeline.video_io import file_sha256

    name = info.file_name
    candidates: list[Path] = []
    for directory in source_dirs:
        directory = Path(directory)
        candidates.append(directory / name)
        for dirpath, dirnames, filenames in os.walk(directory):
            dirnames.sort()
            if name in filenames:
                candidates.append(Path(dirpath) / name)
    folder, root = folder.resolve(), root.resolve()
    nearby = [folder, *folder.parents]
    stop = nearby.index(root.parent) + 1 if root.parent in nearby else 1
    candidates += [directory / name for directory in nearby[:stop]]
    candidates.append(Path.cwd() / name)
    other: list[Path] = []
    seen: set[Path] = set()
    for candidate in candidates:
        resolved = candidate.resolve()
        if resolved in seen or not resolved.is_file():
            continue
        seen.add(resolved)
        if resolved not in hashes:
            hashes[resolved] = file_sha256(resolved)
        if hashes[resolved] == info.sha256:
            return resolved
        other.append(candidate)
    where = f"{', '.join(str(d) for d in source_dirs)} (with subfolders), " if source_dirs else ""
    differ = (
        f"; {', '.join(str(p) for p in other)} has that name but other contents" if other else ""
    )
    raise ExtractedSetError(
        f"{folder / ALIGNMENTS_FILE}: its faces come from {name} (SHA-256 "
        f"{info.sha256[:12]}...), which is not in {where}{folder} or the folders above it "
        f"up to {root.parent}, or the working folder{differ}. Training cuts each face from "
        "the source frame as detection does: pass --source-dir with the folder that holds "
        f"{name}"
    )


def _read(folder: Path) -> AlignmentsFile:
    try:
        return read_alignments(folder / ALIGNMENTS_FILE)
    except AlignmentsError as exc:
        raise ExtractedSetError(f"{folder / ALIGNMENTS_FILE}: {exc}") from None


def cut_extracted_faces(
    extractions: Sequence[Extraction],
    root: Path,
    out_dir: Path,
    *,
    source_dirs: Sequence[Path] = (),
    size: int | None = None,
    margin: float,
    device: str = "auto",
    progress: ProgressCallback = no_progress,
) -> list[CutFace]:
    """Decode each extraction's source frames and write its faces' detection crops as
    PNG under ``out_dir`` (``<class>/<identity>/<folder>/<frame>_<face>.png``)."""
    from deepreview_workers.pipeline.frames import iter_frames
    from deepreview_workers.pipeline.video_io import MediaRejected

    hashes: dict[Path, str] = {}
    out: list[CutFace] = []
    detect = DetectionBoxes(device)
    batch: list = []

    def cut(extraction: Extraction, identity: str, video: str, target: Path, extra: float) -> None:
        """Detect and cut the faces of the frames in ``batch``."""
        found = detect([frame.rgb for frame, _faces in batch])
        for (frame, faces), boxes in zip(batch, found, strict=True):
            for face in faces:
                box = matching_box(face.box, boxes) or detector_box(face.box, extra)
                crop, points = margin_crop(frame.rgb, face, box, size, margin)
                path = target / f"{face.frame_index:07d}_{face.face_index}.png"
                cv2.imwrite(str(path), cv2.cvtColor(crop, cv2.COLOR_RGB2BGR))
                out.append(CutFace(path, extraction.label, identity, video, points))
        batch.clear()

    for number, extraction in enumerate(extractions):
        folder = extraction.folder
        alignments = _read(folder)
        info = alignments.source
        faces = [
            face
            for face in alignments.faces
            if face.crop_path and (folder / face.crop_path).is_file()
        ]
        if not faces:
            continue
        identity = extraction.identity or Path(info.file_name).stem
        progress(number / len(extractions), f"{folder.name}: {len(faces)} faces")
        source = find_source(info, folder, root, source_dirs, hashes)
        extract_margin = float(alignments.options.get("margin") or 0.0)
        by_frame: dict[int, list[FaceRecord]] = defaultdict(list)
        for face in faces:
            by_frame[face.frame_index].append(face)
        target = out_dir / CLASS_NAMES[extraction.label] / identity / f"{number:04d}_{folder.name}"
        target.mkdir(parents=True, exist_ok=True)
        done: set[int] = set()
        wanted = frozenset(by_frame)
        try:
            frames = iter_frames(
                source,
                start_frame=min(wanted),
                end_frame=max(wanted) + 1,
                keep=lambda index, _seconds, w=wanted: index in w,
            )
            for frame in frames:
                if frame.rgb.shape[:2] != (info.height, info.width):
                    raise ExtractedSetError(
                        f"{source}: frames are {frame.rgb.shape[1]}x{frame.rgb.shape[0]}, but "
                        f"{folder / ALIGNMENTS_FILE} was extracted from {info.width}x"
                        f"{info.height} frames"
                    )
                done.add(frame.index)
                batch.append((frame, by_frame[frame.index]))
                if len(batch) >= detect.options.batch_size:
                    cut(extraction, identity, info.file_name, target, extract_margin)
            cut(extraction, identity, info.file_name, target, extract_margin)
        except MediaRejected as exc:
            raise ExtractedSetError(f"{source}: {exc}") from None
        missing = sorted(wanted - done)
        if missing:
            raise ExtractedSetError(
                f"{source} has no frame {missing[0]}, which {folder / ALIGNMENTS_FILE} lists "
                f"({len(missing)} frames missing): is it the video the faces were extracted from?"
            )
    progress(1.0, f"{len(out)} faces cut from their source frames")
    return out


def new_workdir() -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory(prefix="deepreview-train-")
