"""What the dataset-layout readers share: the files they read and the record they give.

A reader sees a dataset as member names (POSIX paths relative to the zip or folder)
and reads small text files by name; it never decodes a video. Sizes, frame counts and
checksums are left empty (0, ``""``): the importer probes each file as it stores it.
"""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Iterable
from dataclasses import replace
from typing import Protocol

from deepreview_workers.pipeline.dataset.layout import safe_segment
from deepreview_workers.pipeline.dataset.read import ExportedVideo, ExportError

VIDEO_SUFFIX = ".mp4"  # FaceForensics++, DFDC and Celeb-DF all ship MP4 only


class LayoutError(ExportError):
    """A dataset that does not follow the layout it was read as; the message names the
    file and what was expected. Nothing was imported."""


class UnknownLayoutError(LayoutError):
    """None of the layouts' marker files is there: not a dataset this app reads."""


class Members(Protocol):
    """A dataset's files: a zip or a folder (``read._Tree``), or an open upload."""

    def names(self) -> list[str]: ...

    def read(self, name: str) -> bytes: ...


class ZipMembers:
    """An open zip as :class:`Members` (an upload checked before it is stored)."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self._archive = archive
        self._names = sorted(n for n in archive.namelist() if not n.endswith("/"))

    def names(self) -> list[str]:
        return list(self._names)

    def read(self, name: str) -> bytes:
        return self._archive.read(name)


def listed(names: list[str], most: int = 5) -> str:
    """``a, b, c and 4 more``: the first few of a list, for an error message."""
    more = f" and {len(names) - most} more" if len(names) > most else ""
    return ", ".join(names[:most]) + more


def single_root(roots: Iterable[str], what: str) -> str:
    """The one folder (``""`` or ``"a/b/"``) the layout's folders sit in; two are an
    error, since their videos' names could clash."""
    found = sorted(set(roots))
    if len(found) > 1:
        shown = ", ".join(repr(r or "the top level") for r in found[:3])
        raise LayoutError(f"This holds more than one {what} tree ({shown}); import one at a time.")
    return found[0] if found else ""


def plain_file_name(name: object, where: str) -> str:
    """``name`` if it is a file name inside the folder being read, else a LayoutError
    (a listed path must never lead outside the dataset)."""
    if (
        not isinstance(name, str)
        or not name
        or name in (".", "..")
        or "/" in name
        or "\\" in name
        or "\x00" in name
    ):
        raise LayoutError(
            f"{where} names {name!r}, which is not a file in its own folder; a dataset's "
            "lists may only name files beside them. Nothing was imported."
        )
    return name


def inside(root: str, relative: str, where: str) -> str:
    """``root + relative`` for a relative path that stays under ``root``."""
    parts = relative.replace("\\", "/").split("/")
    if relative.startswith("/") or ".." in parts or "\x00" in relative or not relative:
        raise LayoutError(
            f"{where} names {relative!r}, a path outside the dataset. Nothing was imported."
        )
    return posixpath.normpath(root + relative)


def video_key(prefix: str, *parts: str) -> str:
    """A key that is one safe path segment (the importer names scratch files by it)."""
    return safe_segment("-".join((prefix, *parts)))


def stem(member: str) -> str:
    """``a/b/c.mp4`` -> ``c``."""
    return posixpath.splitext(posixpath.basename(member))[0]


def layout_video(
    *,
    key: str,
    member: str,
    label: str,
    identities: tuple[str, ...],
    method: str | None,
    source: str,
    split: str = "",
    original: str | None = None,
    mask_video: str | None = None,
) -> ExportedVideo:
    """The importer's record of one video of a dataset layout. Its label is the
    dataset's own ground truth; size, frames and checksum are filled in by the probe."""
    return ExportedVideo(
        key=key,
        name=posixpath.basename(member),
        sha256="",
        label=label,
        label_source="ground_truth",
        identities=identities,
        method=method if label == "fake" else None,
        method_options={},
        manipulated_ranges=(),
        split=split,
        frame_count=0,
        fps=0.0,
        width=0,
        height=0,
        source=source,
        raw_member=member,
        mask_video=mask_video,
        original=original,
    )


def check_unique_keys(videos: list[ExportedVideo]) -> None:
    seen: dict[str, str] = {}
    for video in videos:
        if video.key in seen:
            raise LayoutError(
                f"{seen[video.key]} and {video.raw_member} would be the same video "
                f"({video.key}); rename one."
            )
        seen[video.key] = video.raw_member or ""


def drop_missing_originals(videos: list[ExportedVideo]) -> list[ExportedVideo]:
    """A fake whose original is not in the dataset (not downloaded) keeps its people but
    pairs with nothing."""
    keys = {v.key for v in videos}
    return [
        v if v.original is None or v.original in keys else replace(v, original=None) for v in videos
    ]
