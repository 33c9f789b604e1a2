"""The files of a foreign faceset, from a folder or a zip, read with limits.

A zip is refused whole when it holds an entry that escapes it (``unsafe_members``, as
dataset imports do), declares more than ``MAX_TOTAL_BYTES`` uncompressed or more than
``MAX_FILES`` files; a member is never read past its declared size, so a member that
inflates beyond what it declares is cut off and fails its CRC instead of filling memory.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from deepreview_workers.pipeline.dataset.read import unsafe_members, unsafe_message
from deepreview_workers.pipeline.foreign_faces.containers import MAX_FACE_FILE_BYTES

FACE_SUFFIXES = (".png", ".jpg", ".jpeg")
ALIGNMENTS_SUFFIX = ".fsa"
MAX_FILES = 200_000
MAX_TOTAL_BYTES = 16 * 1024**3


class ForeignImportError(ValueError):
    """The whole import cannot go ahead; the message says why and what was expected."""


@dataclass(frozen=True)
class SourceFile:
    name: str  # POSIX path inside the folder or zip
    size: int
    _path: Path | None = None
    _zip: zipfile.ZipFile | None = None

    def read(self) -> bytes:
        if self.size > MAX_FACE_FILE_BYTES:
            raise OverflowError(f"{self.name} is over {MAX_FACE_FILE_BYTES} bytes")
        if self._zip is not None:
            return self._zip.read(self.name)
        return self._path.read_bytes()


def _wanted(name: str) -> bool:
    parts = name.split("/")
    return not name.endswith("/") and "__MACOSX" not in parts and not parts[-1].startswith(".")


@dataclass
class ForeignSource:
    """``with ForeignSource(path) as files:`` the face and alignments files, name order."""

    path: Path

    def __enter__(self) -> list[SourceFile]:
        self._zip = None
        if self.path.is_dir():
            found = [
                SourceFile(p.relative_to(self.path).as_posix(), p.stat().st_size, _path=p)
                for p in sorted(self.path.rglob("*"))
                if p.is_file() and not p.is_symlink()
            ]
        elif zipfile.is_zipfile(self.path):
            self._zip = zipfile.ZipFile(self.path)
            unsafe = unsafe_members(self._zip)
            if unsafe:
                self._zip.close()
                raise ForeignImportError(unsafe_message(self.path.name, unsafe))
            infos = self._zip.infolist()
            if len(infos) > MAX_FILES or sum(i.file_size for i in infos) > MAX_TOTAL_BYTES:
                self._zip.close()
                raise ForeignImportError(
                    f"{self.path.name} holds more than {MAX_FILES} files or "
                    f"{MAX_TOTAL_BYTES // 1024**3} GiB uncompressed; refused"
                )
            found = [SourceFile(i.filename, i.file_size, _zip=self._zip) for i in infos]
            found.sort(key=lambda f: f.name)
        elif self.path.exists():
            raise ForeignImportError(f"{self.path} is neither a folder nor a zip of faces")
        else:
            raise ForeignImportError(f"{self.path} does not exist")
        if len(found) > MAX_FILES:
            raise ForeignImportError(f"{self.path} holds more than {MAX_FILES} files; refused")
        suffixes = (*FACE_SUFFIXES, ALIGNMENTS_SUFFIX)
        return [f for f in found if _wanted(f.name) and f.name.lower().endswith(suffixes)]

    def __exit__(self, *exc: object) -> None:
        if self._zip is not None:
            self._zip.close()


def iter_named(files: list[SourceFile], suffixes: tuple[str, ...]) -> Iterator[SourceFile]:
    return (f for f in files if f.name.lower().endswith(suffixes))
