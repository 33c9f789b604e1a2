"""Labeled face sets for detector training, and the identity-disjoint split.

A set is a folder ``DATA`` of face crops (PNG or JPEG, made with the detector's 30%
margin around the face box, any size), described in one of two ways:

1. A ``labels.csv`` (header ``path,label,identity,video``) or ``labels.jsonl`` (one
   object per line with those keys) in ``DATA``. ``path`` is relative to ``DATA``;
   ``label`` is ``real``/``fake`` (or 0/1); ``identity`` is who the face shows (for a
   swap: who the video is of, so a fake lands on the same side of the split as its
   original); ``video`` is optional. JSON lines may add ``landmarks``: 68 ``[x, y]``
   pairs in crop pixels, used by the part-dropping augmentation. An optional ``mask``
   is a greyscale image of the same crop, 255 where the face was altered (a
   conversion's ground truth): it supervises the detector's manipulation map.
2. Folders: ``DATA/real/<identity>/*.png`` and ``DATA/fake/<identity>/*.png``. The
   first sub-folder name is the identity, shared across ``real`` and ``fake``. Files
   directly in ``real/`` or ``fake/`` have no identity, so each counts as its own; the
   summary says how many, because such a split may put one person on both sides.
   Images under a ``masks/`` folder are never faces and are skipped.
   ``DATA/real`` and ``DATA/fake`` may instead hold what ``deepreview extract -o`` wrote
   (``DATA/real/<source>/alignments.json``, or ``DATA/real/<identity>/<source>/...``):
   then the faces come from the alignments files alone and each crop is cut from its
   source frame as detection cuts it
   (:mod:`~deepreview_workers.pipeline.detection.extracted`). One set is one kind: a
   mix of extract output and plain images is refused with a message.
3. A dataset export (:mod:`deepreview_workers.pipeline.dataset`), as its zip or extracted folder:
   the faces of its ``metadata.csv`` with the export's own identity-disjoint splits
   (training uses its train and validation splits; test stays unseen) and the crop
   margin it was cut with.

The split keeps every identity wholly in training or wholly in validation: a detector
validated on people it was trained on learns faces, not fakes, and looks better than it is.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from deepreview_workers.pipeline.progress import ProgressCallback, no_progress

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
LABELS = {"real": 0, "fake": 1, "0": 0, "1": 1}
CLASS_FOLDERS = (("real", 0), ("fake", 1))
DEFAULT_CROP_MARGIN = 0.3  # models.CROP_MARGIN (not imported: that module imports torch)


class TrainingDataError(ValueError):
    """The labeled set cannot train a detector; the message says why and what to add."""


@dataclass(frozen=True)
class LabeledFace:
    """One training face: ``label`` 1 = fake, 0 = real."""

    path: Path
    label: int
    identity: str
    video: str | None = None
    landmarks: np.ndarray | None = field(default=None, compare=False)  # (68, 2) crop px
    split: str | None = None  # train | validation | test, for faces from an export
    mask: Path | None = field(default=None, compare=False)  # where the crop was altered


@dataclass(frozen=True)
class LabeledVideo:
    """A video whose truth is known, to cut training faces from
    (:func:`~deepreview_workers.pipeline.detection.labeled_videos.cut_labeled_faces`):
    ``frames`` to sample, the largest ``faces_per_frame`` faces of each. ``local_path()``
    gives the file for as long as its context lasts (the web app may download it)."""

    key: str
    name: str
    label: str  # real | fake
    identity: str
    frames: frozenset[int]
    faces_per_frame: int
    local_path: Callable[[], AbstractContextManager[Path]]
    # A conversion's ground-truth zip (swap/groundtruth.py), when the fake has one.
    ground_truth: Callable[[], AbstractContextManager[Path]] | None = None


@dataclass(frozen=True)
class FaceSet:
    faces: tuple[LabeledFace, ...]
    source: str  # "labels.csv", "labels.jsonl", "folders", "extract" or "export"
    identities_from_files: int = 0  # faces without an identity, each counted as its own
    crop_margin: float | None = None  # the margin the crops were cut with, when known
    # Keeps the folder of crops unpacked from an export zip alive as long as the set.
    workdir: object = field(default=None, compare=False, repr=False)

    def summary(self) -> dict:
        counts = Counter(face.label for face in self.faces)
        return {
            "faces": len(self.faces),
            "real": counts.get(0, 0),
            "fake": counts.get(1, 0),
            "identities": len({face.identity for face in self.faces}),
            "source": self.source,
            "identities_from_files": self.identities_from_files,
        }


def _label(value: object, where: str) -> int:
    key = str(value).strip().lower()
    if key not in LABELS:
        raise TrainingDataError(f"{where}: label must be 'real' or 'fake', not {value!r}")
    return LABELS[key]


def _row_face(root: Path, row: dict, where: str) -> LabeledFace:
    if not row.get("path"):
        raise TrainingDataError(f"{where}: 'path' is missing")
    path = (root / str(row["path"])).resolve()
    if not path.is_file():
        raise TrainingDataError(f"{where}: no image at {row['path']}")
    identity = str(row.get("identity") or "").strip()
    if not identity:
        raise TrainingDataError(f"{where}: 'identity' is missing (needed for the split)")
    landmarks = row.get("landmarks")
    points = None
    if landmarks:
        points = np.asarray(landmarks, dtype=np.float32)
        if points.shape != (68, 2):
            raise TrainingDataError(f"{where}: landmarks must be 68 [x, y] pairs")
    video = str(row["video"]) if row.get("video") else None
    mask = None
    if row.get("mask"):
        mask = (root / str(row["mask"])).resolve()
        if not mask.is_file():
            raise TrainingDataError(f"{where}: no mask image at {row['mask']}")
    label = _label(row.get("label"), where)
    return LabeledFace(path, label, identity, video, points, mask=mask)


def is_export(root: str | Path) -> bool:
    """True for a dataset export: a zip or folder with ``export.json`` at its root."""
    root = Path(root)
    if root.is_dir():
        return (root / "export.json").is_file()
    if not zipfile.is_zipfile(root):
        return False
    with zipfile.ZipFile(root) as archive:
        return "export.json" in archive.namelist()


def load_face_set(
    root: str | Path,
    *,
    source_dirs: Sequence[str | Path] = (),
    crop_size: int | None = None,
    crop_margin: float = DEFAULT_CROP_MARGIN,
    device: str = "auto",
    progress: ProgressCallback = no_progress,
) -> FaceSet:
    """Read a labeled set (see the module docstring). Raises ``TrainingDataError`` when
    the folder has no faces; class and identity checks happen at the split.

    For ``deepreview extract`` output only: ``source_dirs`` are searched first for the
    source videos; faces are found again on ``device`` as detection finds them, and
    crops cut with ``crop_margin`` at ``crop_size`` (the model's input size; None keeps
    them at source resolution, which training resizes the same way), into a temporary
    folder that lives as long as the returned set."""
    root = Path(root)
    if root.exists() and is_export(root):
        face_set = _from_export(root)
        if not face_set.faces:
            raise TrainingDataError(
                f"The export {root.name} has no face crops: export it with the imagefolder "
                "format (and videos in which faces are found)"
            )
        return face_set
    if not root.is_dir():
        raise TrainingDataError(
            f"{root} is not a folder of labeled faces or a dataset export (zip or folder)"
        )
    if (root / "labels.csv").is_file():
        with open(root / "labels.csv", newline="") as handle:
            faces = [
                _row_face(root, row, f"labels.csv line {n}")
                for n, row in enumerate(csv.DictReader(handle), start=2)
            ]
        face_set = FaceSet(tuple(faces), "labels.csv")
    elif (root / "labels.jsonl").is_file():
        faces = []
        for n, line in enumerate((root / "labels.jsonl").read_text().splitlines(), start=1):
            if line.strip():
                faces.append(_row_face(root, json.loads(line), f"labels.jsonl line {n}"))
        face_set = FaceSet(tuple(faces), "labels.jsonl")
    else:
        face_set = _from_folders(
            root, [Path(d) for d in source_dirs], crop_size, crop_margin, device, progress
        )
    if not face_set.faces:
        raise TrainingDataError(f"No faces in {root}: {_what_to_add(root)}")
    return face_set


def _what_to_add(root: Path) -> str:
    from deepreview_workers.pipeline.alignments import AlignmentsError, extracted_folders

    try:
        extracted = extracted_folders(root)
    except (AlignmentsError, OSError):
        extracted = []
    if extracted:  # ``extract -o DATA`` without a class folder
        return (
            f"it holds extract output ({extracted[0].name}/alignments.json) but no real/ "
            f"or fake/ folder: extract real videos with -o {root / 'real'} and fakes with "
            f"-o {root / 'fake'}"
        )
    return (
        "put crops in real/<identity>/ and fake/<identity>/ (PNG or JPEG), extract videos "
        f"into them (deepreview extract VIDEO... -o {root / 'real'}), or list crops in "
        "labels.csv"
    )


def _from_export(root: Path) -> FaceSet:
    """Faces of an export with their splits; a zip's crops are unpacked to a temporary
    folder that lives as long as the returned set (``cv2`` reads files, not members)."""
    from deepreview_workers.pipeline.dataset.read import ExportError, read_export

    try:
        contents = read_export(root)
    except ExportError as exc:
        raise TrainingDataError(str(exc)) from None
    workdir = None
    base = root
    if not root.is_dir():
        workdir = tempfile.TemporaryDirectory(prefix="deepreview-train-")
        base = Path(workdir.name)
        with zipfile.ZipFile(root) as archive:
            for face in contents.faces:
                try:
                    archive.extract(face.crop_member, base)  # refuses ".." and absolute names
                    if face.mask_member:
                        archive.extract(face.mask_member, base)
                except KeyError:
                    raise TrainingDataError(
                        f"{root.name}: metadata.csv lists {face.crop_member}, which the zip "
                        "does not hold; export it again"
                    ) from None
    faces = tuple(
        LabeledFace(
            path=(base / face.crop_member).resolve(),
            label=_label(face.label, f"metadata.csv row {face.crop_member}"),
            identity=face.identity,
            video=face.video,
            split=face.split,
            mask=(base / face.mask_member).resolve() if face.mask_member else None,
        )
        for face in contents.faces
    )
    margin = (contents.info.get("options") or {}).get("margin")
    return FaceSet(
        faces,
        "export",
        crop_margin=float(margin) if margin is not None else None,
        workdir=workdir,
    )


def _from_folders(
    root: Path,
    source_dirs: Sequence[Path] = (),
    crop_size: int | None = None,
    crop_margin: float = DEFAULT_CROP_MARGIN,
    device: str = "auto",
    progress: ProgressCallback = no_progress,
) -> FaceSet:
    from deepreview_workers.pipeline.detection.extracted import extractions_in

    extractions = []
    images: list[tuple[Path, int, Path]] = []  # (image, label, class folder)
    for name, label in CLASS_FOLDERS:
        folder = root / name
        if folder.is_dir():
            found = extractions_in(folder, label)
            extractions += found
            images += [(p, label, folder) for p in _plain_images(folder, found)]
    if extractions and images:
        example = images[0][0]
        raise TrainingDataError(
            f"{root} mixes `deepreview extract` output ({len(extractions)} folders with "
            f"alignments.json, e.g. {extractions[0].folder}) with {len(images)} other face "
            f"images (e.g. {example}). Extracted faces are cut from their source frames as "
            "detection cuts them; other images are taken as they are, and a detector learns "
            "how its crops were made as readily as whether they are fake. Train on one kind: "
            f"move the other images out of {root}, or extract their videos"
        )
    if extractions:
        return _from_extractions(
            root, extractions, source_dirs, crop_size, crop_margin, device, progress
        )
    faces: list[LabeledFace] = []
    loose = 0
    for path, label, folder in images:
        parts = path.relative_to(folder).parts
        if len(parts) > 1:
            identity = parts[0]
        else:
            identity, loose = f"{folder.name}/{path.stem}", loose + 1
        faces.append(LabeledFace(path, label, identity))
    return FaceSet(tuple(faces), "folders", identities_from_files=loose)


def _plain_images(folder: Path, extractions: Sequence) -> list[Path]:
    """Face images under ``folder`` outside the extracted folders, ``masks/`` skipped.
    An extract layout whose alignments file is missing or too deep is refused."""
    from deepreview_workers.pipeline.alignments import ALIGNMENTS_FILE

    skip = {extraction.folder for extraction in extractions}
    out = []
    for dirpath, dirnames, filenames in os.walk(folder):
        here = Path(dirpath)
        if here in skip:
            dirnames[:] = []
            continue
        dirnames.sort()
        if ALIGNMENTS_FILE in filenames:
            raise TrainingDataError(
                f"{here / ALIGNMENTS_FILE} is deeper than train-detector reads extract output: "
                f"use {folder}/<source>/ (deepreview extract VIDEO -o {folder}) or "
                f"{folder}/<identity>/<source>/ (-o {folder}/<identity>)"
            )
        if "faces" in dirnames and "masks" in dirnames:
            raise TrainingDataError(
                f"{here} looks like `deepreview extract` output without its "
                f"{ALIGNMENTS_FILE}: its faces/ are aligned crops, not the margin crops "
                "detection scores. Put the alignments file back (training cuts the crops "
                "from the source video) or extract the video again"
            )
        if "masks" in dirnames:
            dirnames.remove("masks")  # extract's masks: grey images, not faces
        out += [
            here / name
            for name in sorted(filenames)
            if Path(name).suffix.lower() in IMAGE_SUFFIXES and (here / name).is_file()
        ]
    return sorted(out)  # the order rglob gave, so splits stay as they were


def _from_extractions(
    root: Path,
    extractions: Sequence,
    source_dirs: Sequence[Path],
    crop_size: int | None,
    crop_margin: float,
    device: str,
    progress: ProgressCallback,
) -> FaceSet:
    from deepreview_workers.pipeline.detection.extracted import (
        ExtractedSetError,
        cut_extracted_faces,
        new_workdir,
    )

    workdir = new_workdir()
    try:
        cut = cut_extracted_faces(
            extractions,
            root,
            Path(workdir.name),
            source_dirs=source_dirs,
            size=crop_size,
            margin=crop_margin,
            device=device,
            progress=progress,
        )
    except ExtractedSetError as exc:
        workdir.cleanup()
        raise TrainingDataError(str(exc)) from None
    except BaseException:
        workdir.cleanup()
        raise
    faces = tuple(
        LabeledFace(face.path, face.label, face.identity, face.video, face.landmarks)
        for face in cut
    )
    return FaceSet(faces, "extract", crop_margin=crop_margin, workdir=workdir)


@dataclass(frozen=True)
class Split:
    """Indices into the face list; identities never appear on both sides."""

    train: tuple[int, ...]
    val: tuple[int, ...]
    train_identities: tuple[str, ...]
    val_identities: tuple[str, ...]

    def summary(self, faces: Sequence[LabeledFace]) -> dict:
        def count(indices: tuple[int, ...]) -> dict[str, int]:
            labels = Counter(faces[i].label for i in indices)
            return {"faces": len(indices), "real": labels.get(0, 0), "fake": labels.get(1, 0)}

        return {
            "train": {**count(self.train), "identities": len(self.train_identities)},
            "val": {**count(self.val), "identities": len(self.val_identities)},
        }


def _side_ok(labels: set[int], self_blends: bool) -> bool:
    """A split side can teach and be measured: real and fake faces, or (when self-blends
    of its reals stand in for fakes) real faces at least."""
    return 0 in labels if self_blends else labels == {0, 1}


def _side_needs(self_blends: bool) -> str:
    """What each side of a split must hold, in words for a refusal."""
    return (
        "real faces (self-blends of them are its fakes)" if self_blends else "real and fake faces"
    )


def export_split(faces: Sequence[LabeledFace], *, self_blends: bool = False) -> Split:
    """The split an export made (its ``train`` and ``validation`` faces; ``test`` faces
    are left out), already identity-disjoint. Raises ``TrainingDataError`` when either
    side lacks real or fake faces (only real ones with ``self_blends``), saying how to
    export differently."""
    train = tuple(i for i, face in enumerate(faces) if face.split == "train")
    val = tuple(i for i, face in enumerate(faces) if face.split == "validation")
    for name, indices in (("train", train), ("validation", val)):
        labels = {faces[i].label for i in indices}
        if not _side_ok(labels, self_blends):
            have = ", ".join(sorted("fake" if x else "real" for x in labels)) or "no"
            raise TrainingDataError(
                f"The export's {name} split has {have} faces: training needs "
                f"{_side_needs(self_blends)} in both train and validation. Export again with "
                "a validation ratio above 0 and a different seed, or with more labeled "
                "videos of other people"
            )

    def people(indices: tuple[int, ...]) -> tuple[str, ...]:
        return tuple(sorted({faces[i].identity for i in indices}))

    return Split(train, val, people(train), people(val))


def split_by_identity(
    faces: Sequence[LabeledFace],
    *,
    val_fraction: float = 0.2,
    seed: int = 0,
    attempts: int = 64,
    self_blends: bool = False,
) -> Split:
    """Identity-disjoint train/validation split, deterministic for a seed.

    Identities are shuffled (seeded) and moved to validation until it holds about
    ``val_fraction`` of the faces (an identity that would overshoot it by more than a
    quarter is passed over); a split is accepted when both sides have real and fake
    faces, trying up to ``attempts`` shuffles. With ``self_blends`` (self-blends of a
    side's reals stand in for the fakes it lacks) both sides need real faces only.
    Raises ``TrainingDataError`` for a set with no faces, one class only (no fakes is
    fine with ``self_blends``, no reals never is), or too few identities to split that way.
    """
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
    if not faces:
        raise TrainingDataError("No faces to train on")
    labels = Counter(face.label for face in faces)
    if 0 not in labels:
        raise TrainingDataError(f"All {len(faces)} faces are fake: a detector needs real faces too")
    if 1 not in labels and not self_blends:
        raise TrainingDataError(
            f"All {len(faces)} faces are real: a detector needs fakes too; set "
            "'Self-blended fakes' above 0 to make them from these real faces"
        )
    by_identity: dict[str, list[int]] = defaultdict(list)
    for index, face in enumerate(faces):
        by_identity[face.identity].append(index)
    names = sorted(by_identity)
    if len(names) < 2:
        raise TrainingDataError(
            f"Only {len(names)} identity: an identity-disjoint validation split needs at "
            f"least two people, with {_side_needs(self_blends)} on both sides"
        )
    rng = np.random.default_rng(seed)
    target = val_fraction * len(faces)
    for _attempt in range(attempts):
        order = [names[i] for i in rng.permutation(len(names))]
        val_names: list[str] = []
        val_count = 0
        for name in order[:-1]:  # at least one identity stays in training
            size = len(by_identity[name])
            # Skip a big identity that would overshoot the target; a later one may fit.
            if val_names and val_count + size > 1.25 * target:
                continue
            val_names.append(name)
            val_count += size
            if val_count >= target:
                break
        train_names = [name for name in order if name not in set(val_names)]
        train = sorted(i for name in train_names for i in by_identity[name])
        val = sorted(i for name in val_names for i in by_identity[name])
        sides = ({faces[i].label for i in train}, {faces[i].label for i in val})
        if all(_side_ok(labels, self_blends) for labels in sides):
            return Split(
                tuple(train), tuple(val), tuple(sorted(train_names)), tuple(sorted(val_names))
            )
    raise TrainingDataError(
        f"Too few identities to split: no identity-disjoint split of the {len(names)} "
        f"identities gives {_side_needs(self_blends)} on both the training and validation "
        "sides; add labeled videos of more people"
    )
