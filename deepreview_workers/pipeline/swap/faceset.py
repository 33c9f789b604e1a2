"""Facesets for training: aligned face crops of one identity with their aligned landmarks.

An extracted folder (what ``deepreview extract -o DIR`` /
:mod:`deepreview_workers.pipeline.extract` writes: ``DIR`` itself or ``DIR`` holding one
such folder per input) is read through its ``alignments.json``: each face's crop is
``faces/<frame:07d>_<i>.png`` and its aligned landmarks are the stored 68 source-frame
landmarks mapped through the stored frame->crop matrix, so no detector or landmarker
runs here.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import astuple, dataclass
from pathlib import Path

import cv2
import numpy as np

from deepreview_workers.pipeline.align import transform_points, umeyama
from deepreview_workers.pipeline.alignments import (
    ALIGNMENTS_FILE,
    AlignmentsError,
    FaceRecord,
    extracted_folders,
    read_alignments,
)
from deepreview_workers.pipeline.mean_face import MEAN_FACE_2D, MEAN_FACE_FIRST
from deepreview_workers.pipeline.progress import ProgressCallback, no_progress
from deepreview_workers.pipeline.swap.errors import SwapInputError
from deepreview_workers.pipeline.swap.models import FaceGeometry
from deepreview_workers.pipeline.types import StoredFaceCrop

# Faces of one faceset may differ this much in mean-face coverage before we refuse to mix
# them: a model trained on two zoom levels blurs both.
_GEOMETRY_TOLERANCE = 0.02


@dataclass(frozen=True, eq=False)
class Faceset:
    """Aligned crops of one identity.

    ``images``: (N, S, S, 3) uint8 RGB; ``landmarks``: (N, 68, 2) float32 crop pixels;
    ``names``: where each face came from (for messages and previews).
    """

    images: np.ndarray
    landmarks: np.ndarray
    names: tuple[str, ...]
    label: str = ""

    def __post_init__(self) -> None:
        count = len(self.images)
        # An empty faceset may have any image shape.
        if count and self.images.shape[1:] != (self.size, self.size, 3):
            raise ValueError(f"images must be (N, S, S, 3), got {self.images.shape}")
        if self.landmarks.shape != (count, 68, 2) or len(self.names) != count:
            raise ValueError("images, landmarks and names must have one entry per face")

    def __len__(self) -> int:
        return len(self.images)

    @property
    def size(self) -> int:
        return int(self.images.shape[1]) if self.images.ndim == 4 else 0

    def geometry(self) -> FaceGeometry:
        """Where the mean face sits in these crops (median over the faces)."""
        if not len(self):
            raise SwapInputError(f"faceset {self.label!r} has no faces")
        return _median_geometry(self.landmarks, self.size, self.label)

    def resized(self, size: int) -> Faceset:
        """The same faces at ``size`` x ``size`` (area filter when shrinking)."""
        if size == self.size:
            return self
        interpolation = cv2.INTER_AREA if size < self.size else cv2.INTER_CUBIC
        images = (
            np.stack(
                [
                    cv2.resize(image, (size, size), interpolation=interpolation)
                    for image in self.images
                ]
            )
            if len(self)
            else np.zeros((0, size, size, 3), np.uint8)
        )
        scale = size / self.size
        # Pixel centres: x_new + 0.5 = (x_old + 0.5) * scale, as cv2.resize samples.
        landmarks = ((self.landmarks + 0.5) * scale - 0.5).astype(np.float32)
        return Faceset(images, landmarks, self.names, self.label)


def crop_geometry(landmarks_aligned: np.ndarray, size: int) -> FaceGeometry:
    """The placement of the mean face that produced these crop landmarks.

    Fitting the crop landmarks back onto the mean face gives the inverse of the crop
    placement exactly (Umeyama's fit is equivariant under similarity transforms), so the
    training faces' framing is read from the data rather than assumed.
    """
    to_unit = umeyama(np.asarray(landmarks_aligned)[MEAN_FACE_FIRST:], MEAN_FACE_2D)
    to_crop = np.linalg.inv(to_unit)
    span = float(np.sqrt(abs(np.linalg.det(to_crop[:2, :2]))))
    # Continuous coordinates: pixel index + 0.5 (see FaceGeometry).
    centred = (size - span) / 2.0
    return FaceGeometry(
        coverage=span / size,
        x_offset=float(to_crop[0, 2] + 0.5 - centred) / size,
        y_offset=float(to_crop[1, 2] + 0.5 - centred) / size,
    )


def _median_geometry(landmarks: np.ndarray, size: int, label: str) -> FaceGeometry:
    found = np.array([astuple(crop_geometry(points, size)) for points in landmarks])
    median = np.median(found, axis=0)
    if np.abs(found - median).max() > _GEOMETRY_TOLERANCE:
        coverage = found[:, 0]
        raise SwapInputError(
            f"faceset {label} mixes faces aligned with different framing (coverage "
            f"{coverage.min():.3f}..{coverage.max():.3f}); re-extract them with one crop setting"
        )
    return FaceGeometry(*(float(v) for v in median))


def _read_rgb(path: Path) -> np.ndarray | None:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    return None if image is None else cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def load_faceset_folder(
    folder: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    size: int | None = None,
    keep: Callable[[FaceRecord], bool] | None = None,
    label: str = "",
) -> Faceset:
    """Read the faces of one extracted folder (or several, merged) into a ``Faceset``.

    ``size``: resize the crops to this side on load (saves memory: training needs only
    about model size / coverage, see ``train.faceset_size``); None keeps the stored size.
    ``keep``: a filter on the stored face records (e.g. the web app's curated selection).
    Faces whose crop file is missing are skipped (a curator may have deleted them).
    Raises ``SwapInputError`` when a folder has no readable alignments file.
    """
    folders = [folder] if isinstance(folder, str | os.PathLike) else list(folder)
    label = label or ", ".join(Path(f).name for f in folders)
    paths: list[Path] = []
    points: list[np.ndarray] = []
    for one in folders:
        for path, landmarks in _faces_in_folder(Path(one), keep):
            paths.append(path)
            points.append(landmarks)
    with ThreadPoolExecutor(max_workers=4) as pool:  # cv2 releases the GIL while decoding
        images = list(pool.map(_read_rgb, paths))
    found = [i for i, image in enumerate(images) if image is not None]
    target = size or (images[found[0]].shape[0] if found else 0)
    crops, marks, names = [], [], []
    for i in found:
        image = images[i]
        scale = target / image.shape[0]
        if image.shape[0] != target:
            image = cv2.resize(image, (target, target), interpolation=cv2.INTER_AREA)
        crops.append(image)
        marks.append((points[i] + 0.5) * scale - 0.5)
        names.append(str(paths[i]))
    if not crops:
        return empty_faceset(target, label)
    return Faceset(np.stack(crops), np.stack(marks).astype(np.float32), tuple(names), label)


def faceset_from_crops(
    crops: Sequence[StoredFaceCrop],
    size: int,
    *,
    label: str = "",
    progress: ProgressCallback = no_progress,
) -> Faceset:
    """Every crop at ``size`` px with its landmarks in crop pixels (the web app's curated
    faces). The landmarks come from the stored source-frame landmarks and frame->crop
    matrix, scaled to ``size``; nothing is detected again. Raises ``ValueError`` for a
    crop that cannot be decoded."""
    images = np.zeros((len(crops), size, size, 3), np.uint8)
    landmarks = np.zeros((len(crops), 68, 2), np.float32)
    for i, crop in enumerate(crops):
        bgr = cv2.imdecode(np.frombuffer(crop.read(), np.uint8), cv2.IMREAD_COLOR)
        if bgr is None:
            raise ValueError(f"{crop.name.capitalize()}'s stored crop cannot be read.")
        scale = size / crop.crop_size
        interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
        images[i] = cv2.cvtColor(
            cv2.resize(bgr, (size, size), interpolation=interpolation), cv2.COLOR_BGR2RGB
        )
        points = transform_points(np.asarray(crop.landmarks68), np.asarray(crop.matrix))
        # Pixel centres: x_new + 0.5 = (x_old + 0.5) * scale, as cv2.resize samples.
        landmarks[i] = (points + 0.5) * scale - 0.5
        if i % 50 == 0:
            progress(i / max(len(crops), 1), f"Loading faces of {label}")
    return Faceset(images, landmarks, tuple(crop.name for crop in crops), label=label)


def _faces_in_folder(
    folder: Path, keep: Callable[[FaceRecord], bool] | None
) -> Iterable[tuple[Path, np.ndarray]]:
    try:
        sources = extracted_folders(folder)
    except AlignmentsError as exc:
        raise SwapInputError(str(exc)) from None
    for source in sources:
        alignments_path = source / ALIGNMENTS_FILE
        try:
            alignments = read_alignments(alignments_path)
        except AlignmentsError as exc:
            raise SwapInputError(f"{alignments_path}: {exc}") from None
        for face in alignments.faces:
            if face.crop_path is None or (keep is not None and not keep(face)):
                continue
            aligned = transform_points(face.landmarks68, face.matrix).astype(np.float32)
            yield source / face.crop_path, aligned


def empty_faceset(size: int = 0, label: str = "") -> Faceset:
    return Faceset(
        np.zeros((0, size, size, 3), np.uint8), np.zeros((0, 68, 2), np.float32), (), label
    )


def merge_facesets(facesets: Iterable[Faceset], label: str = "") -> Faceset:
    """One faceset from several (resized to the first one's crop size)."""
    parts = [f for f in facesets if len(f)]
    if not parts:
        return empty_faceset(0, label)
    size = parts[0].size
    parts = [part.resized(size) for part in parts]
    return Faceset(
        np.concatenate([p.images for p in parts]),
        np.concatenate([p.landmarks for p in parts]),
        tuple(name for p in parts for name in p.names),
        label or " + ".join(p.label for p in parts),
    )
