"""Reading an export back: what an importer (or a training run) needs from it.

    contents = read_export(Path("export.zip"))     # or the same tree in a folder
    bad = verify_manifest(Path("export.zip"))      # [] when every checksum matches
    with contents.open(contents.videos[0].raw_member) as stream: ...

Only exports of our schema are read; one written by a newer deepreview (a higher
schema version) is refused with a message saying so, rather than half-understood.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from deepreview_workers.pipeline.dataset import layout
from deepreview_workers.pipeline.dataset.archive import CHUNK, parse_manifest
from deepreview_workers.pipeline.dataset.types import (
    SCHEMA,
    SCHEMA_VERSION,
    ExportMark,
    ExportTaxonomyKind,
    ExportVerdict,
)


class ExportError(ValueError):
    """Not a readable deepreview export; the message says what is wrong and what to do."""


_S_IFMT, _S_IFLNK = 0o170000, 0o120000


def unsafe_members(archive: zipfile.ZipFile) -> list[str]:
    """Entries no export holds and no reader may follow: absolute paths, ``..`` parts,
    backslashes or NUL in names, and symbolic links (a zip-slip archive's tools)."""
    bad = []
    for info in archive.infolist():
        name = info.filename
        parts = name.replace("\\", "/").split("/")
        if (
            name.startswith("/")
            or "\\" in name
            or "\x00" in name
            or ".." in parts
            or (len(name) > 1 and name[1] == ":")
            or (info.external_attr >> 16) & _S_IFMT == _S_IFLNK
        ):
            bad.append(name)
    return bad


def unsafe_message(where: str, unsafe: list[str]) -> str:
    shown = ", ".join(repr(n) for n in unsafe[:3]) + (" …" if len(unsafe) > 3 else "")
    return (
        f"{where} holds {len(unsafe)} unsafe entr{'y' if len(unsafe) == 1 else 'ies'} "
        f"({shown}): paths outside the archive or links, which no export holds. "
        "Nothing was imported."
    )


class _Tree:
    """The files of an export, in a zip or a folder, by their names in the export."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._zip: zipfile.ZipFile | None = None
        if self.path.is_dir():
            root = self.path
            links = [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_symlink()]
            if links:
                raise ExportError(
                    f"{root.name} holds symbolic links ({', '.join(links[:3])}); "
                    "an export never does. Nothing was read."
                )
            self._names = sorted(
                p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()
            )
        elif self.path.is_file():
            try:
                self._zip = zipfile.ZipFile(self.path)
            except zipfile.BadZipFile:
                raise ExportError(f"{self.path.name} is not a zip file") from None
            unsafe = unsafe_members(self._zip)
            if unsafe:
                self._zip.close()
                raise ExportError(unsafe_message(self.path.name, unsafe))
            self._names = sorted(n for n in self._zip.namelist() if not n.endswith("/"))
        else:
            raise ExportError(f"{self.path} does not exist")

    def names(self) -> list[str]:
        return list(self._names)

    def open(self, name: str) -> BinaryIO:
        if self._zip is not None:
            return self._zip.open(name)
        return (self.path / name).open("rb")

    def read(self, name: str) -> bytes:
        with self.open(name) as stream:
            return stream.read()

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()


@contextmanager
def _tree(path: Path) -> Iterator[_Tree]:
    tree = _Tree(path)
    try:
        yield tree
    finally:
        tree.close()


open_tree = _tree  # the dataset layouts' readers open a zip or folder the same way


@dataclass(frozen=True)
class ExportedVideo:
    """One video of an export. ``raw_member``: the original bytes (None when the export
    has no ``ffpp`` format); ``encoded_members``: compression -> member;
    ``mask_video``: its full-frame ground-truth masks as one video, FaceForensics++'s
    ``masks/videos/<video>.mp4`` (read it with
    :func:`~deepreview_workers.pipeline.dataset.maskvideo.read_mask_video`);
    ``mask_members``: (frame index, member) of the PNG masks that exports of schema
    version 1 held instead (``masks/<video>/<frame>.png``); ``original``: the key of the
    real video a fake was made from, when the source says (the dataset layouts do)."""

    key: str
    name: str
    sha256: str
    label: str
    label_source: str
    identities: tuple[str, ...]
    method: str | None
    method_options: dict
    manipulated_ranges: tuple[tuple[int, int], ...]  # inclusive [first, last]
    split: str
    frame_count: int
    fps: float
    width: int
    height: int
    source: str
    raw_member: str | None
    encoded_members: dict[str, str] = field(default_factory=dict)
    mask_members: tuple[tuple[int, str], ...] = ()
    mask_video: str | None = None
    faces: int = 0
    verdicts: tuple[ExportVerdict, ...] = ()
    consensus: str | None = None
    marks: tuple[ExportMark, ...] = ()
    original: str | None = None


@dataclass(frozen=True)
class ExportedFace:
    """One face crop (a row of ``metadata.csv``); ``mask_member`` is None without mask."""

    split: str
    label: str
    video: str
    frame: int
    face: int
    identity: str
    method: str
    crop_member: str
    mask_member: str | None


@dataclass(frozen=True)
class ExportContents:
    """An export as the importer sees it. ``info`` is export.json as read."""

    path: Path
    info: dict
    videos: tuple[ExportedVideo, ...]
    faces: tuple[ExportedFace, ...]
    taxonomy: tuple[ExportTaxonomyKind, ...]
    annotations: dict | None
    manifest_sha256: str
    names: tuple[str, ...] = field(repr=False, default=())

    @property
    def version(self) -> int:
        return int(self.info["version"])

    def open(self, member: str) -> BinaryIO:
        """A member's bytes as a stream (the caller closes it); ``KeyError`` if absent."""
        if member not in self.names:
            raise KeyError(f"{member} is not in the export")
        if self.path.is_dir():
            return (self.path / member).open("rb")
        # The member stream keeps the zip's file open after the ZipFile object closes
        # (zipfile counts the open streams), so nothing else needs to be held.
        with zipfile.ZipFile(self.path) as archive:
            return archive.open(member)

    def read(self, member: str) -> bytes:
        with self.open(member) as stream:
            return stream.read()


def _load_json(tree: _Tree, name: str) -> Any:
    try:
        return json.loads(tree.read(name).decode("utf-8"))
    except (KeyError, FileNotFoundError):
        raise ExportError(f"{tree.path.name} has no {name}: not a deepreview export") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExportError(f"{name} in {tree.path.name} is not valid JSON ({exc})") from None


def _check_schema(info: Any, where: str) -> None:
    if not isinstance(info, dict) or info.get("schema") != SCHEMA:
        schema = info.get("schema") if isinstance(info, dict) else None
        raise ExportError(
            f"{where} is not a deepreview dataset export (schema {schema!r}, expected {SCHEMA!r})"
        )
    version = info.get("version")
    if not isinstance(version, int) or version < 1:
        raise ExportError(f"{where}: export.json has no valid schema version ({version!r})")
    if version > SCHEMA_VERSION:
        raise ExportError(
            f"{where} was written by a newer deepreview (dataset schema version {version}; "
            f"this one reads up to {SCHEMA_VERSION}). Update deepreview to read it."
        )


def _annotations(tree: _Tree) -> tuple[dict | None, dict[str, dict]]:
    if layout.ANNOTATIONS_JSON not in tree.names():
        return None, {}
    document = _load_json(tree, layout.ANNOTATIONS_JSON)
    return document, {entry["key"]: entry for entry in document.get("videos", [])}


def _original(entry: dict) -> str | None:
    original = entry.get("original")  # absent from exports written before pairing went out
    if original is not None and not isinstance(original, str):
        raise ValueError(f"the original of {entry['key']} is not a video key")
    return original


def _video(entry: dict, names: list[str], notes: dict | None) -> ExportedVideo:
    files = dict(entry.get("files") or {})
    folder = entry.get("mask_folder")  # schema version 1: a PNG per manipulated frame
    masks = []
    mask_video = entry.get("mask_video")
    if mask_video is not None and mask_video not in names:
        raise ValueError(f"the mask video {mask_video} of {entry['key']} is missing")
    if folder:
        for name in names:
            if name.startswith(folder) and name.endswith(".png"):
                masks.append((int(name[len(folder) :].split(".")[0]), name))
    notes = notes or {}
    return ExportedVideo(
        key=entry["key"],
        name=entry["name"],
        sha256=entry["sha256"],
        label=entry["label"],
        label_source=entry["label_source"],
        identities=tuple(entry["identities"]),
        method=entry.get("method"),
        method_options=dict(entry.get("method_options") or {}),
        manipulated_ranges=tuple((int(a), int(b)) for a, b in entry["manipulated_ranges"]),
        split=entry["split"],
        frame_count=int(entry["frame_count"]),
        fps=float(entry["fps"]),
        width=int(entry["width"]),
        height=int(entry["height"]),
        source=entry.get("source", ""),
        raw_member=files.pop(layout.RAW, None),
        encoded_members=files,
        mask_members=tuple(sorted(masks)),
        mask_video=mask_video,
        original=_original(entry),
        faces=int(entry.get("faces", 0)),
        verdicts=tuple(ExportVerdict(**v) for v in notes.get("verdicts", [])),
        consensus=notes.get("consensus"),
        marks=tuple(
            ExportMark(**{**m, "region": tuple(m["region"]) if m.get("region") else None})
            for m in notes.get("marks", [])
        ),
    )


def _faces(tree: _Tree) -> tuple[ExportedFace, ...]:
    if layout.METADATA_CSV not in tree.names():
        return ()
    text = tree.read(layout.METADATA_CSV).decode("utf-8")
    return tuple(
        ExportedFace(
            split=row["split"],
            label=row["label"],
            video=row["video"],
            frame=int(row["frame"]),
            face=int(row["face"]),
            identity=row["identity"],
            method=row["method"],
            crop_member=row["path"],
            mask_member=row["mask"] or None,
        )
        for row in csv.DictReader(io.StringIO(text, newline=""))
    )


def read_export(path: Path) -> ExportContents:
    """Read the export at ``path`` (a zip, or its tree extracted into a folder).

    Raises :class:`ExportError` (a ``ValueError``) for a file that is not an export, an
    unknown schema or a newer schema version. Checksums are not checked here; call
    :func:`verify_manifest` for that.
    """
    path = Path(path)
    with _tree(path) as tree:
        info = _load_json(tree, layout.EXPORT_JSON)
        _check_schema(info, path.name)
        names = tree.names()
        annotations, notes = _annotations(tree)
        try:
            videos = tuple(_video(v, names, notes.get(v["key"])) for v in info["videos"])
            faces = _faces(tree)
            taxonomy = tuple(ExportTaxonomyKind(**k) for k in info.get("taxonomy", []))
        except (KeyError, TypeError, ValueError) as exc:
            raise ExportError(
                f"{path.name}: export.json or metadata.csv is damaged ({exc})"
            ) from None
        manifest = tree.read(layout.MANIFEST) if layout.MANIFEST in names else b""
    return ExportContents(
        path=path,
        info=info,
        videos=videos,
        faces=faces,
        taxonomy=taxonomy,
        annotations=annotations,
        manifest_sha256=hashlib.sha256(manifest).hexdigest() if manifest else "",
        names=tuple(names),
    )


def verify_manifest(path: Path) -> list[str]:
    """Paths of the export at ``path`` that fail ``manifest.sha256``: a different
    checksum, listed but missing, or present but not listed. Empty means every file is
    as it was written. A missing or unreadable manifest gives ``["manifest.sha256"]``."""
    with _tree(Path(path)) as tree:
        names = tree.names()
        if layout.MANIFEST not in names:
            return [layout.MANIFEST]
        try:
            listed = parse_manifest(tree.read(layout.MANIFEST).decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return [layout.MANIFEST]
        present = set(names) - {layout.MANIFEST}
        bad = sorted((set(listed) - present) | (present - set(listed)))
        for name in sorted(present & set(listed)):
            digest = hashlib.sha256()
            with tree.open(name) as stream:
                while chunk := stream.read(CHUNK):
                    digest.update(chunk)
            if digest.hexdigest() != listed[name]:
                bad.append(name)
    return sorted(bad)


__all__ = [
    "ExportContents",
    "ExportError",
    "ExportedFace",
    "ExportedVideo",
    "read_export",
    "verify_manifest",
]
