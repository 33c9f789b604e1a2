"""Training faces cut from labeled videos, as detection cuts them.

For each :class:`~deepreview_workers.pipeline.detection.dataset.LabeledVideo`, one
decoding pass keeps the frames it names; MTCNN finds the faces of those frames and the
largest ``faces_per_frame`` of each are cut with
:func:`~deepreview_workers.pipeline.detection.models.face_crop` (the 30% margin square
detection scores) into ``out_dir/<label>/<key>_<frame:07d>_<k>.png``. A fake with a
conversion's ground truth also gets the same crop of that frame's mask, under
``out_dir/truth/``, which supervises the detector's manipulation map. A ``labels.csv``
lists them with label, identity, video and mask, the folder form
:func:`~deepreview_workers.pipeline.detection.dataset.load_face_set` reads.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

import cv2

from deepreview_workers.pipeline.dataset.faces import crop_mask
from deepreview_workers.pipeline.detection.dataset import LabeledVideo
from deepreview_workers.pipeline.detection.models import CROP_MARGIN, face_crop
from deepreview_workers.pipeline.device import resolve_device
from deepreview_workers.pipeline.face_detectors import detectors
from deepreview_workers.pipeline.frames import iter_frames
from deepreview_workers.pipeline.progress import ProgressCallback, no_progress
from deepreview_workers.pipeline.swap.groundtruth import GroundTruth, read_ground_truth


def cut_labeled_faces(
    videos: Sequence[LabeledVideo],
    out_dir: Path,
    *,
    size: int,
    device: str,
    progress: ProgressCallback = no_progress,
) -> dict:
    """Face crops of every video into ``out_dir`` with a ``labels.csv``; returns
    ``{"videos": count, "faces": count}``, plus ``ground_truth_unreadable`` (names) when
    a fake's ground truth could not be read: its faces are kept, without masks."""
    detector = detectors.create("mtcnn", device=str(resolve_device(device)), min_confidence=0.9)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows, unreadable = [], []
    for number, video in enumerate(videos):
        progress(number / max(len(videos), 1), f"Faces of {video.name}")
        with ExitStack() as files:
            source = files.enter_context(video.local_path())
            truth = None
            if video.ground_truth is not None:
                try:
                    truth = read_ground_truth(files.enter_context(video.ground_truth()))
                except (ValueError, OSError):
                    unreadable.append(video.name)  # its faces still train the score
            keep = video.frames.__contains__
            frames = list(iter_frames(source, keep=lambda i, _t, keep=keep: keep(i)))
            hits_per_frame = detector.detect_batch([f.rgb for f in frames]) if frames else []
            for frame, hits in zip(frames, hits_per_frame, strict=True):
                largest = sorted(hits, key=lambda h: -(h.box[2] - h.box[0]) * (h.box[3] - h.box[1]))
                for k, hit in enumerate(largest[: video.faces_per_frame]):
                    stem = f"{video.key}_{frame.index:07d}_{k}.png"
                    name = f"{video.label}/{stem}"
                    (out_dir / video.label).mkdir(exist_ok=True)
                    crop = face_crop(frame.rgb, hit.box, size)
                    cv2.imwrite(str(out_dir / name), cv2.cvtColor(crop, cv2.COLOR_RGB2BGR))
                    mask = ""
                    if truth is not None:
                        mask = f"truth/{stem}"
                        _write_mask_crop(truth, frame.index, hit.box, size, out_dir / mask)
                    rows.append(
                        {
                            "path": name,
                            "label": video.label,
                            "identity": video.identity,
                            "video": video.key,
                            "mask": mask,
                        }
                    )
    with (out_dir / "labels.csv").open("w", newline="", encoding="utf-8") as handle:
        fields = ["path", "label", "identity", "video", "mask"]
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    summary: dict = {"videos": len(videos), "faces": len(rows)}
    if unreadable:
        summary["ground_truth_unreadable"] = unreadable
    return summary


def _write_mask_crop(
    truth: GroundTruth, output_index: int, box: tuple, size: int, path: Path
) -> None:
    """The face's crop of its frame's ground-truth mask, cut as the face was."""
    path.parent.mkdir(exist_ok=True)
    cv2.imwrite(str(path), crop_mask(truth.output_mask(output_index), box, size, CROP_MARGIN))
