"""Build small real test clips from the public-domain clip (shared media), with PyAV.

Used by the pipeline tests to get inputs the browser cannot play (MPEG-4 Part 2 in AVI,
H.264 4:4:4 with odd dimensions and PCM audio) without committing more media.
"""

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from tests.media_paths import PD_CLIP, require_shared_media

RATE = 30
AUDIO_RATE = 16_000


def reencode_pd_clip(
    out: Path,
    *,
    codec: str,
    frames: int = 60,
    size: tuple[int, int] | None = None,
    pix_fmt: str = "yuv420p",
    audio_codec: str | None = None,
) -> Path:
    """Re-encode the first ``frames`` frames (2 s at 30 fps) of the public-domain clip.

    ``size`` (width, height) defaults to the clip's 512x388. With ``audio_codec`` a mono
    440 Hz tone covers the clip.
    """
    require_shared_media()
    width, height = size or (512, 388)
    with av.open(str(PD_CLIP)) as src, av.open(str(out), "w") as dst:
        video = dst.add_stream(codec, rate=RATE)
        video.width, video.height, video.pix_fmt = width, height, pix_fmt
        audio = None
        if audio_codec is not None:
            audio = dst.add_stream(audio_codec, rate=AUDIO_RATE)
            audio.layout = "mono"
        for index, frame in enumerate(src.decode(video=0)):
            if index >= frames:
                break
            small = frame.reformat(width=width, height=height, format=pix_fmt)
            small.pts, small.time_base = index, Fraction(1, RATE)
            for packet in video.encode(small):
                dst.mux(packet)
            if audio is not None and index % (RATE // 2) == 0:
                for packet in audio.encode(_tone(index * AUDIO_RATE // RATE, AUDIO_RATE // 2)):
                    dst.mux(packet)
        for stream in (video, audio):
            if stream is not None:
                for packet in stream.encode(None):
                    dst.mux(packet)
    return out


def _tone(start: int, count: int) -> av.AudioFrame:
    t = (start + np.arange(count)) / AUDIO_RATE
    samples = (3000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16).reshape(1, -1)
    frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
    frame.sample_rate, frame.pts, frame.time_base = AUDIO_RATE, start, Fraction(1, AUDIO_RATE)
    return frame


def demuxed_pts_seconds(path: Path) -> list[float]:
    """Presentation times of every video packet, sorted (= display order), in seconds."""
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        times = [
            float(packet.pts * video.time_base)
            for packet in container.demux(video)
            if packet.size and packet.pts is not None
        ]
    return sorted(times)


def decoded_frame_count(path: Path) -> int:
    """Frames a full decode yields (the expensive ground truth for probe's packet count)."""
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))
