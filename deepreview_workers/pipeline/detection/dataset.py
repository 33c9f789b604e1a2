"""Labeled face sets for detector training, and the identity-disjoint split.

A set is a folder ``DATA`` of face crops (PNG or JPEG, made with the detector's 30%
margin around the face box, any size), described in one of two ways:

1. A ``labels.csv`` (header ``path,label,identity,video``) or ``labels.jsonl`` (one
   object per line with those keys) in ``DATA``. ``path`` is relative to ``DATA``;
   ``label`` is ``real``/``fake`` (or 0/1); ``identity`` is who the face shows (for a
   swap: who the video is of, so a fake lands on the same side of the split as its
   original); ``video`` is optional. JSON lines may add ``landmarks``: 68 ``[x, y]``
   pairs in crop pixels, used by the part-dropping augmentation.
2. Folders: ``DATA/real/<identity>/*.png`` and ``DATA/fake/<identity>/*.png``. The
   first sub-folder name is the identity, shared across ``real`` and ``fake``. Files
   directly in ``real/`` or ``fake/`` have no identity, so each counts as its own; the
   summary says how many, because such a split may put one person on both sides.
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
import tempfile
import zipfile
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
LABELS = {"real": 0, "fake": 1, "0": 0, "1": 1}


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


@dataclass(frozen=True)
class FaceSet:
    faces: tuple[LabeledFace, ...]
    source: str  # "labels.csv", "labels.jsonl", "folders" or "export"
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
    return LabeledFace(path, _label(row.get("label"), where), identity, video, points)


def is_export(root: str | Path) -> bool:
    """True for a dataset export: a zip or folder with ``export.json`` at its root."""
    root = Path(root)
    if root.is_dir():
        return (root / "export.json").is_file()
    if not zipfile.is_zipfile(root):
        return False
    with zipfile.ZipFile(root) as archive:
        return "export.json" in archive.namelist()


def load_face_set(root: str | Path) -> FaceSet:
    """Read a labeled set (see the module docstring). Raises ``TrainingDataError`` when
    the folder has no faces; class and identity checks happen at the split."""
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
        face_set = _from_folders(root)
    if not face_set.faces:
        raise TrainingDataError(
            f"No faces in {root}: put crops in real/<identity>/ and fake/<identity>/ "
            "(PNG or JPEG), or list them in labels.csv"
        )
    return face_set


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


def _from_folders(root: Path) -> FaceSet:
    faces: list[LabeledFace] = []
    loose = 0
    for name, label in (("real", 0), ("fake", 1)):
        folder = root / name
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.suffix.lower() not in IMAGE_SUFFIXES or not path.is_file():
                continue
            parts = path.relative_to(folder).parts
            if len(parts) > 1:
                identity = parts[0]
            else:
                identity, loose = f"{name}/{path.stem}", loose + 1
            faces.append(LabeledFace(path, label, identity))
    return FaceSet(tuple(faces), "folders", identities_from_files=loose)


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


def export_split(faces: Sequence[LabeledFace]) -> Split:
    """The split an export made (its ``train`` and ``validation`` faces; ``test`` faces
    are left out), already identity-disjoint. Raises ``TrainingDataError`` when either
    side lacks real or fake faces, saying how to export differently."""
    train = tuple(i for i, face in enumerate(faces) if face.split == "train")
    val = tuple(i for i, face in enumerate(faces) if face.split == "validation")
    for name, indices in (("train", train), ("validation", val)):
        labels = {faces[i].label for i in indices}
        if labels != {0, 1}:
            have = ", ".join(sorted("fake" if x else "real" for x in labels)) or "no"
            raise TrainingDataError(
                f"The export's {name} split has {have} faces: training needs real and fake "
                "faces in both train and validation. Export again with a validation ratio "
                "above 0 and a different seed, or with more labeled fakes and reals of "
                "other people"
            )

    def people(indices: tuple[int, ...]) -> tuple[str, ...]:
        return tuple(sorted({faces[i].identity for i in indices}))

    return Split(train, val, people(train), people(val))


def split_by_identity(
    faces: Sequence[LabeledFace], *, val_fraction: float = 0.2, seed: int = 0, attempts: int = 64
) -> Split:
    """Identity-disjoint train/validation split, deterministic for a seed.

    Identities are shuffled (seeded) and moved to validation until it holds about
    ``val_fraction`` of the faces (an identity that would overshoot it by more than a
    quarter is passed over); a split is accepted when both sides have real and fake
    faces, trying up to ``attempts`` shuffles. Raises ``TrainingDataError`` for a set
    with no faces, one class only, or too few identities to split that way.
    """
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
    if not faces:
        raise TrainingDataError("No faces to train on")
    labels = Counter(face.label for face in faces)
    if len(labels) < 2:
        only = "real" if 0 in labels else "fake"
        raise TrainingDataError(
            f"All {len(faces)} faces are {only}: a detector needs both real and fake faces"
        )
    by_identity: dict[str, list[int]] = defaultdict(list)
    for index, face in enumerate(faces):
        by_identity[face.identity].append(index)
    names = sorted(by_identity)
    if len(names) < 2:
        raise TrainingDataError(
            f"Only {len(names)} identity: an identity-disjoint validation split needs at "
            "least two people, with real and fake faces on both sides"
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
        if {faces[i].label for i in train} == {0, 1} and {faces[i].label for i in val} == {0, 1}:
            return Split(
                tuple(train), tuple(val), tuple(sorted(train_names)), tuple(sorted(val_names))
            )
    raise TrainingDataError(
        f"Too few identities to split: no identity-disjoint split of the {len(names)} "
        "identities gives real and fake faces on both the training and validation sides; "
        "add real and fake faces of more people"
    )
