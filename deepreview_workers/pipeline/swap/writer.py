"""Encoding a converted video with PyAV: same frames, timestamps and size, original audio,
and a machine-readable "synthetic" tag in the container metadata.

Video: H.264 (libx264, ``crf``/``preset``) where PyAV has the encoder, else MPEG-4 Part 2.
Pixel format yuv420p, or yuv444p when the input is 4:4:4 or has an odd width/height
(4:2:0 needs even sizes; the output keeps the input's exact size rather than padding).
Every frame keeps its input ``pts`` in the input stream's time base (minus a segment
offset), so frame N of the output is frame N of the input.

Audio: the first audio stream's packets are copied unchanged when the output container
accepts the codec (no generation loss), otherwise decoded and re-encoded to AAC.

Metadata (container level): ``comment`` = "synthetic: made by deepreview" and
``deepreview_synthetic`` = a JSON object (model, options, source); MP4/MOV files are
written with ``movflags=use_metadata_tags`` so the custom key survives. Read it back with
:func:`read_synthetic_tag`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from deepreview_workers.pipeline.proxy import flush_and_close
from deepreview_workers.pipeline.swap.errors import SwapInputError

SYNTHETIC_COMMENT = "synthetic: made by deepreview"
SYNTHETIC_KEY = "deepreview_synthetic"
_MOV_LIKE = {".mp4", ".m4v", ".mov"}
_FALLBACK_RATE = Fraction(25)


def video_encoder() -> str:
    """``"libx264"`` when this PyAV build can encode H.264, else ``"mpeg4"``."""
    try:
        av.codec.Codec("libx264", "w")
        return "libx264"
    except (av.error.FFmpegError, ValueError):
        return "mpeg4"


class SwapVideoWriter:
    """Writes frames and audio packets of one input into ``path`` (see the module doc)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        video_in: av.video.stream.VideoStream,
        audio_in: av.audio.stream.AudioStream | None,
        *,
        tag: Mapping[str, Any],
        crf: int = 17,
        preset: str = "medium",
        encoder: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.encoder = encoder or video_encoder()
        width, height = video_in.codec_context.width, video_in.codec_context.height
        source_format = video_in.codec_context.pix_fmt or "yuv420p"
        pix_fmt = "yuv444p" if (width % 2 or height % 2 or "444" in source_format) else "yuv420p"
        if self.encoder != "libx264" and pix_fmt != "yuv420p":
            raise SwapInputError(
                f"this PyAV build has no H.264 encoder and MPEG-4 cannot encode a "
                f"{width}x{height} {source_format} video without changing its size or colour"
            )
        options = (
            {"movflags": "+faststart+use_metadata_tags"}
            if self.path.suffix.lower() in (_MOV_LIKE)
            else {}
        )
        self._output = av.open(str(self.path), "w", options=options)
        self._output.metadata["comment"] = SYNTHETIC_COMMENT
        self._output.metadata[SYNTHETIC_KEY] = json.dumps(dict(tag), sort_keys=True)
        rate = video_in.average_rate or video_in.guessed_rate or _FALLBACK_RATE
        codec_options = {"crf": str(crf), "preset": preset} if self.encoder == "libx264" else {}
        self._video = self._output.add_stream(self.encoder, rate=rate, options=codec_options)
        self._video.width, self._video.height, self._video.pix_fmt = width, height, pix_fmt
        if self.encoder != "libx264":
            self._video.bit_rate = int(width * height * float(rate) * 0.3)
        self._time_base = video_in.time_base
        self._video.time_base = self._time_base
        self._video.codec_context.time_base = self._time_base
        self.pix_fmt = pix_fmt

        self._audio_in = audio_in
        self._audio_out: av.audio.stream.AudioStream | None = None
        self.audio_mode: str | None = None
        if audio_in is not None and audio_in.codec_context is not None:
            codec = audio_in.codec_context.codec.name
            if codec in self._output.supported_codecs:
                self._audio_out = self._output.add_stream_from_template(audio_in)
                self.audio_mode = "copy"
            else:
                self._audio_out = self._output.add_stream(
                    "aac", rate=audio_in.codec_context.sample_rate
                )
                self._audio_out.layout = (
                    "mono" if audio_in.codec_context.layout.nb_channels == 1 else "stereo"
                )
                self.audio_mode = "aac"

    @property
    def audio_stream(self) -> av.audio.stream.AudioStream | None:
        """The input audio stream whose packets :meth:`write_audio` takes, or None."""
        return self._audio_in if self._audio_out is not None else None

    def write_frame(self, source: av.VideoFrame, pts: int, rgb: np.ndarray | None = None) -> None:
        """Encode ``source`` (untouched) or ``rgb`` (a manipulated copy of it) at ``pts``.

        A manipulated frame goes back to YUV with the source frame's colour matrix and
        range, so the pixels it did not change come out as they went in (up to rounding).
        """
        if rgb is None:
            frame = source
        else:
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(
                format=self.pix_fmt,
                dst_colorspace=source.colorspace,
                dst_color_range=source.color_range,
            )
        frame.pts = pts
        frame.time_base = self._time_base
        for packet in self._video.encode(frame):
            self._output.mux(packet)

    def write_audio(self, packet: av.Packet, offset: int = 0) -> None:
        """Copy (or transcode) one demuxed audio packet, ``offset`` subtracted from its
        timestamps (in the audio stream's time base; for segments)."""
        if self._audio_out is None or packet.dts is None:
            return
        if self.audio_mode == "copy":
            packet.pts = None if packet.pts is None else packet.pts - offset
            packet.dts -= offset
            packet.stream = self._audio_out
            self._output.mux(packet)
            return
        for frame in self._audio_in.codec_context.decode(packet):
            if frame.pts is not None:
                frame.pts -= offset
            for out_packet in self._audio_out.encode(frame):
                self._output.mux(out_packet)

    def close(self) -> Path:
        """Flush the encoders and finish the file."""
        transcoded = self._audio_out if self.audio_mode == "aac" else None
        flush_and_close(self._output, self._video, self._audio_in, transcoded)
        return self.path

    def abort(self) -> None:
        """Close without flushing and delete the partial file."""
        try:
            self._output.close()
        except av.error.FFmpegError:
            pass
        finally:
            self.path.unlink(missing_ok=True)


def read_synthetic_tag(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The ``deepreview_synthetic`` JSON of a video, or None when it carries no tag.

    A file whose ``comment`` says it is synthetic but whose JSON is missing (a tool
    rewrote the metadata) gives ``{"synthetic": True}``.
    """
    with av.open(str(path)) as container:
        metadata = dict(container.metadata)
    raw = metadata.get(SYNTHETIC_KEY)
    if raw:
        try:
            tag = json.loads(raw)
        except json.JSONDecodeError:
            tag = None
        if isinstance(tag, dict):
            return tag
    if metadata.get("comment", "").startswith("synthetic:"):
        return {"synthetic": True}
    return None
