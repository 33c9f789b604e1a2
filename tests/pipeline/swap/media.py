"""Real test inputs for the swap pipeline, built from the public-domain shared media."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from tests.media_paths import PD_CLIP, require_shared_media
from tests.pipeline.clips import AUDIO_RATE, RATE, _tone


def clip_with_gap(out: Path, *, frames: int, blank: range, audio: bool = True) -> Path:
    """The public-domain clip's first ``frames`` frames (H.264, 30 fps, 512x388) with the frames
    in ``blank`` replaced by flat grey (no face there), plus a 440 Hz AAC tone."""
    require_shared_media()
    with av.open(str(PD_CLIP)) as src, av.open(str(out), "w") as dst:
        video = dst.add_stream("libx264", rate=RATE, options={"crf": "18"})
        video.width, video.height, video.pix_fmt = 512, 388, "yuv420p"
        sound = None
        if audio:
            sound = dst.add_stream("aac", rate=AUDIO_RATE)
            sound.layout = "mono"
        for index, frame in enumerate(src.decode(video=0)):
            if index >= frames:
                break
            if index in blank:
                grey = np.full((388, 512, 3), 128, np.uint8)
                frame = av.VideoFrame.from_ndarray(grey, format="rgb24")
            frame = frame.reformat(format="yuv420p")
            frame.pts, frame.time_base = index, Fraction(1, RATE)
            for packet in video.encode(frame):
                dst.mux(packet)
            if sound is not None and index % (RATE // 2) == 0:
                for packet in sound.encode(_tone(index * AUDIO_RATE // RATE, AUDIO_RATE // 2)):
                    dst.mux(packet)
        for stream in (video, sound):
            if stream is not None:
                for packet in stream.encode(None):
                    dst.mux(packet)
    return out


def photo_clip(photo: Path, out: Path, frames: int, *, width: int = 320, seed: int = 0) -> Path:
    """A short clip of one portrait re-framed in every frame (small rotation, zoom, shift,
    brightness, every other frame mirrored), as several photos of one person would be:
    the detector and landmarker see each frame anew. H.264, 30 fps, ``width`` px wide."""
    image = cv2.cvtColor(cv2.imread(str(photo), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    height = round(image.shape[0] * width / image.shape[1] / 2) * 2
    image = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
    rng = np.random.default_rng(seed)
    with av.open(str(out), "w") as dst:
        video = dst.add_stream("libx264", rate=RATE, options={"crf": "12"})
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        for k in range(frames):
            angle, zoom = rng.uniform(-8, 8), rng.uniform(0.8, 1.1)
            matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, zoom)
            matrix[:, 2] += rng.uniform(-0.05, 0.05, 2) * (width, height)
            moved = cv2.warpAffine(image, matrix, (width, height), borderMode=cv2.BORDER_REFLECT)
            moved = cv2.convertScaleAbs(
                moved, alpha=rng.uniform(0.85, 1.15), beta=rng.uniform(-15, 15)
            )
            if k % 2:
                moved = np.ascontiguousarray(moved[:, ::-1])
            frame = av.VideoFrame.from_ndarray(moved, format="rgb24")
            frame.pts, frame.time_base = k, Fraction(1, RATE)
            for packet in video.encode(frame):
                dst.mux(packet)
        for packet in video.encode(None):
            dst.mux(packet)
    return out
