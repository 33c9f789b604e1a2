"""The DeepFake Detection Challenge (DFDC) training parts.

Each folder (``dfdc_train_part_0/`` …) holds its videos and a ``metadata.json``::

    {"aaqaifqrwn.mp4": {"label": "FAKE", "split": "train", "original": "vpmyeepbep.mp4"},
     "vpmyeepbep.mp4": {"label": "REAL", "split": "train", "original": null}}

DFDC names nobody, so a real video is its own identity cluster (``dfdc-<name>``) and a
fake joins its original's: identity-disjoint splits then keep every fake beside the
video it was made from. Every video in a folder must be listed, and every listed name
must be a file beside the list (a name with ``/`` or ``..`` is refused).
"""

from __future__ import annotations

import json
import posixpath

from deepreview_workers.pipeline.dataset.layouts.common import (
    VIDEO_SUFFIX,
    LayoutError,
    Members,
    check_unique_keys,
    layout_video,
    listed,
    plain_file_name,
    stem,
    video_key,
)
from deepreview_workers.pipeline.dataset.read import ExportedVideo

METADATA = "metadata.json"
METHOD = "dfdc"
_LABELS = {"REAL": "real", "FAKE": "fake"}


def _load(members: Members, listing: str) -> dict[str, dict]:
    try:
        entries = json.loads(members.read(listing).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LayoutError(f"{listing} is not valid JSON ({exc}). Nothing was imported.") from None
    if not isinstance(entries, dict) or not all(isinstance(e, dict) for e in entries.values()):
        raise LayoutError(
            f'{listing} must map each video to {{"label": "REAL"|"FAKE", "original": …}}. '
            "Nothing was imported."
        )
    return entries


def _folder_videos(members: Members, listing: str, names: set[str]) -> list[ExportedVideo]:
    folder = posixpath.dirname(listing)
    prefix = f"{folder}/" if folder else ""
    entries = _load(members, listing)
    for name in entries:
        plain_file_name(name, listing)
    on_disk = {n[len(prefix) :] for n in names if n.startswith(prefix) and n.endswith(VIDEO_SUFFIX)}
    on_disk = {n for n in on_disk if "/" not in n}
    unlisted = sorted(on_disk - set(entries))
    if unlisted:
        raise LayoutError(
            f"{len(unlisted)} video(s) in {folder or 'the top folder'} are not in its "
            f"{METADATA} ({listed(unlisted)}), so their labels are unknown. "
            "Nothing was imported."
        )
    missing = sorted(set(entries) - on_disk)
    if missing:
        raise LayoutError(
            f"{listing} lists {len(missing)} video(s) that are not beside it "
            f"({listed(missing)}). Nothing was imported."
        )
    videos = []
    for name, entry in sorted(entries.items()):
        label = _LABELS.get(str(entry.get("label", "")).upper())
        if label is None:
            raise LayoutError(
                f"{listing}: {name} has label {entry.get('label')!r}; DFDC labels are REAL "
                "and FAKE. Nothing was imported."
            )
        original = entry.get("original") if label == "fake" else None
        if original is not None:
            plain_file_name(original, f"{listing} ({name})")
            if _LABELS.get(str(entries.get(original, {}).get("label", "")).upper()) != "real":
                raise LayoutError(
                    f"{listing}: the original of {name}, {original}, is not a REAL video of "
                    "the same list. Nothing was imported."
                )
        # The identity cluster: the original's for a fake, its own for a real.
        cluster = f"{METHOD}-{stem(original or name)}"
        videos.append(
            layout_video(
                key=video_key(METHOD, folder.replace("/", "-"), stem(name)),
                member=prefix + name,
                label=label,
                identities=(cluster,),
                method=METHOD,
                source=f"DFDC {folder or METADATA}",
                split=str(entry.get("split") or ""),
                original=video_key(METHOD, folder.replace("/", "-"), stem(original))
                if original
                else None,
            )
        )
    return videos


def read_dfdc(members: Members) -> list[ExportedVideo]:
    """The videos of every folder with a ``metadata.json``; a LayoutError names the first
    listing or file that does not fit."""
    names = members.names()
    listings = sorted(n for n in names if posixpath.basename(n) == METADATA)
    if not listings:
        raise LayoutError(
            f"No {METADATA} found: a DFDC folder holds its videos and a {METADATA} with "
            "each one's label and original."
        )
    name_set = set(names)
    videos = [v for listing in listings for v in _folder_videos(members, listing, name_set)]
    check_unique_keys(videos)
    return videos
