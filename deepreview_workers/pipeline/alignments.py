"""The per-video alignments file: every face of an extraction, enough to rebuild it.

JSON, UTF-8, one object (full reference with an example: ``docs/alignments-schema.md``)::

    {
      "schema": "deepreview.alignments",       # exact string
      "version": 1,                            # integer; readers reject other versions
      "source": {"file_name": str, "sha256": str (64 hex), "frame_count": int,
                 "fps": float | null (null for a still image), "width": int, "height": int},
      "options": {...},                        # extraction options, free-form JSON object
      "frames": [                              # ascending frame_index, each index once
        {"frame_index": int, "pts_seconds": float,
         "faces": [                            # ascending face_index
           {"face_index": int,
            "box": [x0, y0, x1, y1],           # source-frame pixels
            "score": float,                    # detector confidence 0..1
            "points5": [[x, y] x 5],           # MTCNN points, source-frame pixels
            "landmarks68": [[x, y] x 68],      # iBUG 300-W order, source-frame pixels
            "matrix": [[a, b, c], [d, e, f]],  # source pixels -> aligned-crop pixels
            "size": int,                       # aligned crop side, pixels
            "crop": str | null,                # crop image path, relative to this file
            "masks": {name: str | null},       # mask image paths, relative to this file
            "metrics": {"blur", "face_size", "brightness", "hue", "yaw", "pitch",
                        "roll", "confidence": float | null (null = not finite),
                        "histogram": [float]},
            "embedder": str,                   # e.g. "dlib"; "" when not embedded
            "embedding": str | null,           # base64 of float32 little-endian (D,)
            "track_id": int}]}]}               # -1 = not tracked

Numbers are written with Python's shortest round-trip repr, so float32 landmarks and
float64 matrices read back bit for bit. Frames that were sampled but had no face may
appear with an empty ``faces`` list. Paths are POSIX, relative, without "..".
"""

from __future__ import annotations

import base64
import json
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

import numpy as np

from deepreview_workers.pipeline.types import Box, ExtractedFace, FaceDetection, FaceMetrics

SCHEMA = "deepreview.alignments"
VERSION = 1
_METRIC_SCALARS = ("blur", "face_size", "brightness", "hue", "yaw", "pitch", "roll", "confidence")
FaceKey = tuple[int, int]  # (frame_index, face_index)


class StoredFace(Protocol):
    """A face with its files on disk (e.g. ``extract.SavedFace``); paths relative to the file."""

    face: ExtractedFace
    crop_path: str | None
    mask_paths: Mapping[str, str]


class AlignmentsError(ValueError):
    """The file is not a valid alignments file; the message names the offending field."""


@dataclass(frozen=True)
class SourceInfo:
    """The media the faces came from; ``sha256`` lets an import find the right video."""

    file_name: str
    sha256: str
    frame_count: int
    fps: float | None  # None for a still image
    width: int
    height: int


@dataclass(frozen=True, eq=False)
class FaceRecord:
    """One face as stored: arrays are float32 (points) and float64 (matrix)."""

    frame_index: int
    pts_seconds: float
    face_index: int
    box: Box
    score: float
    points5: np.ndarray  # (5, 2) float32
    landmarks68: np.ndarray  # (68, 2) float32
    matrix: np.ndarray  # (2, 3) float64
    size: int
    crop_path: str | None
    mask_paths: Mapping[str, str | None]
    metrics: FaceMetrics
    embedder: str
    embedding: np.ndarray | None  # (D,) float32
    track_id: int = -1

    @property
    def detection(self) -> FaceDetection:
        return FaceDetection(box=self.box, score=self.score, points5=self.points5)


FaceInput = ExtractedFace | FaceRecord | StoredFace


@dataclass(frozen=True)
class FrameRecord:
    frame_index: int
    pts_seconds: float
    faces: tuple[FaceRecord, ...] = ()


@dataclass(frozen=True)
class AlignmentsFile:
    source: SourceInfo
    options: Mapping[str, Any]
    frames: tuple[FrameRecord, ...] = field(default_factory=tuple)

    @property
    def faces(self) -> list[FaceRecord]:
        return [face for frame in self.frames for face in frame.faces]


def record_from_face(
    face: ExtractedFace, crop_path: str | None, mask_paths: Mapping[str, str | None]
) -> FaceRecord:
    """The stored form of an ``ExtractedFace``; mask names come from ``face.masks``."""
    masks = {name: mask_paths.get(name) for name in face.masks}
    masks.update(mask_paths)
    return FaceRecord(
        frame_index=int(face.frame_index),
        pts_seconds=float(face.pts_seconds),
        face_index=int(face.face_index),
        box=tuple(float(v) for v in face.detection.box),
        score=float(face.detection.score),
        points5=np.asarray(face.detection.points5, dtype=np.float32),
        landmarks68=np.asarray(face.landmarks68, dtype=np.float32),
        matrix=np.asarray(face.aligned.matrix, dtype=np.float64),
        size=int(face.aligned.size),
        crop_path=crop_path,
        mask_paths=masks,
        metrics=face.metrics,
        embedder=face.embedder,
        embedding=None if face.embedding is None else np.asarray(face.embedding, np.float32),
        track_id=int(face.track_id),
    )


def build_alignments(
    source: SourceInfo | Mapping[str, Any],
    options: Mapping[str, Any],
    faces: Iterable[FaceInput],
    crop_paths: Mapping[FaceKey, str] | None = None,
    mask_paths: Mapping[FaceKey, Mapping[str, str]] | None = None,
    *,
    empty_frames: Iterable[tuple[int, float]] = (),
) -> AlignmentsFile:
    """Group faces by frame into an ``AlignmentsFile``.

    ``faces``: ``StoredFace`` items (which carry their own paths), ``FaceRecord``s, or
    bare ``ExtractedFace``s whose paths come from ``crop_paths`` / ``mask_paths``, keyed
    by (frame_index, face_index). ``source``: a ``SourceInfo`` or its fields as a dict.

    ``empty_frames``: (frame_index, pts_seconds) of sampled frames without faces, kept so
    a reader can tell "no face here" from "not looked at".
    """
    if not isinstance(source, SourceInfo):
        if "file_name" not in source and "name" in source:  # probe-style dicts say "name"
            source = {**source, "file_name": source["name"]}
        source = _source_from_json(source, "source")
    crop_paths, mask_paths = crop_paths or {}, mask_paths or {}
    frames: dict[int, tuple[float, list[FaceRecord]]] = {
        int(i): (float(pts), []) for i, pts in empty_frames
    }
    for face in faces:
        if not isinstance(face, ExtractedFace | FaceRecord):  # a StoredFace
            face = record_from_face(face.face, face.crop_path, face.mask_paths)
        elif isinstance(face, ExtractedFace):
            key = (face.frame_index, face.face_index)
            face = record_from_face(face, crop_paths.get(key), mask_paths.get(key, {}))
        frames.setdefault(face.frame_index, (face.pts_seconds, []))[1].append(face)
    records = tuple(
        FrameRecord(index, pts, tuple(sorted(found, key=lambda f: f.face_index)))
        for index, (pts, found) in sorted(frames.items())
    )
    alignments = AlignmentsFile(source=source, options=dict(options), frames=records)
    alignments_from_json(alignments_to_json(alignments))  # same checks as a reader's
    return alignments


def _finite_or_none(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _face_to_json(face: FaceRecord) -> dict[str, Any]:
    metrics = {name: _finite_or_none(getattr(face.metrics, name)) for name in _METRIC_SCALARS}
    metrics["histogram"] = [float(v) for v in face.metrics.histogram]
    embedding = None
    if face.embedding is not None:
        raw = np.asarray(face.embedding, dtype="<f4").ravel().tobytes()
        embedding = base64.b64encode(raw).decode("ascii")
    return {
        "face_index": face.face_index,
        "box": [float(v) for v in face.box],
        "score": float(face.score),
        "points5": face.points5.astype(np.float32).tolist(),
        "landmarks68": face.landmarks68.astype(np.float32).tolist(),
        "matrix": face.matrix.astype(np.float64).tolist(),
        "size": face.size,
        "crop": face.crop_path,
        "masks": dict(face.mask_paths),
        "metrics": metrics,
        "embedder": face.embedder,
        "embedding": embedding,
        "track_id": face.track_id,
    }


def alignments_to_json(alignments: AlignmentsFile) -> dict[str, Any]:
    """The JSON object (plain dicts, lists, numbers, strings) of an ``AlignmentsFile``."""
    return {
        "schema": SCHEMA,
        "version": VERSION,
        "source": vars(alignments.source).copy(),
        "options": dict(alignments.options),
        "frames": [
            {
                "frame_index": frame.frame_index,
                "pts_seconds": frame.pts_seconds,
                "faces": [_face_to_json(face) for face in frame.faces],
            }
            for frame in alignments.frames
        ],
    }


def write_alignments(
    path: str | os.PathLike[str],
    source: SourceInfo | Mapping[str, Any],
    options: Mapping[str, Any],
    faces: Iterable[FaceInput],
    crop_paths: Mapping[FaceKey, str] | None = None,
    mask_paths: Mapping[FaceKey, Mapping[str, str]] | None = None,
    *,
    empty_frames: Iterable[tuple[int, float]] = (),
) -> AlignmentsFile:
    """Validate and write an alignments file (atomically: temp file, then rename)."""
    alignments = build_alignments(
        source, options, faces, crop_paths, mask_paths, empty_frames=empty_frames
    )
    save_alignments(path, alignments)
    return alignments


def save_alignments(path: str | os.PathLike[str], alignments: AlignmentsFile) -> None:
    """Write an ``AlignmentsFile`` as compact JSON, replacing ``path`` atomically."""
    try:
        text = json.dumps(alignments_to_json(alignments), separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise AlignmentsError(
            f"cannot write alignments (options must be plain JSON and numbers finite): {exc}"
        ) from None
    target = Path(path)
    temp = target.with_name(f".{target.name}.tmp")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, target)


def read_alignments(path: str | os.PathLike[str]) -> AlignmentsFile:
    """Read and validate an alignments file; ``AlignmentsError`` names what is wrong."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AlignmentsError(f"{path} is not a JSON alignments file: {exc}") from None
    return alignments_from_json(data)


# ---- validation -------------------------------------------------------------------


_JSON_NAMES = {
    int: "integer",
    float: "number",
    str: "string",
    list: "array",
    dict: "object",
    bool: "boolean",
}


ALIGNMENTS_FILE = "alignments.json"


def extracted_folders(folder: str | os.PathLike[str]) -> list[Path]:
    """The extracted sources in ``folder``: the folder itself when it holds an alignments
    file, else each subfolder that does (``deepreview extract -o DIR`` writes one per
    input), in name order. Raises ``AlignmentsError`` naming the folder when none does."""
    folder = Path(folder)
    if (folder / ALIGNMENTS_FILE).is_file():
        return [folder]
    found = (
        sorted(p for p in folder.iterdir() if (p / ALIGNMENTS_FILE).is_file())
        if folder.is_dir()
        else []
    )
    if not found:
        what = "a folder" if folder.is_dir() else "not a folder"
        raise AlignmentsError(
            f"{folder} is {what} with no {ALIGNMENTS_FILE}, in it or in its subfolders: "
            f"extract faces into it first (deepreview extract INPUT... -o {folder})"
        )
    return found


def _fail(where: str, message: str) -> AlignmentsError:
    return AlignmentsError(f"{where}: {message}")


def _get(obj: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in obj:
        raise _fail(f"{where}.{key}", "missing")
    value = obj[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    expected = " or ".join(_JSON_NAMES.get(k, k.__name__) for k in kinds)
    # bool is an int in Python, but true is never a valid count or coordinate.
    if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kind):
        found = "null" if value is None else _JSON_NAMES.get(type(value), type(value).__name__)
        raise _fail(f"{where}.{key}", f"expected {expected}, got {found}")
    return value


def _number(obj: Mapping[str, Any], key: str, where: str) -> float:
    return float(_get(obj, key, (int, float), where))  # JSON numbers may lack a "."


def _array(value: Any, shape: tuple[int, ...], dtype: type, where: str) -> np.ndarray:
    try:
        array = np.array(value, dtype=dtype)
    except (TypeError, ValueError):
        raise _fail(where, f"expected numbers of shape {shape}") from None
    if array.shape != shape:
        raise _fail(where, f"expected shape {shape}, got {array.shape}")
    if not np.isfinite(array).all():
        raise _fail(where, "contains a non-finite number")
    return array


def _relative_path(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise _fail(where, "expected a relative path or null")
    posix = PurePosixPath(value)
    # Imports come from uploaded zips: a path must not escape the extraction folder.
    if posix.is_absolute() or ".." in posix.parts or "\\" in value or ":" in posix.parts[0]:
        raise _fail(where, f"path {value!r} must be relative, POSIX, without '..'")
    return value


def _source_from_json(data: Any, where: str) -> SourceInfo:
    if not isinstance(data, Mapping):
        raise _fail(where, "expected an object")
    sha = _get(data, "sha256", str, where)
    if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha.lower()):
        raise _fail(f"{where}.sha256", "expected 64 hex digits")
    fps = None if data.get("fps", 0) is None else _number(data, "fps", where)
    info = SourceInfo(
        file_name=_get(data, "file_name", str, where),
        sha256=sha.lower(),
        frame_count=_get(data, "frame_count", int, where),
        fps=fps,
        width=_get(data, "width", int, where),
        height=_get(data, "height", int, where),
    )
    if info.frame_count < 0 or (info.fps or 0) < 0 or info.width <= 0 or info.height <= 0:
        raise _fail(where, "frame_count and fps must be >= 0, width and height > 0")
    return info


def _metrics_from_json(data: Any, where: str) -> FaceMetrics:
    if not isinstance(data, Mapping):
        raise _fail(where, "expected an object")
    values: dict[str, Any] = {}
    for name in _METRIC_SCALARS:
        if name not in data:
            raise _fail(f"{where}.{name}", "missing")
        values[name] = math.nan if data[name] is None else _number(data, name, where)
    histogram = _get(data, "histogram", list, where)
    values["histogram"] = tuple(
        _array(histogram, (len(histogram),), np.float64, f"{where}.histogram").tolist()
    )
    return FaceMetrics(**values)


def _face_from_json(data: Any, frame_index: int, pts: float, where: str) -> FaceRecord:
    if not isinstance(data, Mapping):
        raise _fail(where, "expected an object")
    embedding_b64 = data.get("embedding")
    embedding = None
    if embedding_b64 is not None:
        try:
            raw = base64.b64decode(_get(data, "embedding", str, where), validate=True)
        except ValueError:
            raise _fail(f"{where}.embedding", "not valid base64") from None
        if len(raw) % 4:
            raise _fail(f"{where}.embedding", "byte length is not a multiple of 4 (float32)")
        embedding = np.frombuffer(raw, dtype="<f4").astype(np.float32)
    masks = _get(data, "masks", dict, where)
    for name in masks:
        _relative_path(masks[name], f"{where}.masks.{name}")
    return FaceRecord(
        frame_index=frame_index,
        pts_seconds=pts,
        face_index=_get(data, "face_index", int, where),
        box=tuple(
            _array(_get(data, "box", list, where), (4,), np.float64, f"{where}.box").tolist()
        ),
        score=_number(data, "score", where),
        points5=_array(_get(data, "points5", list, where), (5, 2), np.float32, f"{where}.points5"),
        landmarks68=_array(
            _get(data, "landmarks68", list, where), (68, 2), np.float32, f"{where}.landmarks68"
        ),
        matrix=_array(_get(data, "matrix", list, where), (2, 3), np.float64, f"{where}.matrix"),
        size=_get(data, "size", int, where),
        crop_path=_relative_path(data.get("crop"), f"{where}.crop"),
        mask_paths=dict(masks),
        metrics=_metrics_from_json(_get(data, "metrics", dict, where), f"{where}.metrics"),
        embedder=_get(data, "embedder", str, where),
        embedding=embedding,
        track_id=_get(data, "track_id", int, where),
    )


def alignments_from_json(data: Any) -> AlignmentsFile:
    """Validate a decoded JSON object and build the ``AlignmentsFile``."""
    if not isinstance(data, Mapping) or data.get("schema") != SCHEMA:
        found = data.get("schema") if isinstance(data, Mapping) else type(data).__name__
        raise AlignmentsError(
            f"not a deepreview alignments file: schema is {found!r}, expected {SCHEMA!r}"
        )
    version = data.get("version")
    if version != VERSION or isinstance(version, bool):
        raise AlignmentsError(
            f"alignments version {version!r} is not supported; this "
            f"reader understands version {VERSION} (re-export the file "
            f"from a matching deepreview, or upgrade)"
        )
    source = _source_from_json(data.get("source"), "source")
    options = _get(data, "options", dict, "$")
    frames: list[FrameRecord] = []
    previous = -1
    for i, frame in enumerate(_get(data, "frames", list, "$")):
        where = f"frames[{i}]"
        if not isinstance(frame, Mapping):
            raise _fail(where, "expected an object")
        index = _get(frame, "frame_index", int, where)
        if index <= previous:
            raise _fail(f"{where}.frame_index", f"{index} is not above the previous {previous}")
        previous = index
        pts = _number(frame, "pts_seconds", where)
        faces = tuple(
            _face_from_json(face, index, pts, f"{where}.faces[{j}]")
            for j, face in enumerate(_get(frame, "faces", list, where))
        )
        if len({face.face_index for face in faces}) != len(faces):
            raise _fail(f"{where}.faces", "face_index values repeat")
        frames.append(FrameRecord(frame_index=index, pts_seconds=pts, faces=faces))
    return AlignmentsFile(source=source, options=options, frames=tuple(frames))
