"""The folder layouts of the field's datasets, read into what the importer consumes.

    layout = detect_layout(names)              # "deepreview", "ffpp", "dfdc" or "celebdf"
    contents = read_layout(Path("FF++.zip"), "ffpp", compression="c23")
    contents.videos[0].original                # the key of the real video a fake came from

Each reader (:mod:`.ffpp`, :mod:`.dfdc`, :mod:`.celebdf`) gives the same
:class:`~deepreview_workers.pipeline.dataset.read.ExportedVideo` records a deepreview
export gives, with the label, method (``ffpp-<Method>``, ``dfdc``, ``celebdf``), the
people the layout names, the split it gives, the mask video where it ships one and the
pairing of each fake with its original. No video is decoded here.
"""

from __future__ import annotations

from pathlib import Path

from deepreview_workers.pipeline.dataset import layout as export_layout
from deepreview_workers.pipeline.dataset.layouts import celebdf, dfdc, ffpp
from deepreview_workers.pipeline.dataset.layouts.common import (
    LayoutError,
    Members,
    UnknownLayoutError,
    ZipMembers,
)
from deepreview_workers.pipeline.dataset.read import ExportContents, ExportedVideo, open_tree

DEEPREVIEW = "deepreview"
LAYOUTS = (DEEPREVIEW, "ffpp", "dfdc", "celebdf")
AUTO = "auto"
LAYOUT_NAMES = {
    DEEPREVIEW: "deepreview export",
    "ffpp": "FaceForensics++",
    "dfdc": "DFDC",
    "celebdf": "Celeb-DF",
}
MARKERS_TEXT = (
    f"a deepreview export has {export_layout.EXPORT_JSON}; FaceForensics++ "
    "original_sequences/ or manipulated_sequences/; DFDC a metadata.json beside its "
    f"videos; Celeb-DF {', '.join(celebdf.FOLDERS)} or {celebdf.TESTING_LIST}"
)


def _has_folder(names: list[str], folder: str) -> bool:
    return any(n.startswith(folder) or f"/{folder}" in n for n in names)


def detect_layout(names: list[str]) -> str:
    """Which layout the member names follow, from its marker files (a deepreview export
    first: it holds a FaceForensics++ tree too). A LayoutError names the markers."""
    if export_layout.EXPORT_JSON in names:
        return DEEPREVIEW
    if any(_has_folder(names, marker) for marker in ffpp.MARKERS):
        return "ffpp"
    if any(_has_folder(names, marker) for marker in celebdf.MARKERS):
        return "celebdf"
    if any(n == dfdc.METADATA or n.endswith(f"/{dfdc.METADATA}") for n in names):
        return "dfdc"
    raise UnknownLayoutError(
        f"This is not a dataset this app can import: none of the layouts' marker files is "
        f"in it ({MARKERS_TEXT})."
    )


def resolve_layout(names: list[str], layout: str) -> str:
    """``layout``, or the detected one for ``auto``; an unknown name is a LayoutError."""
    if layout == AUTO:
        return detect_layout(names)
    if layout not in LAYOUTS:
        raise LayoutError(f"Unknown layout {layout!r}; choose auto or one of {', '.join(LAYOUTS)}.")
    return layout


def read_videos(
    members: Members, layout: str, *, compression: str | None = None
) -> tuple[list[ExportedVideo], dict]:
    """The videos of a ``ffpp``, ``dfdc`` or ``celebdf`` dataset and what was read
    (``{"layout": …, "compression": …}``). ``compression`` is FaceForensics++'s only."""
    if compression is not None and layout != "ffpp":
        raise LayoutError(
            f"A compression applies to FaceForensics++ only; {LAYOUT_NAMES[layout]} ships one."
        )
    if layout == "ffpp":
        videos, chosen = ffpp.read_ffpp(members, compression)
        return videos, {"layout": layout, "compression": chosen}
    if layout == "dfdc":
        return dfdc.read_dfdc(members), {"layout": layout}
    if layout == "celebdf":
        return celebdf.read_celebdf(members), {"layout": layout}
    raise LayoutError(f"{layout!r} is not a dataset layout ({', '.join(LAYOUTS[1:])}).")


def read_layout(
    path: Path, layout: str = AUTO, *, compression: str | None = None
) -> ExportContents:
    """The dataset at ``path`` (a zip or a folder) as the importer reads an export: its
    videos in key order, no faces, no taxonomy. Hostile zips (paths outside, links) and
    folders with links are refused as exports are."""
    path = Path(path)
    with open_tree(path) as tree:
        names = tree.names()
        chosen = resolve_layout(names, layout)
        if chosen == DEEPREVIEW:
            raise LayoutError("This is a deepreview export; read it with read_export.")
        videos, info = read_videos(tree, chosen, compression=compression)
    return ExportContents(
        path=path,
        info=info,
        videos=tuple(sorted(videos, key=lambda v: v.key)),
        faces=(),
        taxonomy=(),
        annotations=None,
        manifest_sha256="",
        names=tuple(names),
    )


__all__ = [
    "AUTO",
    "LAYOUTS",
    "LayoutError",
    "UnknownLayoutError",
    "ZipMembers",
    "detect_layout",
    "read_layout",
    "read_videos",
    "resolve_layout",
]
