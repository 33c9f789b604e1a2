"""Where each file of an export lives (see :mod:`deepreview_workers.pipeline.dataset.types`).

One place for the member names, so the builder and the reader cannot drift apart.
Names use the video's ``key`` and frame numbers padded to six digits, never database
ids or machine paths.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

EXPORT_JSON = "export.json"
DATASHEET = "datasheet.md"
METADATA_CSV = "metadata.csv"
MANIFEST = "manifest.sha256"
IMAGEFOLDER = "imagefolder"
JSONL = "metadata.jsonl"
ANNOTATIONS_JSON = "annotations/annotations.json"
REGIONS_COCO = "annotations/regions_coco.json"
RAW = "raw"  # the FaceForensics++ tree's name for the original bytes
REAL_SEQUENCES = "original_sequences/youtube"  # FF++ keeps its reals under "youtube"

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_segment(text: str, fallback: str = "unknown") -> str:
    """``text`` as one path segment: letters, digits, ``.``, ``_``, ``-`` only."""
    cleaned = _UNSAFE.sub("_", text).strip("._")
    return cleaned or fallback


def face_name(video: str, frame: int, face: int = 0) -> str:
    return f"{video}_{frame:06d}_{face}.png"


def crop_member(split: str, label: str, name: str) -> str:
    return f"{IMAGEFOLDER}/{split}/{label}/{name}"


def crop_mask_member(split: str, name: str) -> str:
    return f"masks/{split}/{name}"


def jsonl_member(split: str) -> str:
    return f"{IMAGEFOLDER}/{split}/{JSONL}"


def sequences(label: str, method: str | None) -> str:
    """The FF++ folder of a video: reals under ``original_sequences/youtube``, fakes
    under ``manipulated_sequences/<method>``."""
    if label == "real":
        return REAL_SEQUENCES
    return f"manipulated_sequences/{safe_segment(method or 'unknown')}"


def video_member(label: str, method: str | None, compression: str, key: str, suffix: str) -> str:
    """``<sequences>/<raw|c0|c23|c40>/videos/<key><suffix>``."""
    return f"{sequences(label, method)}/{compression}/videos/{key}{suffix}"


def raw_suffix(name: str) -> str:
    """The original's file suffix (lower case), ``.mp4`` when it has none usable."""
    suffix = PurePosixPath(name.replace("\\", "/")).suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix) else ".mp4"


def mask_video_member(method: str | None, key: str) -> str:
    """``manipulated_sequences/<method>/masks/videos/<key>.mp4``: a fake's ground-truth
    masks as one video, where FaceForensics++ keeps them (its download script's
    ``masks`` type; one for every compression, as in FF++)."""
    return f"{sequences('fake', method)}/masks/videos/{key}.mp4"


def key_frame_member(key: str, frame: int) -> str:
    return f"annotations/frames/{key}_{frame:06d}.jpg"


__all__ = [
    "ANNOTATIONS_JSON",
    "DATASHEET",
    "EXPORT_JSON",
    "IMAGEFOLDER",
    "JSONL",
    "MANIFEST",
    "METADATA_CSV",
    "RAW",
    "REGIONS_COCO",
    "crop_mask_member",
    "crop_member",
    "face_name",
    "jsonl_member",
    "key_frame_member",
    "mask_video_member",
    "raw_suffix",
    "safe_segment",
    "sequences",
    "video_member",
]
