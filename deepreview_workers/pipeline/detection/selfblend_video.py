"""A self-blended fake *video* from a real one: every frame's faces blended with an
altered copy of themselves, the alteration fixed for the whole clip (as a swap model's
output is), the mask following the landmarks frame by frame.

Used to fit the signal fusion (scripts/signal_reference.py): the forensic signals are
video-level statistics, so their fakes must be videos.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from deepreview_workers.pipeline.detection.selfblend import self_blend
from deepreview_workers.pipeline.device import resolve_device
from deepreview_workers.pipeline.face_detectors import detectors
from deepreview_workers.pipeline.frames import iter_frames
from deepreview_workers.pipeline.landmarks import landmarkers
from deepreview_workers.pipeline.video_io import probe_media


def self_blend_video(
    source: Path,
    out: Path,
    *,
    seed: int,
    max_frames: int = 90,
    device: str = "cpu",
    blend: bool = True,
) -> int:
    """Write ``out`` (H.264) from the first ``max_frames`` frames of ``source``; returns
    how many faces were blended. ``blend=False`` writes the real frames through the same
    encoder, so real and fake differ by the blend alone, not by their compression."""
    probe = probe_media(source)
    detector = detectors.create(
        "mtcnn",
        device=str(resolve_device(device)),
        min_face_size=40,
        min_confidence=0.9,
        max_batch=16,
    )
    landmarker = landmarkers.create("dlib68")
    frames = [f.rgb for f in iter_frames(source, end_frame=max_frames)]
    hits: list = []
    for start in range(0, len(frames), 16):
        hits += (
            detector.detect_batch(frames[start : start + 16])
            if blend
            else [[]] * len(frames[start : start + 16])
        )
    blended = 0
    with av.open(str(out), "w") as dst:
        stream = dst.add_stream("libx264", rate=round(probe.fps or 25))
        stream.options = {"crf": "18", "preset": "veryfast"}
        stream.pix_fmt = "yuv420p"
        stream.width, stream.height = frames[0].shape[1] // 2 * 2, frames[0].shape[0] // 2 * 2
        for rgb, frame_hits in zip(frames, hits, strict=True):
            rgb = rgb.copy()
            if frame_hits and blend:
                boxes = [h.box for h in frame_hits]
                for points in landmarker.predict(rgb, boxes):
                    x0, y0 = np.floor(points.min(axis=0) - 8).astype(int).clip(0)
                    x1, y1 = np.ceil(points.max(axis=0) + 8).astype(int)
                    region = rgb[y0:y1, x0:x1]
                    if min(region.shape[:2]) < 16:
                        continue
                    # The same seed every frame: the same alteration all clip long.
                    fake, _mask = self_blend(
                        np.ascontiguousarray(region), points - (x0, y0), np.random.default_rng(seed)
                    )
                    rgb[y0:y1, x0:x1] = fake
                    blended += 1
            frame = av.VideoFrame.from_ndarray(
                np.ascontiguousarray(rgb[: stream.height, : stream.width]), format="rgb24"
            )
            for packet in stream.encode(frame):
                dst.mux(packet)
        for packet in stream.encode():
            dst.mux(packet)
    return blended
