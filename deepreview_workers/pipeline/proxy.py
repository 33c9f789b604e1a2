"""Browser playback proxy: H.264 4:2:0 MP4 with exactly the original's frames and timestamps.

Many real uploads do not play in browsers (FF++ is H.264 4:4:4, HDTF is MPEG-4 Part 2).
The proxy re-encodes the video so the annotator can play it, while frame N of the proxy
stays frame N of the original: every decoded frame is encoded once, in order, with its
original ``pts`` in the original stream's time base (no drops, no duplicates).
:class:`ProxyWriter` is fed from the single decode pass in :mod:`.previews`.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import av.filter

from .probe import ProbeResult


def flush_and_close(
    output: av.container.OutputContainer,
    video_out: av.video.stream.VideoStream,
    audio_in: av.audio.stream.AudioStream | None,
    audio_transcoded: av.audio.stream.AudioStream | None,
) -> None:
    """Drain the video encoder (and the audio decoder and encoder when audio is
    transcoded rather than copied), then finish the file."""
    for packet in video_out.encode(None):
        output.mux(packet)
    if audio_in is not None and audio_transcoded is not None:
        for frame in audio_in.codec_context.decode(None):
            for packet in audio_transcoded.encode(frame):
                output.mux(packet)
        for packet in audio_transcoded.encode(None):
            output.mux(packet)
    output.close()


# Containers whose FFmpeg demuxer name marks a browser-friendly MP4/MOV file.
_MP4_DEMUXER = "mov,mp4,m4a,3gp,3g2,mj2"
# yuvj420p is yuv420p flagged full-range; browsers play both.
_BROWSER_PIX_FMTS = frozenset({"yuv420p", "yuvj420p"})
_BROWSER_AUDIO_CODECS = frozenset({"aac", "mp3"})
_X264_OPTIONS = {"preset": "veryfast", "crf": "20"}
_FALLBACK_RATE = Fraction(25)


def needs_proxy(probe: ProbeResult) -> bool:
    """True unless the original already plays in browsers.

    That means H.264 4:2:0 (``yuv420p`` or full-range ``yuvj420p``) in an MP4/MOV container,
    with no audio or AAC/MP3 audio. Images never need a proxy.
    """
    if probe.kind != "video":
        return False
    video_ok = (
        probe.codec == "h264"
        and probe.pix_fmt in _BROWSER_PIX_FMTS
        and probe.container == _MP4_DEMUXER
    )
    audio_ok = not probe.has_audio or probe.audio_codec in _BROWSER_AUDIO_CODECS
    return not (video_ok and audio_ok)


class ProxyWriter:
    """Encode decoded frames (and the audio) of one input into ``proxy.mp4``.

    Video: libx264, yuv420p, ``preset=veryfast``, ``crf=20``, MP4 with ``+faststart``. The
    output stream uses the input stream's time base and each frame keeps its ``pts``.
    yuv420p needs even dimensions, so odd widths/heights are padded by one black
    column/row on the right/bottom (never scaled), keeping every source pixel at the
    same coordinates.

    Audio: the first audio stream is copied unchanged when it is AAC, otherwise decoded
    and re-encoded to AAC at the same sample rate.
    """

    def __init__(
        self,
        out_path: Path,
        video: av.video.stream.VideoStream,
        audio: av.audio.stream.AudioStream | None,
    ) -> None:
        self.path = out_path
        self._time_base = video.time_base
        self._output = av.open(str(out_path), "w", options={"movflags": "+faststart"})
        rate = video.average_rate or video.guessed_rate or _FALLBACK_RATE
        self._video_out = self._output.add_stream("libx264", rate=rate, options=_X264_OPTIONS)
        self._video_out.pix_fmt = "yuv420p"
        self._video_out.time_base = self._time_base
        self._video_out.codec_context.time_base = self._time_base
        # The muxer opens every encoder as soon as the first (possibly audio) packet is
        # written, so the size must be known now: the stream header's, padded to even.
        width, height = video.codec_context.width, video.codec_context.height
        self._video_out.width, self._video_out.height = width + width % 2, height + height % 2
        self._graph: av.filter.Graph | None = None
        self._audio_in = audio
        self._audio_out: av.audio.stream.AudioStream | None = None
        self._audio_copy = False
        if audio is not None and audio.codec_context is not None:
            if audio.codec_context.codec.canonical_name == "aac":
                self._audio_out = self._output.add_stream_from_template(audio)
                self._audio_copy = True
            else:
                self._audio_out = self._output.add_stream(
                    "aac", rate=audio.codec_context.sample_rate
                )
                self._audio_out.layout = _aac_layout(audio)

    @property
    def audio_stream(self) -> av.audio.stream.AudioStream | None:
        """The input audio stream this writer consumes, or None."""
        return self._audio_in if self._audio_out is not None else None

    def write_video(self, frame: av.VideoFrame) -> None:
        """Encode one decoded frame; ``frame.pts`` must be in the input stream's time base."""
        if self._graph is None:
            self._graph = self._make_graph(frame)
        self._graph.push(frame)
        for out_frame in _pull_all(self._graph):
            out_frame.pts = frame.pts
            out_frame.time_base = self._time_base
            for packet in self._video_out.encode(out_frame):
                self._output.mux(packet)

    def write_audio(self, packet: av.Packet) -> None:
        """Copy or transcode one demuxed packet of :attr:`audio_stream`."""
        if self._audio_out is None or packet.dts is None:
            return
        if self._audio_copy:
            packet.stream = self._audio_out
            self._output.mux(packet)
            return
        for frame in self._audio_in.codec_context.decode(packet):
            for out_packet in self._audio_out.encode(frame):
                self._output.mux(out_packet)

    def close(self) -> None:
        """Flush the encoders and finish the file (moves the index to the front)."""
        transcoded = None if self._audio_copy else self._audio_out
        flush_and_close(self._output, self._video_out, self._audio_in, transcoded)

    def abort(self) -> None:
        """Close without flushing and delete the partial file."""
        try:
            self._output.close()
        finally:
            self.path.unlink(missing_ok=True)

    def _make_graph(self, frame: av.VideoFrame) -> av.filter.Graph:
        width, height = self._video_out.width, self._video_out.height
        graph = av.filter.Graph()
        source = graph.add_buffer(
            width=frame.width,
            height=frame.height,
            format=frame.format.name,
            time_base=self._time_base,
        )
        pad = graph.add("pad", f"{width}:{height}:0:0:black")
        to_420 = graph.add("format", "yuv420p")
        sink = graph.add("buffersink")
        source.link_to(pad)
        pad.link_to(to_420)
        to_420.link_to(sink)
        graph.configure()
        return graph


def _pull_all(graph: av.filter.Graph) -> list[av.VideoFrame]:
    frames = []
    while True:
        try:
            frames.append(graph.pull())
        except (BlockingIOError, av.error.EOFError):
            return frames


def _aac_layout(audio: av.audio.stream.AudioStream) -> str:
    # FFmpeg's AAC encoder handles mono and stereo well; fold anything wider to stereo.
    return "mono" if audio.codec_context.layout.nb_channels == 1 else "stereo"
