"""Ground-truth masks as FaceForensics++ ships them: one mask video per fake.

FF++ keeps the masks of ``manipulated_sequences/<method>/<c>/videos/<id>.mp4`` at
``manipulated_sequences/<method>/masks/videos/<id>.mp4``: one H.264 MP4 per fake video,
frame for frame, white where the face was manipulated. We write the same, from the
ground truth's full-frame masks:

- one mask frame per decoded frame of the fake, with that frame's timestamp, so frame N
  of the mask video is the mask of frame N of the fake (and of its re-encodes);
- the mask's value (the blend weight times 255: 255 = replaced, between = the feathered
  edge) as the luma, chroma neutral (grey), black (0) on frames that were not
  manipulated or have no mask;
- lossless: libx264 at QP 0 (FF++'s ``c0`` is the same codec at CRF 0, also lossless),
  4:2:0 (4:4:4 for odd sizes), full range flagged, so the luma read back is the mask
  byte for byte; one encoder thread and a ``bitexact`` muxer, so the same masks give
  the same file.

One frame is held at a time: the fake is decoded frame by frame and each mask is read
from the ground-truth zip when its frame comes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from deepreview_workers.pipeline.probe import av_errors, open_media, select_video_stream
from deepreview_workers.pipeline.progress import ProgressCallback, no_progress

PRESET = "medium"
_FALLBACK_RATE = Fraction(25)
_NEUTRAL = 128  # chroma of a grey pixel


def write_mask_video(
    fake: Path,
    out_path: Path,
    mask_of: Callable[[int], np.ndarray | None],
    *,
    frame_count: int | None = None,
    progress: ProgressCallback = no_progress,
) -> tuple[int, int]:
    """Write the mask video of ``fake`` to ``out_path`` (MP4); return (frames written,
    frames with a mask that is not all black).

    ``mask_of(index)``: the (H, W) uint8 mask of decoded frame ``index`` of ``fake``, or
    None (a black frame). A mask of another size than the video is a ``ValueError``.
    ``frame_count`` only scales the progress reports. A partial file is removed when
    anything fails, including a cancel from ``progress``.
    """
    fake, out_path = Path(fake), Path(out_path)
    try:
        with av_errors(fake, while_doing="writing its mask video"):
            return _write(fake, out_path, mask_of, frame_count, progress)
    except BaseException:
        out_path.unlink(missing_ok=True)
        raise


def _write(
    fake: Path,
    out_path: Path,
    mask_of: Callable[[int], np.ndarray | None],
    frame_count: int | None,
    progress: ProgressCallback,
) -> tuple[int, int]:
    container = open_media(fake)
    written = masked = 0
    try:
        video_in = select_video_stream(container)
        width, height = video_in.codec_context.width, video_in.codec_context.height
        pix_fmt = "yuv420p" if width % 2 == 0 and height % 2 == 0 else "yuv444p"
        rate = video_in.average_rate or video_in.guessed_rate or _FALLBACK_RATE
        output = av.open(str(out_path), "w", format="mp4", options={"fflags": "+bitexact"})
        try:
            stream = output.add_stream(
                "libx264", rate=rate, options={"qp": "0", "preset": PRESET, "threads": "1"}
            )
            stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
            stream.time_base = video_in.time_base
            context = stream.codec_context
            context.time_base = video_in.time_base
            context.thread_count = 1
            context.color_range = av.video.reformatter.ColorRange.JPEG  # 0-255 luma
            for packet in container.demux(video_in):
                for source in video_in.codec_context.decode(packet if packet.size else None):
                    mask = mask_of(written)
                    if mask is not None and mask.shape != (height, width):
                        raise ValueError(
                            f"The ground-truth mask of frame {written} is "
                            f"{mask.shape[1]}x{mask.shape[0]}, the video {width}x{height}"
                        )
                    frame = _mask_frame(mask, width, height, pix_fmt)
                    frame.pts = source.pts if source.pts is not None else written
                    frame.time_base = context.time_base
                    for out in stream.encode(frame):
                        output.mux(out)
                    written += 1
                    masked += mask is not None and bool(mask.any())
                    if written % 16 == 0:
                        total = frame_count or written
                        progress(min(written / total, 1.0), f"Mask frame {written}")
            for out in stream.encode(None):
                output.mux(out)
        finally:
            output.close()
    finally:
        container.close()
    progress(1.0, f"Wrote {written} mask frames")
    return written, masked


def _mask_frame(mask: np.ndarray | None, width: int, height: int, pix_fmt: str) -> av.VideoFrame:
    """A frame whose luma is ``mask`` (zeros when None) and whose chroma is grey."""
    frame = av.VideoFrame(width, height, pix_fmt)
    frame.color_range = av.video.reformatter.ColorRange.JPEG
    for index, plane in enumerate(frame.planes):
        rows = np.full((plane.height, plane.line_size), 0 if index == 0 else _NEUTRAL, np.uint8)
        if index == 0 and mask is not None:
            rows[:, :width] = mask
        plane.update(rows)
    return frame


def luma(frame: av.VideoFrame) -> np.ndarray:
    """The (H, W) uint8 luma of a decoded frame: a mask video's mask."""
    plane = frame.planes[0]
    rows = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)
    return rows[:, : plane.width].copy()


def read_mask_video(path: Path) -> Iterator[np.ndarray]:
    """The masks of a mask video, (H, W) uint8, one per frame in order."""
    path = Path(path)
    with av_errors(path, while_doing="reading a mask video"):
        container = open_media(path)
        try:
            stream = select_video_stream(container)
            for frame in container.decode(stream):
                yield luma(frame)
        finally:
            container.close()


__all__ = ["luma", "read_mask_video", "write_mask_video"]
