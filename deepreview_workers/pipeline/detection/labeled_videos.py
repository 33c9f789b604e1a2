"""Training faces cut from labeled videos, as detection cuts them.

For each :class:`~deepreview_workers.pipeline.detection.dataset.LabeledVideo`, one
decoding pass keeps the frames it names; MTCNN finds the faces of those frames and the
largest ``faces_per_frame`` of each are cut with
:func:`~deepreview_workers.pipeline.detection.models.face_crop` (the 30% margin square
detection scores) into ``out_dir/<label>/<key>_<frame:07d>_<k>.png``. A ``labels.csv``
lists them with label, identity and video, the folder form
:func:`~deepreview_workers.pipeline.detection.dataset.load_face_set` reads.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import cv2

from deepreview_workers.pipeline.detection.dataset import LabeledVideo
from deepreview_workers.pipeline.detection.models import face_crop
from deepreview_workers.pipeline.device import resolve_device
from deepreview_workers.pipeline.face_detectors import detectors
from deepreview_workers.pipeline.frames import iter_frames
from deepreview_workers.pipeline.progress import ProgressCallback, no_progress


def cut_labeled_faces(
    videos: Sequence[LabeledVideo],
    out_dir: Path,
    *,
    size: int,
    device: str,
    progress: ProgressCallback = no_progress,
) -> dict:
    """Face crops of every video into ``out_dir`` with a ``labels.csv``; returns
    ``{"videos": count, "faces": count}``."""
    detector = detectors.create("mtcnn", device=str(resolve_device(device)), min_confidence=0.9)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for number, video in enumerate(videos):
        progress(number / max(len(videos), 1), f"Faces of {video.name}")
        with video.local_path() as source:
            keep = video.frames.__contains__
            frames = list(iter_frames(source, keep=lambda i, _t, keep=keep: keep(i)))
        hits_per_frame = detector.detect_batch([f.rgb for f in frames]) if frames else []
        for frame, hits in zip(frames, hits_per_frame, strict=True):
            largest = sorted(hits, key=lambda h: -(h.box[2] - h.box[0]) * (h.box[3] - h.box[1]))
            for k, hit in enumerate(largest[: video.faces_per_frame]):
                name = f"{video.label}/{video.key}_{frame.index:07d}_{k}.png"
                (out_dir / video.label).mkdir(exist_ok=True)
                crop = face_crop(frame.rgb, hit.box, size)
                cv2.imwrite(str(out_dir / name), cv2.cvtColor(crop, cv2.COLOR_RGB2BGR))
                rows.append(
                    {
                        "path": name,
                        "label": video.label,
                        "identity": video.identity,
                        "video": video.key,
                    }
                )
    with (out_dir / "labels.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["path", "label", "identity", "video"])
        writer.writeheader()
        writer.writerows(rows)
    return {"videos": len(videos), "faces": len(rows)}
