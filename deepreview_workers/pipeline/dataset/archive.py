"""A zip written the same way every time, file by file, with a SHA-256 manifest.

Reproducible bytes need every member's metadata fixed: the timestamp (1980-01-01, the
zip epoch), the permissions, the "made by" system, the compression, and the order
(sorted by name; the manifest, which depends on all the others, comes last). Members
are streamed from their source in 1 MiB chunks, hashed on the way, so an export of
any size passes through a little memory.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from deepreview_workers.pipeline.dataset.layout import MANIFEST

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
CHUNK = 1024 * 1024
# Media is already compressed: storing it is as small and much faster than deflating.
_STORED_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".png", ".jpg", ".jpeg", ".zip")


@dataclass(frozen=True)
class ZipMember:
    """A member of another zip (e.g. a ground-truth mask), copied without re-encoding."""

    archive: Path
    member: str


Source = Path | ZipMember | bytes


def _archive(path: Path, archives: dict[Path, zipfile.ZipFile]) -> zipfile.ZipFile:
    """``path`` opened once per write (a mask zip holds hundreds of members)."""
    if path not in archives:
        archives[path] = zipfile.ZipFile(path)
    return archives[path]


def _open(source: Path | ZipMember, archives: dict[Path, zipfile.ZipFile]) -> BinaryIO:
    if isinstance(source, ZipMember):
        return _archive(source.archive, archives).open(source.member)
    return source.open("rb")


def member_info(name: str, size: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
    info.create_system = 3  # Unix; the default depends on the machine writing the zip
    info.external_attr = 0o100644 << 16  # a regular file, rw-r--r--
    stored = name.lower().endswith(_STORED_SUFFIXES)
    info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    info.file_size = size  # lets zipfile pick zip64 from the size, the same way each time
    return info


def _size(source: Source, archives: dict[Path, zipfile.ZipFile]) -> int:
    if isinstance(source, bytes):
        return len(source)
    if isinstance(source, ZipMember):
        return _archive(source.archive, archives).getinfo(source.member).file_size
    return source.stat().st_size


def manifest_text(digests: Mapping[str, str]) -> str:
    """``<sha256>  <path>`` lines (``sha256sum`` format), sorted by path."""
    return "".join(f"{digests[name]}  {name}\n" for name in sorted(digests))


def write_zip(
    out_path: Path,
    members: Mapping[str, Source],
    *,
    progress: Callable[[int, int, str], None] | None = None,
) -> tuple[dict[str, str], str]:
    """Write ``members`` (zip name -> file, member of another zip, or bytes) sorted by
    name, then ``manifest.sha256`` over them. Returns (digests, manifest's own SHA-256).
    ``progress(done, total, name)`` is called before each member; whatever it raises
    propagates (the caller removes the partial file)."""
    if MANIFEST in members:
        raise ValueError(f"{MANIFEST} is written by write_zip itself")
    names = sorted(members)
    digests: dict[str, str] = {}
    archives: dict[Path, zipfile.ZipFile] = {}
    try:
        with zipfile.ZipFile(out_path, "w", allowZip64=True) as archive:
            for done, name in enumerate(names):
                if progress is not None:
                    progress(done, len(names), name)
                source = members[name]
                info = member_info(name, _size(source, archives))
                digests[name] = _copy(archive, info, source, archives)
            text = manifest_text(digests).encode("utf-8")
            _copy(archive, member_info(MANIFEST, len(text)), text, archives)
    finally:
        for opened in archives.values():
            opened.close()
    return digests, hashlib.sha256(text).hexdigest()


def _copy(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    source: Source,
    archives: dict[Path, zipfile.ZipFile],
) -> str:
    digest = hashlib.sha256()
    with archive.open(info, "w", force_zip64=info.file_size >= zipfile.ZIP64_LIMIT) as dst:
        if isinstance(source, bytes):
            digest.update(source)
            dst.write(source)
        else:
            with _open(source, archives) as src:
                while chunk := src.read(CHUNK):
                    digest.update(chunk)
                    dst.write(chunk)
    return digest.hexdigest()


def parse_manifest(text: str) -> dict[str, str]:
    """``{path: sha256}`` from ``manifest.sha256`` text; ``ValueError`` for a bad line."""
    digests = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64 or not name:
            raise ValueError(f"{MANIFEST} line {number} is not '<sha256>  <path>'")
        digests[name] = digest
    return digests


__all__ = [
    "ZIP_EPOCH",
    "ZipMember",
    "manifest_text",
    "member_info",
    "parse_manifest",
    "write_zip",
]
