"""Poster, timeline sprite sheet, frame timestamps and browser proxy from ONE decode pass.

:func:`render_previews` decodes the video once; each decoded frame is offered to the
poster, the sprite sheet and (when needed) the browser proxy, and its presentation time
is recorded so ``frame_pts_seconds[i]`` is the timestamp of frame index ``i`` everywhere
in the app (timeline, scores, marks, masks).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import av.error
from PIL import Image

from .probe import (
    MediaRejected,
    ProbeResult,
    av_errors,
    open_media,
    probe_media,
    select_video_stream,
)
from .progress import ProgressCallback, no_progress
from .proxy import ProxyWriter, needs_proxy

POSTER_NAME = "poster.jpg"
SPRITE_NAME = "sprite.jpg"
PROXY_NAME = "proxy.mp4"
_JPEG_QUALITY = 85
_POSTER_FRACTION = 0.1  # poster from ~10% in: past fades from black and title cards
_PROGRESS_STEP = 0.01
_PROGRESS_SECONDS = 0.25


@dataclass(frozen=True)
class SpriteSheet:
    """A JPEG grid of timeline thumbnails.

    Tile ``k`` (row-major) sits at ``x = (k % columns) * tile_width``,
    ``y = (k // columns) * tile_height`` and shows source frame ``frame_indices[k]``,
    which is ``k * every_n_frames``.
    """

    path: Path
    columns: int
    rows: int
    tile_width: int
    tile_height: int
    every_n_frames: int
    frame_indices: tuple[int, ...]


@dataclass(frozen=True)
class PreviewResult:
    """Outputs of :func:`render_previews`.

    ``frame_pts_seconds[i]`` is the presentation time in seconds (the container's own
    clock, not shifted to start at 0) of frame index ``i`` in display order; its length is
    the number of decoded frames. Images give ``(0.0,)``, no sprite and no proxy.
    """

    poster_path: Path
    sprite: SpriteSheet | None
    frame_pts_seconds: tuple[float, ...]
    frames_decoded: int
    proxy_path: Path | None


def render_previews(
    path: str | Path,
    out_dir: str | Path,
    *,
    every_n_frames: int | None = None,
    max_tiles: int = 240,
    tile_width: int = 160,
    columns: int = 10,
    poster_width: int = 640,
    make_proxy: bool | None = None,
    progress: ProgressCallback = no_progress,
) -> PreviewResult:
    """Write ``poster.jpg``, ``sprite.jpg`` and, when needed, ``proxy.mp4`` into ``out_dir``.

    The video is probed (demux only) and then decoded exactly once. ``every_n_frames``
    defaults to the smallest step giving at most ``max_tiles`` tiles. ``make_proxy=None``
    decides with :func:`needs_proxy`. Poster and tiles keep the display aspect ratio.

    ``progress`` is called at most every 1% or 0.25 s; if it raises ``Cancelled`` the
    partial outputs are deleted and the exception propagates.

    Raises:
        MediaRejected: the file is not usable media (see :func:`probe_media`).
    """
    if max_tiles < 1 or tile_width < 1 or columns < 1 or poster_width < 1:
        raise ValueError("max_tiles, tile_width, columns and poster_width must be >= 1")
    if every_n_frames is not None and every_n_frames < 1:
        raise ValueError(f"every_n_frames must be >= 1, got {every_n_frames}")
    path = Path(path)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    probe = probe_media(path)
    progress(0.0, "Rendering previews")
    if probe.kind == "image":
        poster = _render_image_poster(path, out_dir / POSTER_NAME, poster_width)
        progress(1.0, "Previews ready")
        return PreviewResult(poster, None, (0.0,), 1, None)

    step = every_n_frames or max(1, math.ceil(probe.frame_count / max_tiles))
    want_proxy = needs_proxy(probe) if make_proxy is None else make_proxy
    written: list[Path] = []
    try:
        result = _decode_once(
            path,
            out_dir,
            probe,
            step,
            tile_width,
            columns,
            poster_width,
            want_proxy,
            progress,
            written,
        )
    except BaseException:
        for output in written:
            output.unlink(missing_ok=True)
        raise
    progress(1.0, "Previews ready")
    return result


def _decode_once(
    path: Path,
    out_dir: Path,
    probe: ProbeResult,
    step: int,
    tile_width: int,
    columns: int,
    poster_width: int,
    want_proxy: bool,
    progress: ProgressCallback,
    written: list[Path],
) -> PreviewResult:
    total = probe.frame_count
    poster_index = min(total - 1, int(total * _POSTER_FRACTION))
    poster_path = out_dir / POSTER_NAME
    pts_seconds: list[float] = []
    tiles: list[Image.Image] = []
    tile_size: tuple[int, int] | None = None
    last_report = (0.0, time.monotonic())

    with open_media(path) as container:
        video = select_video_stream(container)
        # Frame threads speed up decoding; frames still come out in display order.
        video.thread_type = "AUTO"
        time_base = video.time_base
        fallback_step = _fallback_pts_step(video)
        sar = video.sample_aspect_ratio
        proxy: ProxyWriter | None = None
        if want_proxy:
            audio = next(iter(container.streams.audio), None)
            proxy = ProxyWriter(out_dir / PROXY_NAME, video, audio)
            written.append(proxy.path)
        try:
            streams = [video] + ([proxy.audio_stream] if proxy and proxy.audio_stream else [])
            with av_errors(path, while_doing="decoding the video"):
                for frame in _decoded_frames(container, streams, video, proxy):
                    index = len(pts_seconds)
                    if frame.pts is None:  # rare (raw streams): continue the frame clock
                        previous = pts_seconds[-1] / time_base if pts_seconds else -fallback_step
                        frame.pts = round(previous + fallback_step)
                    pts_seconds.append(float(frame.pts * time_base))
                    if tile_size is None:
                        tile_size = (tile_width, _scaled_height(frame, tile_width, sar))
                    if index % step == 0:
                        tiles.append(_to_image(frame, *tile_size))
                    if index == poster_index:
                        written.append(poster_path)
                        poster_size = (poster_width, _scaled_height(frame, poster_width, sar))
                        _to_image(frame, *poster_size).save(poster_path, quality=_JPEG_QUALITY)
                    if proxy is not None:
                        proxy.write_video(frame)
                    last_report = _report(progress, index + 1, total, last_report)
            if proxy is not None:
                with av_errors(path, while_doing="writing the browser proxy"):
                    proxy.close()
                proxy = None
        finally:
            if proxy is not None:
                proxy.abort()

    if not pts_seconds:
        raise MediaRejected("no_frames", "No video frame could be decoded from the file.")
    sprite_path = out_dir / SPRITE_NAME
    written.append(sprite_path)
    sprite = _write_sprite(sprite_path, tiles, tile_size, columns, step)
    return PreviewResult(
        poster_path=poster_path,
        sprite=sprite,
        frame_pts_seconds=tuple(pts_seconds),
        frames_decoded=len(pts_seconds),
        proxy_path=out_dir / PROXY_NAME if want_proxy else None,
    )


def _decoded_frames(
    container: av.container.InputContainer,
    streams: list[av.stream.Stream],
    video: av.video.stream.VideoStream,
    proxy: ProxyWriter | None,
) -> Iterator[av.VideoFrame]:
    """Yield video frames in display order; audio packets go straight to the proxy."""
    for packet in container.demux(*streams):
        if packet.stream.index != video.index:
            if proxy is not None:
                proxy.write_audio(packet)
            continue
        # The final empty packet flushes the decoder's delayed frames.
        yield from video.codec_context.decode(packet if packet.size else None)


def _report(
    progress: ProgressCallback, done: int, total: int, last: tuple[float, float]
) -> tuple[float, float]:
    fraction = min(done / total, 1.0)
    now = time.monotonic()
    if fraction - last[0] >= _PROGRESS_STEP or now - last[1] >= _PROGRESS_SECONDS:
        progress(fraction, f"Decoded frame {done} of {total}")
        return fraction, now
    return last


def _scaled_height(frame: av.VideoFrame, width: int, sar: Fraction | None) -> int:
    """Height for ``width`` that keeps the display aspect (sample aspect ratio applied)."""
    display_width = frame.width * float(sar or 1)
    return max(1, round(width * frame.height / display_width))


def _to_image(frame: av.VideoFrame, width: int, height: int) -> Image.Image:
    """RGB PIL image of ``frame`` resized to ``width`` x ``height`` (swscale, bilinear)."""
    return frame.reformat(width=width, height=height, format="rgb24").to_image()


def _write_sprite(
    out_path: Path,
    tiles: list[Image.Image],
    tile_size: tuple[int, int] | None,
    columns: int,
    step: int,
) -> SpriteSheet:
    assert tile_size is not None  # at least one frame was decoded
    tile_width, tile_height = tile_size
    columns = min(columns, len(tiles))
    rows = math.ceil(len(tiles) / columns)
    sheet = Image.new("RGB", (columns * tile_width, rows * tile_height))
    for k, tile in enumerate(tiles):
        sheet.paste(tile, ((k % columns) * tile_width, (k // columns) * tile_height))
    sheet.save(out_path, quality=_JPEG_QUALITY)
    return SpriteSheet(
        path=out_path,
        columns=columns,
        rows=rows,
        tile_width=tile_width,
        tile_height=tile_height,
        every_n_frames=step,
        frame_indices=tuple(k * step for k in range(len(tiles))),
    )


def _render_image_poster(path: Path, out_path: Path, poster_width: int) -> Path:
    with open_media(path) as container, av_errors(path, while_doing="decoding the image"):
        video = select_video_stream(container)
        frame = next(container.decode(video))
        height = _scaled_height(frame, poster_width, video.sample_aspect_ratio)
        _to_image(frame, poster_width, height).save(out_path, quality=_JPEG_QUALITY)
    return out_path


def _fallback_pts_step(video: av.video.stream.VideoStream) -> float:
    """One frame's duration in ``video.time_base`` units, for frames without a pts."""
    rate = video.average_rate or video.guessed_rate or 25
    return float(1 / (rate * video.time_base))
