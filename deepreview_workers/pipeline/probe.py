"""Probe uploaded media: what it is, exactly how many frames it has, and whether it is usable.

:func:`probe_media` demuxes every packet (cheap: no decoding) to count video frames exactly
and to notice truncation, and decodes only the first video frame to prove the decoder
works. Every failure becomes a :class:`MediaRejected` with a stable ``code`` and a message
a user can act on; no PyAV/FFmpeg exception escapes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import av
import av.error

DEFAULT_VIDEO_CODECS: frozenset[str] = frozenset(
    {
        "h264",
        "hevc",
        "mpeg4",
        "vp8",
        "vp9",
        "av1",
        "mpeg1video",
        "mpeg2video",
        "mjpeg",
        "prores",
        "ffv1",
        "rawvideo",
        "dnxhd",
        "theora",
    }
)
DEFAULT_IMAGE_CODECS: frozenset[str] = frozenset({"mjpeg", "png", "webp", "bmp", "tiff"})

# FFmpeg demuxers that read a single still image. "image2" is chosen from the file
# extension; the "*_pipe" demuxers are chosen from the content.
_IMAGE_FORMATS = frozenset({"image2"})

# FFmpeg will "open" almost anything as these (e.g. a text file as ANSI art), so opening
# with them proves nothing about the upload being media.
_NOT_MEDIA_FORMATS = frozenset({"tty", "txt", "data", "bin"})

# Leading bytes of containers and image formats. Used only after FFmpeg failed to open a
# file, to tell "a damaged video" (corrupt) from "not a video at all" (not_media).
_MAGIC_AT_4 = (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")
_MAGIC_AT_0 = (
    b"\x1a\x45\xdf\xa3",  # Matroska / WebM (EBML)
    b"RIFF",  # AVI, WebP, WAV
    b"FLV",
    b"OggS",
    b"\x00\x00\x01\xba",  # MPEG program stream
    b"\x00\x00\x01\xb3",  # MPEG-1/2 elementary video
    b"\x30\x26\xb2\x75",  # ASF / WMV
    b"\xff\xd8\xff",  # JPEG
    b"\x89PNG",
    b"GIF8",
    b"II*\x00",  # TIFF little-endian
    b"MM\x00*",  # TIFF big-endian
    b"ID3",
    b"fLaC",
)

# A stream set that stops this early before the container's declared duration is
# truncated. The slack absorbs rounding in container headers and short trailing gaps.
_TRUNCATION_FRACTION = 0.9
_TRUNCATION_SLACK_SECONDS = 0.5
# How many packets to feed the decoder while waiting for the first frame before flushing
# it; frame-threaded decoders and B-frame reordering delay the first output.
_FIRST_FRAME_PACKETS = 64


class MediaRejected(Exception):
    """The upload is not usable media.

    ``code`` is one of ``not_media``, ``corrupt``, ``no_frames``, ``unsupported_codec``;
    ``message`` is one sentence for the user, and ``str(exc) == message``.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class ProbeResult:
    """What :func:`probe_media` learned about one file.

    ``container`` is FFmpeg's demuxer name (e.g. ``"mov,mp4,m4a,3gp,3g2,mj2"``, ``"image2"``),
    ``codec`` and ``audio_codec`` are FFmpeg canonical codec names (``"h264"``, ``"aac"``).
    ``frame_count`` is exact (the number of video packets; 1 for images); ``fps`` and
    ``duration_seconds`` are None for images.
    """

    kind: str
    container: str
    codec: str
    pix_fmt: str | None
    width: int
    height: int
    fps: float | None
    frame_count: int
    duration_seconds: float | None
    has_audio: bool
    audio_codec: str | None
    bit_rate: int | None

    def as_dict(self) -> dict:
        """JSON-ready dict of every field."""
        return asdict(self)


def file_sha256(path: str | Path, chunk_size: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in ``chunk_size`` chunks so memory stays flat."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


@contextmanager
def av_errors(path: Path, *, while_doing: str) -> Iterator[None]:
    """Turn any FFmpeg error inside the block into ``MediaRejected('corrupt')``."""
    try:
        yield
    except av.error.FFmpegError as exc:
        raise MediaRejected(
            "corrupt",
            f"The file is truncated or corrupt: FFmpeg failed while {while_doing} "
            f"({_ffmpeg_reason(exc)}).",
        ) from exc


def open_media(path: str | Path) -> av.container.InputContainer:
    """Open ``path`` for reading with PyAV, rejecting files that are not media.

    Raises FileNotFoundError for a missing path (a caller error, not a media problem) and
    MediaRejected (``not_media`` or ``corrupt``) for files FFmpeg cannot open.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No such file: {path}")
    if path.stat().st_size == 0:
        raise MediaRejected("not_media", "The file is empty; upload a video or image file.")
    try:
        container = av.open(str(path), mode="r")
    except av.error.FFmpegError as exc:
        if _has_media_signature(path):
            raise MediaRejected(
                "corrupt",
                "The file is truncated or corrupt: it starts like a video or image but "
                f"FFmpeg cannot open it ({_ffmpeg_reason(exc)}); upload the complete file.",
            ) from exc
        raise MediaRejected(
            "not_media", "The file is not a video or image that FFmpeg recognises."
        ) from exc
    if container.format.name in _NOT_MEDIA_FORMATS:
        container.close()
        raise MediaRejected("not_media", "The file is not a video or image that FFmpeg recognises.")
    return container


def select_video_stream(container: av.container.InputContainer) -> av.video.stream.VideoStream:
    """The first real video stream (cover art attached to audio files does not count)."""
    for stream in container.streams.video:
        if not stream.disposition & av.stream.Disposition.attached_pic:
            return stream
    raise MediaRejected(
        "no_frames", "The file has no video frames (it may be audio only); upload a video or image."
    )


def codec_name(stream: av.stream.Stream) -> str:
    """FFmpeg canonical codec name of a stream (``"av1"``, not the decoder ``"libdav1d"``)."""
    context = stream.codec_context
    if context is None:
        return "unknown"
    return context.codec.canonical_name


def is_image_container(container: av.container.InputContainer) -> bool:
    """True when FFmpeg opened the file with a single-still-image demuxer."""
    name = container.format.name
    return name in _IMAGE_FORMATS or name.endswith("_pipe")


def probe_media(
    path: str | Path,
    *,
    allowed_video_codecs: frozenset[str] = DEFAULT_VIDEO_CODECS,
    allowed_image_codecs: frozenset[str] = DEFAULT_IMAGE_CODECS,
) -> ProbeResult:
    """Describe a video or image file, or reject it.

    Demuxes all packets (no decoding, so a 2 GiB file costs one sequential read) to count
    video frames exactly and detect truncation, and decodes only the first video frame.

    Raises:
        MediaRejected: ``not_media``, ``corrupt``, ``no_frames`` or ``unsupported_codec``.
        FileNotFoundError: ``path`` does not exist.
    """
    path = Path(path)
    container = open_media(path)
    try:
        return _probe_open(path, container, allowed_video_codecs, allowed_image_codecs)
    finally:
        container.close()


def _probe_open(
    path: Path,
    container: av.container.InputContainer,
    allowed_video_codecs: frozenset[str],
    allowed_image_codecs: frozenset[str],
) -> ProbeResult:
    video = select_video_stream(container)
    kind = "image" if is_image_container(container) else "video"
    codec = codec_name(video)
    allowed = allowed_image_codecs if kind == "image" else allowed_video_codecs
    if codec not in allowed or video.codec_context is None:
        raise MediaRejected(
            "unsupported_codec",
            f"Unsupported {'image' if kind == 'image' else 'video'} codec '{codec}'; "
            f"supported: {', '.join(sorted(allowed))}. Convert the file to one of these.",
        )
    audio = next(iter(container.streams.audio), None)

    packet_count, corrupt_packets, end_seconds, first_frame = _demux_all(path, container, video)
    if packet_count == 0:
        raise MediaRejected("no_frames", "The file has a video stream but it holds no frames.")
    if kind == "video" and video.frames and packet_count < video.frames:
        raise MediaRejected(
            "corrupt",
            f"The file is truncated or corrupt: the video stream ends after {packet_count} "
            f"of {video.frames} frames.",
        )
    if corrupt_packets:
        raise MediaRejected(
            "corrupt",
            f"The file is truncated or corrupt: {corrupt_packets} of {packet_count} video "
            "frames are damaged.",
        )
    declared = _declared_duration(container)
    if (
        kind == "video"
        and declared
        and end_seconds is not None
        and end_seconds < declared * _TRUNCATION_FRACTION - _TRUNCATION_SLACK_SECONDS
    ):
        raise MediaRejected(
            "corrupt",
            f"The file is truncated or corrupt: its streams end at {end_seconds:.1f} s "
            f"of a declared {declared:.1f} s.",
        )
    if first_frame is None:
        raise MediaRejected(
            "corrupt", "The file is corrupt: no video frame could be decoded from it."
        )

    return ProbeResult(
        kind=kind,
        container=container.format.name,
        codec=codec,
        pix_fmt=video.codec_context.pix_fmt,
        width=first_frame.width,
        height=first_frame.height,
        fps=None if kind == "image" else _fps(video, packet_count, declared),
        frame_count=1 if kind == "image" else packet_count,
        duration_seconds=None if kind == "image" else declared,
        has_audio=audio is not None,
        audio_codec=codec_name(audio) if audio is not None else None,
        bit_rate=(container.bit_rate or None) if kind == "video" else None,
    )


def _demux_all(
    path: Path, container: av.container.InputContainer, video: av.video.stream.VideoStream
) -> tuple[int, int, float | None, av.VideoFrame | None]:
    """One demux pass over every stream.

    Returns (video packet count, corrupt video packets, latest packet end time in seconds
    relative to the container start, first decoded video frame or None).
    """
    # Latest pts + duration per stream, in that stream's time base: integer maths in the
    # loop, because Fraction arithmetic per packet dominated the cost on long files.
    stream_ends: dict[int, int] = {}
    video_index = video.index
    packet_count = corrupt = 0
    first_frame: av.VideoFrame | None = None
    decode_error: av.error.FFmpegError | None = None
    with av_errors(path, while_doing="reading packets"):
        for packet in container.demux():
            if packet.size == 0:  # flush packets the demuxer emits at the end
                continue
            index = packet.stream_index
            pts = packet.pts
            if pts is not None:
                packet_end = pts + (packet.duration or 0)
                if packet_end > stream_ends.get(index, packet_end - 1):
                    stream_ends[index] = packet_end
            if index != video_index:
                continue
            packet_count += 1
            corrupt += int(packet.is_corrupt)
            if first_frame is None and packet_count <= _FIRST_FRAME_PACKETS:
                try:
                    frames = video.codec_context.decode(packet)
                except av.error.FFmpegError as exc:
                    # Keep reading: streams cut mid-GOP may fail until a keyframe.
                    decode_error = exc
                    frames = []
                if frames:
                    first_frame = frames[0]
    if first_frame is None and packet_count:
        try:
            frames = video.codec_context.decode(None)  # flush delayed output
        except av.error.FFmpegError as exc:
            decode_error = exc
            frames = []
        first_frame = frames[0] if frames else None
    if first_frame is None and decode_error is not None:
        raise MediaRejected(
            "corrupt",
            "The file is corrupt: its first video frames cannot be decoded "
            f"({_ffmpeg_reason(decode_error)}).",
        )
    start = (container.start_time or 0) / av.time_base
    end_seconds = max(
        (float(end * container.streams[i].time_base) - start for i, end in stream_ends.items()),
        default=None,
    )
    return packet_count, corrupt, end_seconds, first_frame


def _declared_duration(container: av.container.InputContainer) -> float | None:
    if container.duration is None or container.duration <= 0:
        return None
    return container.duration / av.time_base


def _fps(
    video: av.video.stream.VideoStream, frame_count: int, duration: float | None
) -> float | None:
    rate = video.average_rate or video.guessed_rate
    if rate:
        return float(rate)
    if duration:
        return frame_count / duration
    return None


def _ffmpeg_reason(exc: av.error.FFmpegError) -> str:
    return (exc.strerror or str(exc)).rstrip(".")


def _has_media_signature(path: Path) -> bool:
    with open(path, "rb") as handle:
        head = handle.read(16)
    if head[4:8] in _MAGIC_AT_4:
        return True
    if head.startswith(_MAGIC_AT_0):
        return True
    # MPEG transport stream: sync byte every 188 bytes.
    if head[:1] == b"\x47":
        with open(path, "rb") as handle:
            handle.seek(188)
            return handle.read(1) == b"\x47"
    return False
