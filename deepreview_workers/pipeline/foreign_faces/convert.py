"""A faceswap or DeepFaceLab faceset into our extracted-face folder.

    result = import_foreign_faces("dfl_aligned/", "out/")

writes, per source video or image the faces came from (faceswap and DFL name each
face's frame; frames ``clip_000123.png`` are frame 123 of ``clip``)::

    out/<source>/faces/<frame:07d>_<i>.png          aligned crops in OUR convention
    out/<source>/masks/<name>/<frame:07d>_<i>.png   components, extended
    out/<source>/alignments.json                    docs/alignments-schema.md

which ``deepreview sort`` and ``deepreview train --faces-a`` take as extract's output.

Each face keeps the tool's frame landmarks as its ``landmarks68``; our matrix comes from
them (``align.alignment_matrix``) and our crop is re-warped from the tool's crop with
``ours o theirs^-1``, so imported and extracted faces share one alignment. Their matrix is
DFL's ``image_to_face_mat``, a faceswap "head"-centred mask's ``affine_matrix`` (exact),
or, for faceswap faces without one, estimated: our landmarker on their crop, then a
similarity fit of the frame landmarks onto those (``matrix_sources`` in the summary
counts each). Parts of our crop outside theirs are black, as outside a frame. Masks,
metrics and the embedding are computed as extraction computes them. A face whose file
cannot be read is skipped and counted by reason; none at all is ``ForeignImportError``.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import cv2
import numpy as np

from deepreview_workers.pipeline.align import (
    _interpolation,
    alignment_matrix,
    transform_points,
    umeyama,
)
from deepreview_workers.pipeline.alignments import SourceInfo, write_alignments
from deepreview_workers.pipeline.embed import embedders
from deepreview_workers.pipeline.extract import SavedFace, face_metrics
from deepreview_workers.pipeline.foreign_faces.containers import ForeignFaceError
from deepreview_workers.pipeline.foreign_faces.deepfacelab import dfl_face
from deepreview_workers.pipeline.foreign_faces.faceswap import (
    faceswap_face,
    faceswap_png_metadata,
    fsa_lookup,
    read_fsa,
)
from deepreview_workers.pipeline.foreign_faces.safe_pickle import UnsafePickle
from deepreview_workers.pipeline.foreign_faces.source import (
    ALIGNMENTS_SUFFIX,
    FACE_SUFFIXES,
    ForeignImportError,
    ForeignSource,
    SourceFile,
    iter_named,
)
from deepreview_workers.pipeline.foreign_faces.types import (
    DEEPFACELAB,
    FACESWAP,
    FORMATS,
    ForeignFace,
)
from deepreview_workers.pipeline.masks import maskers
from deepreview_workers.pipeline.progress import ProgressCallback, no_progress
from deepreview_workers.pipeline.types import (
    AlignedFace,
    Box,
    ExtractedFace,
    FaceDetection,
)

_EMPTY = np.zeros((0, 0, 3), dtype=np.uint8)
EXPECTED = (
    "faceswap faces (PNG with faceswap's alignments header, or legacy PNGs beside a .fsa "
    "alignments file) or DeepFaceLab aligned faces (JPG with APP15, PNG with fcWp metadata)"
)


@dataclass(frozen=True)
class ImportOptions:
    """How foreign faces become ours: the same crop, masks and embedder as extraction."""

    format: str = "auto"  # auto | faceswap | deepfacelab
    crop_size: int = 256
    masks: tuple[str, ...] = ("components", "extended")
    embedder: str = "dlib_resnet"
    landmarker: str = "dlib68"  # only to estimate faceswap matrices
    detector: str = "mtcnn"  # only to find the face in such a crop


@dataclass(frozen=True)
class ImportedSource:
    name: str
    folder: Path  # holds alignments.json; SavedFace paths are relative to it
    faces: tuple[SavedFace, ...]


@dataclass(frozen=True)
class ForeignImportResult:
    sources: tuple[ImportedSource, ...]
    summary: dict[str, Any] = field(default_factory=dict)


def _read_face(file: SourceFile, data: bytes, fmt: str, fsa: dict) -> ForeignFace:
    is_png = data.startswith(b"\x89PNG")
    if fmt in ("auto", FACESWAP) and is_png:
        header = faceswap_png_metadata(data)
        if header is None and fsa:
            header = fsa_lookup(fsa, file.name)
        if header is not None or fmt == FACESWAP:
            return faceswap_face(PurePosixPath(file.name).name, data, header)
    if fmt in ("auto", DEEPFACELAB):
        return dfl_face(PurePosixPath(file.name).name, data)
    raise ForeignFaceError("no_metadata", "not a faceswap face")


class _Estimator:
    """Places a faceswap face whose file has no usable matrix: finds it in the crop, puts
    our landmarker on it and fits frame landmarks -> crop landmarks (a similarity)."""

    def __init__(self, options: ImportOptions) -> None:
        from deepreview_workers.pipeline.face_detectors import detectors
        from deepreview_workers.pipeline.landmarks import landmarkers

        self.detector = detectors.create(options.detector, device="cpu", min_face_size=20)
        self.landmarker = landmarkers.create(options.landmarker)

    def matrix(self, face: ForeignFace) -> np.ndarray:
        hits = self.detector.detect_batch([face.crop_rgb])[0]
        if not hits:
            raise ForeignFaceError(
                "unplaceable", "faceswap face without a head-centred mask, and no face found in it"
            )
        hit = max(hits, key=lambda h: (h.box[2] - h.box[0]) * (h.box[3] - h.box[1]))
        in_crop = self.landmarker.predict(face.crop_rgb, [hit.box])[0]
        # The jaw is left out, as in our alignment: it slides with head turn.
        return umeyama(face.landmarks68[17:], in_crop[17:].astype(np.float64))[:2]


def _rewarp(face: ForeignFace, theirs: np.ndarray, ours: np.ndarray, size: int) -> np.ndarray:
    """Our crop from theirs: frame -> ours, after their crop -> frame."""
    back = np.vstack([theirs, [0.0, 0.0, 1.0]])
    composite = (np.vstack([ours, [0.0, 0.0, 1.0]]) @ np.linalg.inv(back))[:2]
    return cv2.warpAffine(
        face.crop_rgb,
        composite,
        (size, size),
        flags=_interpolation(composite),
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(0, 0, 0),
    )


def _points5(landmarks68: np.ndarray) -> np.ndarray:
    """MTCNN's five points from 68: eye centres, nose tip, mouth corners (image left first)."""
    lm = landmarks68
    return np.array(
        [lm[36:42].mean(0), lm[42:48].mean(0), lm[30], lm[48], lm[54]], dtype=np.float32
    )


def _box(face: ForeignFace) -> Box:
    if face.box is not None:
        return face.box
    (x0, y0), (x1, y1) = face.landmarks68.min(0), face.landmarks68.max(0)
    return float(x0), float(y0), float(x1), float(y1)


def _frame_size(faces: list[ForeignFace]) -> tuple[int, int]:
    """(width, height) of a source's frames: as stored (faceswap), else the smallest frame
    holding every face's box and landmarks (DFL stores no frame size)."""
    given = [f.frame_size for f in faces if f.frame_size]
    if given:
        return max(w for w, _ in given), max(h for _, h in given)
    right = max(max(_box(f)[2], f.landmarks68[:, 0].max()) for f in faces)
    bottom = max(max(_box(f)[3], f.landmarks68[:, 1].max()) for f in faces)
    return max(int(np.ceil(right)), 1), max(int(np.ceil(bottom)), 1)


_TRAILING_NUMBER = re.compile(r"^(.*?)[_-]?(\d+)$")


def _source_and_frame(source_filename: str, fallback: str) -> tuple[str, int | None]:
    """("clip", 123) for "clip_000123.png"; DFL's bare "00123.png" is frame 123 of
    ``fallback`` (the import's name)."""
    stem = PurePosixPath(source_filename.replace("\\", "/")).stem
    match = _TRAILING_NUMBER.match(stem)
    if match is None:
        return _safe_name(stem) or fallback, None
    return _safe_name(match.group(1)) or fallback, int(match.group(2))


def _safe_name(name: str) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")
    return name[:100]


class _Converter:
    def __init__(self, options: ImportOptions) -> None:
        self.options = options
        self.embedder = embedders.create(options.embedder)
        self.maskers = {name: maskers.create(name) for name in options.masks}
        self._estimator: _Estimator | None = None

    def theirs(self, face: ForeignFace) -> np.ndarray:
        if face.matrix is not None:
            return face.matrix
        if self._estimator is None:  # models load only when a face needs them
            self._estimator = _Estimator(self.options)
        return self._estimator.matrix(face)

    def convert(
        self, face: ForeignFace, frame_index: int, face_index: int, size_wh: tuple[int, int]
    ) -> tuple[ExtractedFace, np.ndarray, dict[str, np.ndarray]]:
        size = self.options.crop_size
        theirs = self.theirs(face)
        if abs(np.linalg.det(theirs[:, :2])) < 1e-9:
            raise ForeignFaceError("bad_metadata", "the face's matrix is singular")
        ours = alignment_matrix(face.landmarks68, size=size)
        crop = _rewarp(face, theirs, ours, size)
        aligned_points = transform_points(face.landmarks68, ours).astype(np.float32)
        masks = {n: m.make(aligned_points, size) for n, m in self.maskers.items()}
        box = _box(face)
        # The tool kept the face, so it counts as found; no detector score is stored.
        metrics = face_metrics(
            crop, masks.get("components"), box, face.landmarks68, size_wh[::-1], confidence=1.0
        )
        embedding = self.embedder.embed(crop, aligned_points[None])[0]
        record = ExtractedFace(
            frame_index=frame_index,
            pts_seconds=0.0,  # frames of an imported faceset carry no timestamps
            face_index=face_index,
            detection=FaceDetection(box=box, score=1.0, points5=_points5(face.landmarks68)),
            landmarks68=face.landmarks68.astype(np.float32),
            aligned=AlignedFace(
                crop_rgb=_EMPTY, matrix=ours, landmarks68_aligned=aligned_points, size=size
            ),
            masks={},
            metrics=metrics,
            embedding=np.asarray(embedding, dtype=np.float32),
            embedder=self.options.embedder,
            extras={"imported_from": face.tool, "file": face.name},
        )
        return record, crop, masks


def _load_alignments_files(files: list[SourceFile], skipped: Counter, examples: dict) -> dict:
    fsa: dict = {}
    for file in iter_named(files, (ALIGNMENTS_SUFFIX,)):
        try:
            fsa.update(read_fsa(file.read()))
        except (UnsafePickle, OverflowError) as exc:
            _skip(skipped, examples, "unsafe_pickle", file.name, str(exc))
    return fsa


def _skip(skipped: Counter, examples: dict, reason: str, name: str, message: str) -> None:
    skipped[reason] += 1
    if len(examples.setdefault(reason, [])) < 3:
        examples[reason].append(f"{name}: {message}")


def import_foreign_faces(
    source: str | Path,
    out_dir: str | Path,
    *,
    options: ImportOptions | None = None,
    progress: ProgressCallback = no_progress,
) -> ForeignImportResult:
    """Import the faceset at ``source`` (a folder or a zip) into ``out_dir`` (module doc)."""
    options = options or ImportOptions()
    if options.format not in ("auto", *FORMATS):
        raise ForeignImportError(f"unknown format {options.format!r}: auto, {', '.join(FORMATS)}")
    source, out_dir = Path(source), Path(out_dir)
    started = time.perf_counter()
    fallback = _safe_name(source.stem) or "imported"
    skipped: Counter[str] = Counter()
    examples: dict[str, list[str]] = {}
    read: list[tuple[ForeignFace, str]] = []  # with the file's sha256
    with ForeignSource(source) as files:
        fsa = _load_alignments_files(files, skipped, examples)
        faces = list(iter_named(files, FACE_SUFFIXES))
        for i, file in enumerate(faces):
            progress(0.4 * i / max(len(faces), 1), f"Reading {i + 1} of {len(faces)}")
            try:
                data = file.read()
                read.append((_read_face(file, data, options.format, fsa), _sha(data)))
            except ForeignFaceError as exc:
                _skip(skipped, examples, exc.reason, file.name, str(exc))
            except OverflowError as exc:
                _skip(skipped, examples, "too_large", file.name, str(exc))
    if not read:
        found = f"{len(faces)} image files" + (f" and {len(fsa)} alignments frames" if fsa else "")
        why = "; ".join(f"{k}: {v}" for k, v in sorted(skipped.items())) or "none to read"
        raise ForeignImportError(
            f"{source.name}: no importable faces among {found} ({why}). Expected {EXPECTED}."
        )

    converter = _Converter(options)
    by_source: dict[str, list[tuple[ForeignFace, str]]] = defaultdict(list)
    for face, digest in read:
        by_source[_source_and_frame(face.source_filename, fallback)[0]].append((face, digest))
    sources, done, matrix_sources = [], 0, Counter()
    for name, members in sorted(by_source.items()):
        folder = out_dir / name
        for sub in ("faces", *(f"masks/{m}" for m in options.masks)):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        frames = _frame_numbers([f.source_filename for f, _ in members], fallback)
        size_wh = _frame_size([f for f, _ in members])
        used: set[tuple[int, int]] = set()
        saved: list[SavedFace] = []
        for face, _ in members:
            done += 1
            progress(0.4 + 0.6 * done / len(read), f"Converting {done} of {len(read)}")
            frame = frames[face.source_filename]
            index = face.face_index
            while (frame, index) in used:  # DFL keeps no index; duplicates get the next
                index += 1
            try:
                record, crop, masks = converter.convert(face, frame, index, size_wh)
            except ForeignFaceError as exc:
                _skip(skipped, examples, exc.reason, face.name, str(exc))
                continue
            used.add((frame, index))
            matrix_sources[face.matrix_source] += 1
            saved.append(_write(folder, record, crop, masks))
        if not saved:
            continue
        width, height = size_wh
        info = SourceInfo(
            file_name=name,
            # No video comes with a faceset: the digest is of the faces' files instead.
            sha256=hashlib.sha256("".join(sorted(d for _, d in members)).encode()).hexdigest(),
            frame_count=max(s.face.frame_index for s in saved) + 1,
            fps=None,
            width=width,
            height=height,
        )
        imported = {"imported_from": sorted({f.tool for f, _ in members}), **_options(options)}
        write_alignments(folder / "alignments.json", info, imported, saved)
        sources.append(ImportedSource(name, folder, tuple(saved)))
    if not sources:
        raise ForeignImportError(f"{source.name}: no face could be converted ({dict(skipped)})")
    tools = Counter(f.tool for f, _ in read)
    summary = {
        "source": source.name,
        "formats": dict(tools),
        "face_files": len(faces),
        "alignments_frames": len(fsa),
        "faces_imported": sum(len(s.faces) for s in sources),
        "sources": [s.name for s in sources],
        "skipped": dict(skipped),
        "skipped_examples": examples,
        "matrix_sources": dict(matrix_sources),
        "seconds": round(time.perf_counter() - started, 3),
    }
    progress(1.0, f"{summary['faces_imported']} faces imported, {sum(skipped.values())} skipped")
    return ForeignImportResult(tuple(sources), summary)


def _options(options: ImportOptions) -> dict[str, Any]:
    return {
        "crop_size": options.crop_size,
        "masks": list(options.masks),
        "embedder": options.embedder,
    }


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _frame_numbers(names: list[str], fallback: str) -> dict[str, int]:
    """Each source file name's frame index: its trailing number when those are distinct,
    else its place in name order."""
    unique = sorted(set(names))
    numbers = {n: _source_and_frame(n, fallback)[1] for n in unique}
    values = list(numbers.values())
    if None not in values and len(set(values)) == len(values):
        return numbers  # type: ignore[return-value]
    return {n: i for i, n in enumerate(unique)}


def _write(
    folder: Path, record: ExtractedFace, crop: np.ndarray, masks: dict[str, np.ndarray]
) -> SavedFace:
    stem = f"{record.frame_index:07d}_{record.face_index}"
    crop_path = f"faces/{stem}.png"
    cv2.imwrite(str(folder / crop_path), cv2.cvtColor(crop, cv2.COLOR_RGB2BGR))
    mask_paths = {}
    for name, mask in masks.items():
        mask_paths[name] = f"masks/{name}/{stem}.png"
        cv2.imwrite(str(folder / mask_paths[name]), mask)
    return SavedFace(record, crop_path, mask_paths)
