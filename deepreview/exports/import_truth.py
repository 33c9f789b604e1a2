"""An imported fake's ground truth: the swap ground-truth zip rebuilt from the dataset's
full-frame masks (a deepreview export's, or FaceForensics++'s ``masks/videos``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from deepreview.core.errors import ApplicationError
from deepreview_workers.pipeline.dataset.read import ExportContents, ExportedVideo

# FaceForensics++ ships its masks H.264-compressed: black is not exactly 0 near the
# mask's edge and in flat areas, so values up to this count as black there. Our own
# exports' mask videos are lossless and their feathered edges are kept as they are.
LOSSY_MASK_FLOOR = 32


def copy_member(contents: ExportContents, member: str, path: Path) -> Path:
    """A member of the dataset copied to the local file ``path``, in chunks."""
    with contents.open(member) as src, path.open("wb") as dst:
        while chunk := src.read(1024 * 1024):
            dst.write(chunk)
    return path


def _export_masks(
    contents: ExportContents, video: ExportedVideo, scratch: Path
) -> Iterator[np.ndarray | None]:
    """The export's full-frame masks of ``video``, frame by frame from frame 0 (None:
    no mask): its mask video (``masks/videos/<video>.mp4``, copied to ``scratch`` to be
    decoded), or the PNG per frame that exports of schema version 1 held."""
    # Worker-only imports (the "ml" extra): the web host imports this module too.
    import cv2

    from deepreview_workers.pipeline.dataset.maskvideo import read_mask_video

    if video.mask_video:
        copy_member(contents, video.mask_video, scratch)
        try:
            yield from read_mask_video(scratch)
        finally:
            scratch.unlink(missing_ok=True)
        return
    members = dict(video.mask_members)  # frame index -> zip member
    for index in range(video.frame_count):
        member = members.get(index)
        if member is None:
            yield None
        else:
            data = np.frombuffer(contents.read(member), np.uint8)
            yield cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)


def ground_truth_zip(
    contents: ExportContents, video: ExportedVideo, out: Path, *, noise_floor: int = 0
) -> list[int]:
    """Write the swap ground-truth zip of ``video`` to ``out`` from the dataset's
    full-frame masks; returns the manipulated frames (a mask not all black, after
    values up to ``noise_floor`` are taken for black)."""
    from deepreview_workers.pipeline.swap.groundtruth import GroundTruthWriter

    writer = GroundTruthWriter(out, (video.height, video.width))
    count = 0
    manipulated = []
    try:
        masks = _export_masks(contents, video, out.with_name(f"{video.key}.masks.mp4"))
        for index, mask in enumerate(masks):
            count = index + 1
            if mask is not None and mask.shape != (video.height, video.width):
                raise ApplicationError(
                    f"The mask video of {video.name} is {mask.shape[1]}x{mask.shape[0]}, the "
                    f"video {video.width}x{video.height}; masks must match their video frame "
                    "for frame. Nothing was imported.",
                    code="bad_export",
                )
            if mask is not None and noise_floor:
                mask = np.where(mask > noise_floor, mask, 0).astype(np.uint8)
            ys, xs = np.nonzero(mask) if mask is not None else ((), ())
            if not len(xs):
                writer.add_frame(index)
                continue
            manipulated.append(index)
            box = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
            writer.add_frame(index, alpha=mask[box[1] : box[3], box[0] : box[2]], box=box)
        for index in range(count, video.frame_count):  # a mask video shorter than probed
            writer.add_frame(index)
    except BaseException:
        writer.abort()
        raise
    writer.close(
        {
            "video": {
                "file_name": video.name,
                "frame_count": video.frame_count,
                "fps": video.fps,
                "width": video.width,
                "height": video.height,
            },
            "source": {"file_name": video.name, "start_frame": 0, "end_frame": video.frame_count},
            "synthetic": {"imported": True, "method": video.method},
        }
    )
    return manipulated
