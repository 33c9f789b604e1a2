"""Decoded frames for analysis: one pass over the video, RGB arrays only where needed.

Frame indices count decoded frames in display order from 0, as the probe
job's frame timestamps do, so index N here is frame N everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from deepreview_workers.pipeline.probe import (
    MediaRejected,
    av_errors,
    open_media,
    select_video_stream,
)


@dataclass(frozen=True)
class Frame:
    """``rgb``: (H, W, 3) uint8 RGB; ``pts_seconds`` from the stream start."""

    index: int
    pts_seconds: float
    rgb: np.ndarray


FrameFilter = Callable[[int, float], bool]


def iter_frames(
    path: str | Path,
    *,
    start_frame: int = 0,
    end_frame: int | None = None,
    keep: FrameFilter | None = None,
) -> Iterator[Frame]:
    """Decode ``path`` once and yield the frames in ``[start_frame, end_frame)`` that
    ``keep(index, pts_seconds)`` accepts (all when None).

    Every frame is decoded (inter-coded video needs it) but only kept frames are
    converted to RGB, which is most of the per-frame cost. Images give frame 0.
    """
    path = Path(path)
    with av_errors(path, while_doing="decoding"):
        container = open_media(path)
        try:
            video = select_video_stream(container)
            video.thread_type = "AUTO"  # frame threads: decoding keeps up with batched detection
            time_base = float(video.time_base) if video.time_base else 0.0
            first_pts: int | None = None
            index = -1
            for packet in container.demux(video):
                for frame in video.codec_context.decode(packet if packet.size else None):
                    index += 1
                    if end_frame is not None and index >= end_frame:
                        return
                    if index < start_frame:
                        continue
                    pts = frame.pts if frame.pts is not None else index
                    first_pts = pts if first_pts is None else first_pts
                    seconds = (pts - first_pts) * time_base if time_base else 0.0
                    if keep is None or keep(index, seconds):
                        yield Frame(index, seconds, frame.to_ndarray(format="rgb24"))
        finally:
            container.close()


def read_frame(path: str | Path, frame_index: int) -> np.ndarray:
    """One frame as (H, W, 3) uint8 RGB, decoded from the nearest earlier keyframe.

    Seeks by the frame's timestamp rather than counting from the start, so it
    stays fast at the end of a long video.
    """
    path = Path(path)
    with av_errors(path, while_doing="seeking"):
        container = open_media(path)
        try:
            video = select_video_stream(container)
            rate = float(video.average_rate or video.guessed_rate or 0) or 25.0
            start = video.start_time or 0
            target = start + int(frame_index / rate / float(video.time_base))
            if frame_index > 0:  # stills cannot seek; frame 0 needs no seek
                back_one_second = int(1.0 / float(video.time_base))
                container.seek(max(target - back_one_second, start), stream=video)
            best = None
            for count, frame in enumerate(container.decode(video)):
                # Stills and some raw streams carry no pts: count frames instead.
                index = (
                    count
                    if frame.pts is None
                    else round((frame.pts - start) * float(video.time_base) * rate)
                )
                if index > frame_index:
                    break
                best = frame
                if index == frame_index:
                    break
            if best is None:
                raise MediaRejected("corrupt", f"Frame {frame_index} could not be decoded.")
            return best.to_ndarray(format="rgb24")
        finally:
            container.close()


__all__ = ["Frame", "FrameFilter", "iter_frames", "read_frame"]
