"""The export's tables and JSON documents: face rows, export.json, annotations, COCO.

Everything here is plain data in, text out, with a fixed order (sorted keys, rows by
path), so the same build gives the same bytes. JSON is UTF-8 with ``sort_keys``.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from deepreview_workers.pipeline.dataset import layout
from deepreview_workers.pipeline.dataset.types import (
    SCHEMA,
    SCHEMA_VERSION,
    SPLITS,
    ExportRequest,
    ExportVideo,
)
from deepreview_workers.pipeline.options.spec import options_values

if TYPE_CHECKING:  # faces.py needs OpenCV; the web host's importer reads these tables
    from deepreview_workers.pipeline.dataset.faces import SampledFace

CSV_COLUMNS = ("path", "split", "label", "video", "frame", "face", "identity", "method", "mask")
IDENTITY_SEPARATOR = ";"  # a fake's face row names both its people: "source;target"


def dumps(data: object) -> bytes:
    """Canonical JSON bytes: sorted keys, two-space indent, UTF-8, final newline."""
    return (json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()


def frame_ranges(frames: Iterable[int]) -> list[list[int]]:
    """Sorted frame indices as inclusive ``[first, last]`` runs."""
    runs: list[list[int]] = []
    for frame in sorted(set(frames)):
        if runs and frame == runs[-1][1] + 1:
            runs[-1][1] = frame
        else:
            runs.append([frame, frame])
    return runs


@dataclass(frozen=True)
class FaceRow:
    """One face crop as the tables list it (paths from the export root)."""

    path: str
    split: str
    label: str
    video: str
    frame: int
    face: int
    identity: str
    method: str
    mask: str  # "" when the face has no mask: a column of one type in every split

    @property
    def file_name(self) -> str:
        """The crop's path from its split folder (Hugging Face ``imagefolder`` rule)."""
        return self.path.split("/", 2)[2]


def face_rows(
    faces: Sequence[SampledFace], videos: Mapping[str, ExportVideo], splits: Mapping[str, str]
) -> list[FaceRow]:
    """Rows for the kept faces, sorted by path."""
    rows = []
    for face in faces:
        video = videos[face.video]
        split = splits[face.video]
        name = layout.face_name(face.video, face.frame, face.face)
        rows.append(
            FaceRow(
                path=layout.crop_member(split, face.label, name),
                split=split,
                label=face.label,
                video=face.video,
                frame=face.frame,
                face=face.face,
                identity=IDENTITY_SEPARATOR.join(video.identities),
                method=video.method or "",
                mask=layout.crop_mask_member(split, name) if face.mask is not None else "",
            )
        )
    return sorted(rows, key=lambda r: r.path)


def write_metadata_csv(rows: Sequence[FaceRow], path: Path) -> Path:
    """``metadata.csv`` (export root): every face, ``CSV_COLUMNS``, ``\\n`` line ends."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for row in rows:
            writer.writerow([getattr(row, column) for column in CSV_COLUMNS])
    return path


def write_jsonl(rows: Sequence[FaceRow], path: Path) -> Path:
    """One split's ``metadata.jsonl``: ``file_name`` relative to the split folder, then
    the row's other columns. Every value is a string or an integer, never null, so
    ``datasets`` infers the same features for every split."""
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            record = {
                "file_name": row.file_name,
                "label": row.label,
                "split": row.split,
                "video": row.video,
                "frame": row.frame,
                "face": row.face,
                "identity": row.identity,
                "method": row.method,
                "mask": row.mask,
            }
            handle.write(json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n")
    return path


def split_counts(
    videos: Sequence[ExportVideo], splits: Mapping[str, str], rows: Sequence[FaceRow]
) -> dict[str, dict]:
    """Per split: videos, real and fake videos, faces, real and fake faces, identities."""
    counts: dict[str, dict] = {}
    for split in SPLITS:
        chosen = [v for v in videos if splits[v.key] == split]
        faces = Counter(r.label for r in rows if r.split == split)
        counts[split] = {
            "videos": len(chosen),
            "real_videos": sum(v.label == "real" for v in chosen),
            "fake_videos": sum(v.label == "fake" for v in chosen),
            "faces": sum(faces.values()),
            "real": faces.get("real", 0),
            "fake": faces.get("fake", 0),
            "identities": sorted({i for v in chosen for i in v.identities}),
        }
    return counts


@dataclass
class VideoFacts:
    """What the build learned about one video, for export.json and the datasheet
    (filled in as the build goes: ``faces`` counts the crops kept after dedupe)."""

    split: str
    manipulated_ranges: list[list[int]]
    files: dict[str, str]  # raw / c0 / c23 / c40 -> member
    mask_video: str | None  # its ground-truth masks as one video, when it has any
    masks: int  # frames of that video with a mask (the others are black)
    faces: int
    sampled: int


@dataclass(frozen=True)
class ExportReport:
    """What the build found, for export.json and the datasheet."""

    request: ExportRequest
    videos: Sequence[ExportVideo]
    facts: Mapping[str, VideoFacts]
    counts: Mapping[str, dict]
    rows: Sequence[FaceRow]
    duplicates: Sequence[dict]
    no_faces: Sequence[str]
    overlap: Mapping[str, Sequence[str]]


def export_document(report: ExportReport) -> dict:
    """The content of ``export.json`` (see :mod:`deepreview_workers.pipeline.dataset.types`)."""
    request, videos, facts, counts = report.request, report.videos, report.facts, report.counts
    rows, duplicates, no_faces, overlap = (
        report.rows,
        report.duplicates,
        report.no_faces,
        report.overlap,
    )
    labels = Counter(r.label for r in rows)
    return {
        "schema": SCHEMA,
        "version": SCHEMA_VERSION,
        "title": request.title,
        "selection": request.selection,
        "options": options_values(request.options),  # not the device: where, not what
        "seed": request.options.seed,
        "formats": sorted(request.options.formats),
        "compressions": sorted(request.options.compressions),
        "agreement": request.agreement,
        "counts": {
            "videos": len(videos),
            "real_videos": sum(v.label == "real" for v in videos),
            "fake_videos": sum(v.label == "fake" for v in videos),
            "faces": len(rows),
            "real_faces": labels.get("real", 0),
            "fake_faces": labels.get("fake", 0),
            "duplicates_removed": len(duplicates),
            "videos_without_faces": len(no_faces),
            "identities": len({i for v in videos for i in v.identities}),
        },
        "splits": dict(counts),
        "identity_disjoint": not overlap,
        "identity_overlap": {k: list(v) for k, v in overlap.items()},
        "duplicates": list(duplicates),
        "videos_without_faces": list(no_faces),
        "videos": [_video_entry(v, facts[v.key]) for v in videos],
        "taxonomy": [asdict(kind) for kind in request.taxonomy],
    }


def _video_entry(video: ExportVideo, facts: VideoFacts) -> dict:
    return {
        "key": video.key,
        "name": video.name,
        "sha256": video.sha256,
        "label": video.label,
        "label_source": video.label_source,
        "identities": list(video.identities),
        "method": video.method,
        "method_options": video.method_options,
        "original": video.original,
        "manipulated_ranges": facts.manipulated_ranges,
        "split": facts.split,
        "frame_count": video.frame_count,
        "fps": video.fps,
        "width": video.width,
        "height": video.height,
        "source": video.source,
        "files": facts.files,
        "mask_video": facts.mask_video,
        "masks": facts.masks,
        "faces": facts.faces,
        "frames_sampled": facts.sampled,
    }


def annotations_document(
    request: ExportRequest, videos: Sequence[ExportVideo], splits: Mapping[str, str]
) -> dict:
    """``annotations/annotations.json``: the taxonomy and, per video, its labels,
    verdicts, consensus and marks (frame ranges inclusive, regions as fractions
    ``[x0, y0, x1, y1]`` of the frame), reviewers as the pseudonyms the app gave."""
    return {
        "schema": f"{SCHEMA}.annotations",
        "version": SCHEMA_VERSION,
        "taxonomy": [asdict(kind) for kind in request.taxonomy],
        "videos": [
            {
                "key": v.key,
                "name": v.name,
                "label": v.label,
                "label_source": v.label_source,
                "split": splits[v.key],
                "consensus": v.consensus,
                "verdicts": [asdict(verdict) for verdict in v.verdicts],
                "marks": [
                    {**asdict(m), "region": list(m.region) if m.region else None} for m in v.marks
                ],
            }
            for v in videos
        ],
    }


def coco_document(
    request: ExportRequest,
    videos: Sequence[ExportVideo],
    stills: Mapping[str, Mapping[int, Path]],
    sizes: Mapping[str, tuple[int, int] | None],
) -> dict:
    """``annotations/regions_coco.json``: COCO detection layout. Images are the key
    frames (the middle frame of each mark with a region) that could be decoded;
    annotations are the marks' regions as pixel ``[x, y, width, height]``; categories
    are the taxonomy's kinds (then any other kind a mark uses), ids from 1."""
    kinds = [k.slug for k in request.taxonomy]
    kinds += sorted({m.kind for v in videos for m in v.marks if m.region} - set(kinds))
    category = {slug: i for i, slug in enumerate(kinds, start=1)}
    images, annotations = [], []
    image_ids: dict[tuple[str, int], int] = {}
    for video in videos:
        width, height = sizes.get(video.key) or (video.width, video.height)
        for frame in sorted(stills.get(video.key, {})):
            image_ids[(video.key, frame)] = len(images) + 1
            images.append(
                {
                    "id": len(images) + 1,
                    "file_name": layout.key_frame_member(video.key, frame),
                    "width": width,
                    "height": height,
                    "video": video.key,
                    "frame_index": frame,
                }
            )
        for mark in video.marks:
            image = image_ids.get((video.key, (mark.start_frame + mark.end_frame) // 2))
            if mark.region is None or image is None:
                continue
            x0, y0, x1, y1 = mark.region
            box = [x0 * width, y0 * height, (x1 - x0) * width, (y1 - y0) * height]
            box = [round(v, 2) for v in box]
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": image,
                    "category_id": category[mark.kind],
                    "bbox": box,
                    "area": round(box[2] * box[3], 2),
                    "iscrowd": 0,
                    "start_frame": mark.start_frame,
                    "end_frame": mark.end_frame,
                    "note": mark.note,
                    "author": mark.author,
                }
            )
    labels = {k.slug: k.label for k in request.taxonomy}
    return {
        "info": {"description": request.title, "version": str(SCHEMA_VERSION)},
        "images": images,
        "annotations": annotations,
        "categories": [
            {"id": i, "name": slug, "label": labels.get(slug, slug), "supercategory": "artifact"}
            for slug, i in category.items()
        ],
    }
