"""Celeb-DF (v1 and v2) as it is distributed.

::

    Celeb-real/id0_0000.mp4            celebrity 0's video 0000
    Celeb-synthesis/id0_id16_0000.mp4  that video with celebrity 16's face
    YouTube-real/00000.mp4             a real video of nobody named
    List_of_testing_videos.txt         "<1 real | 0 fake> <path>" per line: the test split

A celebrity is one identity (``celebdf-id0``); a fake shows its target and its source
and pairs with the target's video of the same number. YouTube-real videos name nobody.
Videos on the testing list are in the ``test`` split, the others in ``train``.
"""

from __future__ import annotations

import re

from deepreview_workers.pipeline.dataset.layouts.common import (
    LayoutError,
    Members,
    check_unique_keys,
    drop_missing_originals,
    inside,
    layout_video,
    listed,
    single_root,
    video_key,
)
from deepreview_workers.pipeline.dataset.read import ExportedVideo

TESTING_LIST = "List_of_testing_videos.txt"
FOLDERS = ("Celeb-real", "Celeb-synthesis", "YouTube-real")
MARKERS = (*(f"{f}/" for f in FOLDERS), TESTING_LIST)
METHOD = "celebdf"
_FILE = re.compile(
    r"^(?P<root>(?:.+/)?)(?P<folder>Celeb-real|Celeb-synthesis|YouTube-real)/(?P<name>[^/]+)\.mp4$"
)
_LIST = re.compile(r"^(?P<root>(?:.+/)?)List_of_testing_videos\.txt$")
_REAL = re.compile(r"^id(?P<person>\d+)_(?P<number>\d+)$")
_SWAP = re.compile(r"^id(?P<target>\d+)_id(?P<source>\d+)_(?P<number>\d+)$")
_YOUTUBE = re.compile(r"^\d+$")


def _testing(members: Members, root: str, listing: str | None) -> dict[str, str]:
    """member -> label of the videos the testing list names."""
    if listing is None:
        return {}
    listed = {}
    text = members.read(listing).decode("utf-8", errors="replace")
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split(maxsplit=1)
        if len(parts) != 2 or parts[0] not in ("0", "1"):
            raise LayoutError(
                f"{TESTING_LIST} line {number}: expected '<1 real | 0 fake> <path>', got "
                f"{line.strip()[:80]!r}. Nothing was imported."
            )
        member = inside(root, parts[1].strip(), f"{TESTING_LIST} line {number}")
        listed[member] = "real" if parts[0] == "1" else "fake"
    return listed


def _video(folder: str, name: str, member: str, split: str) -> ExportedVideo:
    source = f"Celeb-DF {folder}"
    if folder == "Celeb-real" and (real := _REAL.match(name)):
        person = f"{METHOD}-id{real['person']}"
        key = video_key(METHOD, "real", name)
        return layout_video(
            key=key,
            member=member,
            label="real",
            identities=(person,),
            method=None,
            source=source,
            split=split,
        )
    if folder == "Celeb-synthesis" and (swap := _SWAP.match(name)):
        people = (f"{METHOD}-id{swap['target']}", f"{METHOD}-id{swap['source']}")
        original = video_key(METHOD, "real", f"id{swap['target']}_{swap['number']}")
        return layout_video(
            key=video_key(METHOD, "synthesis", name),
            member=member,
            label="fake",
            identities=people,
            method=METHOD,
            source=source,
            split=split,
            original=original,
        )
    if folder == "YouTube-real" and _YOUTUBE.match(name):
        return layout_video(
            key=video_key(METHOD, "youtube", name),
            member=member,
            label="real",
            identities=(),
            method=None,
            source=source,
            split=split,
        )
    raise LayoutError(
        f"{member}: Celeb-DF names videos Celeb-real/id<N>_<NNNN>.mp4, "
        "Celeb-synthesis/id<target>_id<source>_<NNNN>.mp4 and YouTube-real/<NNNNN>.mp4. "
        "Nothing was imported."
    )


def read_celebdf(members: Members) -> list[ExportedVideo]:
    """The videos of a Celeb-DF tree, with the test split from its testing list; a
    LayoutError names the first file or line that does not fit."""
    names = members.names()
    files = [(m, name) for name in names if (m := _FILE.match(name))]
    listings = [name for name in names if _LIST.match(name)]
    root = single_root(
        [m["root"] for m, _ in files] + [_LIST.match(n)["root"] for n in listings], "Celeb-DF"
    )
    if not files:
        raise LayoutError(
            "No Celeb-DF videos found: they live in Celeb-real/, Celeb-synthesis/ and "
            "YouTube-real/ as .mp4 files."
        )
    testing = _testing(members, root, listings[0] if listings else None)
    present = {name for _, name in files}
    absent = sorted(set(testing) - present)
    if absent:
        raise LayoutError(
            f"{TESTING_LIST} names {len(absent)} video(s) that are not here "
            f"({listed(absent)}). Nothing was imported."
        )
    videos = []
    for match, member in sorted(files, key=lambda pair: pair[1]):
        split = "test" if member in testing else "train"
        video = _video(match["folder"], match["name"], member, split)
        if member in testing and testing[member] != video.label:
            raise LayoutError(
                f"{TESTING_LIST} calls {member} {testing[member]}, but its folder says "
                f"{video.label}. Nothing was imported."
            )
        videos.append(video)
    videos = drop_missing_originals(videos)
    check_unique_keys(videos)
    return videos
