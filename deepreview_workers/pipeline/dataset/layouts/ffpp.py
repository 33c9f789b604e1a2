"""FaceForensics++ as its download script lays it out.

::

    original_sequences/youtube/<c>/videos/000.mp4            real, YouTube id 000
    original_sequences/actors/<c>/videos/01__walking.mp4     real, actor 01 (DeepFakeDetection)
    manipulated_sequences/<Method>/<c>/videos/000_003.mp4    video 000 with 003's face
    manipulated_sequences/DeepFakeDetection/<c>/videos/01_02__walking__ABC123.mp4
    manipulated_sequences/<Method>/masks/videos/000_003.mp4  its masks: white = manipulated

``<c>`` is ``raw``, ``c0``, ``c23`` or ``c40``. Each YouTube id (and each actor) is one
person; a fake shows two, its target's and its source's, and pairs with its target's
original video. One compression is imported: the one asked for, or else the least lossy
one every video has, so a detector never learns compression instead of manipulation.
"""

from __future__ import annotations

import re
from collections import defaultdict

from deepreview_workers.pipeline.dataset.layouts.common import (
    LayoutError,
    Members,
    check_unique_keys,
    drop_missing_originals,
    layout_video,
    listed,
    single_root,
    video_key,
)
from deepreview_workers.pipeline.dataset.read import ExportedVideo

COMPRESSIONS = ("raw", "c0", "c23", "c40")  # least lossy first
MARKERS = ("original_sequences/", "manipulated_sequences/")
_C = "|".join(COMPRESSIONS)
_REAL = re.compile(
    rf"^(?P<root>(?:.+/)?)original_sequences/(?P<kind>[^/]+)/(?P<c>{_C})/videos/(?P<name>[^/]+)\.mp4$"
)
_FAKE = re.compile(
    rf"^(?P<root>(?:.+/)?)manipulated_sequences/(?P<method>[^/]+)/(?P<c>{_C})/videos/(?P<name>[^/]+)\.mp4$"
)
_MASK = re.compile(
    r"^(?P<root>(?:.+/)?)manipulated_sequences/(?P<method>[^/]+)/masks/videos/(?P<name>[^/]+)\.mp4$"
)
_YOUTUBE_ID = re.compile(r"^\d+$")
_ACTOR_SCENE = re.compile(r"^(?P<actor>\d+)__(?P<scene>[^_].*)$")
_SWAP = re.compile(r"^(?P<target>\d+)_(?P<source>\d+)$")
_ACTOR_SWAP = re.compile(
    r"^(?P<target>\d+)_(?P<source>\d+)__(?P<scene>.+?)__(?P<code>[A-Za-z0-9]+)$"
)


def _person(kind: str, number: str) -> str:
    return f"ffpp-{number}" if kind == "youtube" else f"ffpp-{kind}-{number}"


def _real(kind: str, name: str, member: str) -> tuple[str, tuple[str, ...]]:
    """(key, identities) of an original video."""
    if kind == "youtube" and _YOUTUBE_ID.match(name):
        return video_key("ffpp", kind, name), (_person(kind, name),)
    scene = _ACTOR_SCENE.match(name)
    if scene:
        return video_key("ffpp", kind, name), (_person(kind, scene["actor"]),)
    raise LayoutError(
        f"{member}: an original video is named <id>.mp4 (youtube) or <actor>__<scene>.mp4 "
        "(actors) in FaceForensics++. Nothing was imported."
    )


def _fake(method: str, name: str, member: str) -> tuple[str, tuple[str, ...], str]:
    """(key, identities (target, source), the key of the target's original)."""
    swap = _SWAP.match(name)
    if swap:
        target, source = swap["target"], swap["source"]
        people = (_person("youtube", target), _person("youtube", source))
        return video_key("ffpp", method, name), people, video_key("ffpp", "youtube", target)
    actors = _ACTOR_SWAP.match(name)
    if actors:
        target, source = actors["target"], actors["source"]
        people = (_person("actors", target), _person("actors", source))
        original = video_key("ffpp", "actors", f"{target}__{actors['scene']}")
        return video_key("ffpp", method, name), people, original
    raise LayoutError(
        f"{member}: a manipulated video is named <target>_<source>.mp4, or "
        "<target>_<source>__<scene>__<code>.mp4 for DeepFakeDetection, in FaceForensics++. "
        "Nothing was imported."
    )


def _compression(found: dict[tuple[str, str], dict[str, str]], wanted: str | None) -> str:
    if wanted is not None:
        if wanted not in COMPRESSIONS:
            raise LayoutError(f"Compression {wanted!r}: choose one of {', '.join(COMPRESSIONS)}.")
        lacking = sorted(
            f"{seq}/{name}" for (seq, name), by_c in found.items() if wanted not in by_c
        )
        if lacking:
            raise LayoutError(
                f"{len(lacking)} video(s) have no {wanted} file ({listed(lacking)}); download "
                f"them at {wanted} or choose a compression they all have. Nothing was imported."
            )
        return wanted
    shared = set(COMPRESSIONS)
    for by_c in found.values():
        shared &= set(by_c)
    if not shared:
        present = sorted({c for by_c in found.values() for c in by_c}, key=COMPRESSIONS.index)
        raise LayoutError(
            f"No compression is present for every video (found {', '.join(present)}); choose "
            "one (--compression, or the upload's compression field): the videos without it "
            "are then named."
        )
    return min(shared, key=COMPRESSIONS.index)


def read_ffpp(members: Members, compression: str | None = None) -> tuple[list[ExportedVideo], str]:
    """The videos of a FaceForensics++ tree and the compression chosen; a LayoutError
    names the first file that does not fit the layout."""
    names = members.names()
    # (sequence folder, video name) -> compression -> member
    found: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    facts: dict[tuple[str, str], tuple[str, str]] = {}  # -> (label, kind or method)
    masks: dict[tuple[str, str], str] = {}
    roots = []
    for name in names:
        if match := _MASK.match(name):
            masks[(match["method"], match["name"])] = name
            roots.append(match["root"])
        elif match := _REAL.match(name):
            video = (f"original_sequences/{match['kind']}", match["name"])
            found[video][match["c"]] = name
            facts[video] = ("real", match["kind"])
            roots.append(match["root"])
        elif match := _FAKE.match(name):
            video = (f"manipulated_sequences/{match['method']}", match["name"])
            found[video][match["c"]] = name
            facts[video] = ("fake", match["method"])
            roots.append(match["root"])
    single_root(roots, "FaceForensics++")
    if not found:
        raise LayoutError(
            "No FaceForensics++ videos found: they live at original_sequences/youtube/<c>/videos/"
            "<id>.mp4 and manipulated_sequences/<method>/<c>/videos/<target>_<source>.mp4 "
            f"(<c>: {', '.join(COMPRESSIONS)})."
        )
    chosen = _compression(found, compression)
    videos = []
    for (sequence, name), by_c in sorted(found.items()):
        label, group = facts[(sequence, name)]
        member = by_c[chosen]
        if label == "real":
            key, people = _real(group, name, member)
            videos.append(
                layout_video(
                    key=key,
                    member=member,
                    label="real",
                    identities=people,
                    method=None,
                    source=f"FaceForensics++ {sequence} ({chosen})",
                )
            )
            continue
        key, people, original = _fake(group, name, member)
        videos.append(
            layout_video(
                key=key,
                member=member,
                label="fake",
                identities=people,
                method=f"ffpp-{group}",
                source=f"FaceForensics++ {sequence} ({chosen})",
                original=original,
                mask_video=masks.get((group, name)),
            )
        )
    videos = drop_missing_originals(videos)
    check_unique_keys(videos)
    return videos, chosen
