"""A faceset as a training set: aligned faces, masks and alignments files in a zip.

    faces/<media>_<frame>_<i>.png
    masks/<name>/<media>_<frame>_<i>.png
    alignments/<media>.json        one per source video (schema: docs/alignments-schema.md)
    faceset.json                   name and counts

Entries are written in a fixed order with fixed timestamps, so the same faces
give the same bytes; pixels stream from storage one file at a time.
"""

from __future__ import annotations

import json
import tempfile
import zipfile
from collections import defaultdict
from pathlib import Path

import numpy as np

from deepreview.facesets.models import Face, Faceset
from deepreview_workers.pipeline.alignments import FaceRecord, SourceInfo, write_alignments
from deepreview_workers.pipeline.progress import ProgressCallback
from deepreview_workers.pipeline.types import FaceMetrics

_FIXED_TIME = (2020, 1, 1, 0, 0, 0)
_NO_MEDIA_SHA = "0" * 64


def _entry(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
    info.compress_type = zipfile.ZIP_STORED if name.endswith(".png") else zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def _record(face: Face, stem: str) -> FaceRecord:
    return FaceRecord(
        frame_index=face.frame_index,
        pts_seconds=face.pts_seconds,
        face_index=face.face_index,
        box=tuple(float(v) for v in face.box),
        score=face.confidence,
        points5=np.asarray(face.points5, dtype=np.float32),
        landmarks68=np.asarray(face.landmarks68, dtype=np.float32),
        matrix=np.asarray(face.matrix, dtype=np.float64),
        size=face.crop_size,
        crop_path=f"faces/{stem}.png",
        mask_paths={name: f"masks/{name}/{stem}.png" for name in sorted(face.masks)},
        metrics=FaceMetrics(
            blur=face.blur,
            face_size=face.face_size,
            brightness=face.brightness,
            hue=face.hue,
            histogram=tuple(face.histogram),
            yaw=face.yaw,
            pitch=face.pitch,
            roll=face.roll,
            confidence=face.confidence,
        ),
        embedder=face.embedder,
        embedding=np.frombuffer(bytes(face.embedding), dtype="<f4").copy(),
        track_id=face.track_id,
    )


def faceset_export_zip(*, faceset: Faceset, out_path: Path, progress: ProgressCallback) -> dict:
    """Write the zip of the faceset's live faces to ``out_path``; returns counts."""
    faces = list(
        Face.objects.filter(faceset=faceset, deleted_at__isnull=True)
        .select_related("media")
        .order_by("media_id", "frame_index", "face_index", "id")
    )
    by_media: dict[int | None, list[FaceRecord]] = defaultdict(list)
    with zipfile.ZipFile(out_path, "w") as archive:
        for done, face in enumerate(faces, start=1):
            stem = f"{face.media_id or 0}_{face.frame_index:07d}_{face.face_index}"
            if face.media_id is None:  # imported faces: frames of several sources, no media
                stem = f"{stem}_{face.pk}"
            with face.crop.open("rb") as handle:
                _entry(archive, f"faces/{stem}.png", handle.read())
            for name, stored in sorted(face.masks.items()):
                with face.crop.storage.open(stored, "rb") as handle:
                    _entry(archive, f"masks/{name}/{stem}.png", handle.read())
            by_media[face.media_id].append(_record(face, stem))
            progress(done / max(len(faces), 1) * 0.95, f"Face {done} of {len(faces)}")
        media = {face.media_id: face.media for face in faces}
        with tempfile.TemporaryDirectory() as tmp:
            for media_id, records in by_media.items():
                item = media.get(media_id)
                source = SourceInfo(
                    file_name=item.name if item else "unknown",
                    sha256=item.sha256 if item else _NO_MEDIA_SHA,
                    frame_count=(item.frame_count or 1) if item else 1,
                    fps=item.fps if item else None,
                    width=item.width if item else 1,  # unknown; the schema wants > 0
                    height=item.height if item else 1,
                )
                path = Path(tmp) / f"{media_id or 0}.json"
                write_alignments(path, source, {"faceset": faceset.name}, records)
                _entry(archive, f"alignments/{media_id or 0}.json", path.read_bytes())
        summary = {"faceset": faceset.name, "faces": len(faces), "media": len(by_media)}
        _entry(archive, "faceset.json", json.dumps(summary, indent=2).encode())
    return summary
