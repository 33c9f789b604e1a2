"""Re-encoding at FaceForensics++'s compression levels, byte for byte reproducible.

FaceForensics++ publishes every video three ways: ``c0`` (H.264 CRF 0, lossless),
``c23`` (CRF 23, "high quality") and ``c40`` (CRF 40, "low quality"), so a detector can
be tested on how much compression it survives. We encode the same way: libx264 at that
CRF with its default ``medium`` preset, 4:2:0 chroma, in MP4, keeping every decoded frame
once, in order, with its own timestamp (the same frame count, rate and size).

Reproducible bytes: x264 with more than one thread may decide differently from run to
run, so it runs on one thread; the muxer runs with ``bitexact`` (no library version in
the file) and no creation time is written, so the same input gives the same file.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av

from deepreview_workers.pipeline.dataset.types import COMPRESSIONS
from deepreview_workers.pipeline.probe import av_errors, open_media, select_video_stream
from deepreview_workers.pipeline.progress import ProgressCallback, no_progress

PRESET = "medium"  # x264's and FF++'s default
_FALLBACK_RATE = Fraction(25)
_COPY_AUDIO = frozenset({"aac", "mp3"})  # what MP4 holds as is; other audio is left out


def encode_video(
    source: Path,
    out_path: Path,
    compression: str,
    *,
    frame_count: int | None = None,
    progress: ProgressCallback = no_progress,
) -> Path:
    """Write ``source`` re-encoded at ``compression`` (``c0``, ``c23`` or ``c40``) to
    ``out_path`` (MP4) and return it.

    Frames keep their ``pts`` in the source stream's time base. 4:2:0 needs even sizes:
    a video with an odd width or height is encoded 4:4:4 instead, never scaled or padded.
    AAC or MP3 audio is copied; other audio is left out (MP4 would not hold it as is).
    ``frame_count`` (when known) only scales the progress reports. A partial file is
    removed when anything fails, including a cancel from ``progress``.
    """
    if compression not in COMPRESSIONS:
        raise ValueError(
            f"Unknown compression {compression!r}; use one of {', '.join(COMPRESSIONS)}"
        )
    source, out_path = Path(source), Path(out_path)
    try:
        with av_errors(source, while_doing="re-encoding"):
            _encode(source, out_path, COMPRESSIONS[compression], frame_count, progress)
    except BaseException:
        out_path.unlink(missing_ok=True)
        raise
    return out_path


def _encode(
    source: Path, out_path: Path, crf: int, frame_count: int | None, progress: ProgressCallback
) -> None:
    container = open_media(source)
    try:
        video_in = select_video_stream(container)
        audio_in = next(
            (
                s
                for s in container.streams.audio
                if s.codec_context is not None and s.codec_context.name in _COPY_AUDIO
            ),
            None,
        )
        width, height = video_in.codec_context.width, video_in.codec_context.height
        pix_fmt = "yuv420p" if width % 2 == 0 and height % 2 == 0 else "yuv444p"
        rate = video_in.average_rate or video_in.guessed_rate or _FALLBACK_RATE
        output = av.open(str(out_path), "w", format="mp4", options={"fflags": "+bitexact"})
        try:
            video_out = output.add_stream(
                "libx264",
                rate=rate,
                options={"crf": str(crf), "preset": PRESET, "threads": "1"},
            )
            video_out.width, video_out.height, video_out.pix_fmt = width, height, pix_fmt
            video_out.time_base = video_in.time_base
            video_out.codec_context.time_base = video_in.time_base
            video_out.codec_context.thread_count = 1
            audio_out = output.add_stream_from_template(audio_in) if audio_in else None
            streams = [video_in] + ([audio_in] if audio_in else [])
            written = 0
            for packet in container.demux(streams):
                if packet.stream is audio_in:
                    if packet.dts is not None:
                        packet.stream = audio_out
                        output.mux(packet)
                    continue
                for frame in video_in.codec_context.decode(packet if packet.size else None):
                    _write(output, video_out, frame, pix_fmt, written)
                    written += 1
                    if written % 16 == 0:
                        total = frame_count or written
                        progress(min(written / total, 1.0), f"Encoding frame {written}")
            for packet in video_out.encode(None):
                output.mux(packet)
        finally:
            output.close()
    finally:
        container.close()
    progress(1.0, f"Encoded {written} frames")


def _write(
    output: av.container.OutputContainer,
    stream: av.video.stream.VideoStream,
    frame: av.VideoFrame,
    pix_fmt: str,
    index: int,
) -> None:
    converted = frame.reformat(format=pix_fmt)
    # Keep the source's timestamp (frame N stays frame N at the same time); a frame
    # without one gets its position, which is what a constant-rate stream would give.
    converted.pts = frame.pts if frame.pts is not None else index
    converted.time_base = stream.codec_context.time_base
    for packet in stream.encode(converted):
        output.mux(packet)


__all__ = ["PRESET", "encode_video"]
