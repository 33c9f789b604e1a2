"""Temporal forensic signals: they compare a face track's neighbouring samples in time.

They run on every sample of a track: the analysed frames and the denser landmark-only
samples between them (``DetectOptions.temporal_fps``), because flicker, jitter and
blinks happen within a few frames. Neighbours further apart than ``max_gap`` seconds
are not compared (a sparse sampling step says nothing about frame-to-frame change).
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from deepreview_workers.pipeline.detection.signals.base import (
    FaceView,
    Signal,
    TrackValues,
    log2_ratio,
    signals,
)

# CIE76 delta E of about 2.3 is a just noticeable colour difference (Sharma 2003); it
# softens the flicker ratio so a still background does not turn noise into a big ratio.
_JND = 2.3


def _rgb_to_lab(rgb01: np.ndarray) -> np.ndarray:
    pixel = np.asarray(rgb01, dtype=np.float32).reshape(1, 1, 3)
    return cv2.cvtColor(pixel, cv2.COLOR_RGB2Lab).reshape(3).astype(np.float64)


@signals.register("flicker")
class Flicker(Signal):
    name = "flicker"
    kind = "flicker"
    unit = "log2 ratio"
    temporal = True
    description = (
        "Frame-to-frame change of the face's colour and brightness compared with the "
        "background's: log2 of (face colour change + 2.3) over (background colour change "
        "+ 2.3), colour changes in CIE L*a*b* delta E between neighbouring samples. 0 = the "
        "face changes as much as the scene; positive = the face's tone jumps while the scene "
        "stays steady, as when a swap model renders each frame separately."
    )

    max_gap = 0.5  # seconds

    def measure(self, face: FaceView) -> tuple[np.ndarray, np.ndarray] | None:
        skin = face.skin_interior
        if skin.sum() < 100:
            return None
        face_rgb = face.aligned.crop_rgb[skin].astype(np.float32).mean(axis=0) / 255.0
        small, scale = face.frame.small
        height, width = small.shape[:2]
        x0, y0, x1, y1 = (v * scale for v in face.box)
        gx, gy = (x1 - x0) * 0.25, (y1 - y0) * 0.25
        keep = np.ones((height, width), dtype=bool)
        keep[
            max(int(y0 - gy), 0) : max(int(np.ceil(y1 + gy)), 0),
            max(int(x0 - gx), 0) : max(int(np.ceil(x1 + gx)), 0),
        ] = False
        if keep.sum() < 0.05 * height * width:
            return None
        background_rgb = small[keep].mean(axis=0)
        return _rgb_to_lab(face_rgb), _rgb_to_lab(background_rgb)

    def series(self, times: np.ndarray, measures: list[Any]) -> list[float | None]:
        values: list[float | None] = [None] * len(measures)
        for i in range(1, len(measures)):
            before, now = measures[i - 1], measures[i]
            if before is None or now is None or times[i] - times[i - 1] > self.max_gap:
                continue
            face_change = float(np.linalg.norm(now[0] - before[0]))
            background_change = float(np.linalg.norm(now[1] - before[1]))
            values[i] = log2_ratio(face_change, background_change, _JND)
        return values


@signals.register("landmark_jitter")
class LandmarkJitter(Signal):
    name = "landmark_jitter"
    kind = "unnatural-head-movement"
    unit = "% of face width"
    temporal = True
    description = (
        "Temporal instability of the face's geometry: how far the eyebrows, nose and eye "
        "corners, aligned onto the mean face (so head motion is removed), stray from the "
        "straight path between the previous and next sample, in % of the face width. "
        "Real faces move smoothly; a swapped face's features can wobble from frame to frame."
    )

    max_window = 0.4  # seconds from the previous to the next sample

    def measure(self, face: FaceView) -> np.ndarray:
        return face.rigid_landmarks_unit

    def series(self, times: np.ndarray, measures: list[Any]) -> list[float | None]:
        values: list[float | None] = [None] * len(measures)
        for i in range(1, len(measures) - 1):
            t0, t1, t2 = times[i - 1], times[i], times[i + 1]
            if t2 - t0 > self.max_window or t2 <= t0:
                continue
            w = (t1 - t0) / (t2 - t0)
            expected = (1.0 - w) * measures[i - 1] + w * measures[i + 1]
            deviation = np.linalg.norm(measures[i] - expected, axis=1)
            values[i] = float(deviation.mean() * 100.0)
        return values


def eye_aspect_ratio(landmarks68: np.ndarray) -> float:
    """Mean eye aspect ratio of both eyes (Soukupova & Cech 2016): eye height over width,
    about 0.25-0.35 when open and near 0 when closed. (68, 2) landmarks in."""
    ratios = []
    for start in (36, 42):
        p = np.asarray(landmarks68[start : start + 6], dtype=np.float64)
        width = np.linalg.norm(p[0] - p[3])
        height = np.linalg.norm(p[1] - p[5]) + np.linalg.norm(p[2] - p[4])
        ratios.append(height / (2.0 * width) if width > 0 else 0.0)
    return float(np.mean(ratios))


@signals.register("blinking")
class Blinking(Signal):
    name = "blinking"
    kind = "gaze-error"
    unit = "eye aspect ratio"
    temporal = True
    higher_is_suspicious = None
    description = (
        "Eye openness over time (eye aspect ratio: eye height over width, about 0.3 open, "
        "near 0 closed); dips are blinks. The video summary counts blinks per minute of "
        "tracked face: people blink about 15-20 times a minute at rest (more while talking, "
        "fewer while reading); early face swaps blinked rarely or never. Needs landmark "
        "samples at 8 fps or more to catch blinks, which last 0.1-0.4 s."
    )

    closed_fraction = 0.7  # eyes count as closed below this share of the track's median
    max_gap = 0.25  # seconds; samples further apart leave a hole in the observed time
    min_observed = 3.0  # seconds of observation before a rate is given

    def measure(self, face: FaceView) -> float:
        return eye_aspect_ratio(face.landmarks68)

    def blinks(self, track: TrackValues) -> tuple[int, float]:
        """``(blinks, observed seconds)`` of one track."""
        ear = np.array([np.nan if v is None else v for v in track.values], dtype=np.float64)
        finite = np.isfinite(ear)
        if finite.sum() < 5:
            return 0, 0.0
        closed_below = self.closed_fraction * float(np.median(ear[finite]))
        blinks, observed, was_closed = 0, 0.0, False
        for i in range(len(ear)):
            connected = i > 0 and track.times[i] - track.times[i - 1] <= self.max_gap
            if connected:
                observed += float(track.times[i] - track.times[i - 1])
            else:
                was_closed = False  # a hole: a closure seen before it is not continued
            closed = bool(finite[i] and ear[i] < closed_below)
            if closed and not was_closed:
                blinks += 1
            was_closed = closed
        return blinks, observed

    def summary(self, tracks: list[TrackValues]) -> dict[str, float | int | None]:
        stats = super().summary(tracks)
        counted = [self.blinks(track) for track in tracks]
        blinks = sum(b for b, _ in counted)
        observed = sum(o for _, o in counted)
        gaps = np.concatenate([np.diff(t.times) for t in tracks if len(t.times) > 1] or [[]])
        gaps = gaps[(gaps > 0) & (gaps <= self.max_gap)]
        return {
            **stats,
            "blinks": blinks,
            "observed_seconds": round(observed, 3),
            "blinks_per_minute": (
                round(blinks * 60.0 / observed, 2) if observed >= self.min_observed else None
            ),
            "sample_fps": round(float(1.0 / np.median(gaps)), 2) if gaps.size else None,
        }
