"""Scoring a read video: face tracks, normalised signals, per-frame results, video score."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from deepreview_workers.pipeline.detection.checkpoint import LoadedDetector
from deepreview_workers.pipeline.detection.explain import summarise_regions
from deepreview_workers.pipeline.detection.metrics import confident_strategy, mean_score
from deepreview_workers.pipeline.detection.normalise import normalise
from deepreview_workers.pipeline.detection.reference import SignalReference
from deepreview_workers.pipeline.detection.result import (
    FaceResult,
    FrameResult,
    SignalSummary,
    SignalValue,
)
from deepreview_workers.pipeline.detection.sampling import AnalysedFrame, FaceSample
from deepreview_workers.pipeline.detection.signals import Signal, TrackValues
from deepreview_workers.pipeline.tracks import link_tracks

SIGNAL_FLAG_Z = 3.5  # a signal this many robust spreads above the video's normal flags a frame

# Normalised signal values of one signal: id(sample) -> value.
SampleValues = dict[int, SignalValue]


@dataclass(frozen=True)
class VideoScore:
    """The video-level verdict; every field None when nothing could be scored."""

    mean: float | None
    confident: float | None
    threshold: float | None
    label: str | None  # "fake" | "real"
    source: str | None  # "detector" | "signal fusion"
    reference: dict | None  # SignalReference.compare of the video's signals
    map_summary: dict | None  # explain.summarise_regions, for a map-head detector


def link_sample_tracks(samples: list[FaceSample], analysed_idx: list[int]) -> None:
    """Set every sample's ``track``: analysed faces are linked by box overlap, and a
    landmark-only sample takes the track of the analysed face it was placed from."""
    analysed_samples = [s for s in samples if s.analysed]
    track_of: dict[tuple[int, int], int] = {}
    if analysed_samples:
        spacing = np.diff(analysed_idx).max() if len(analysed_idx) > 1 else 1
        ids = link_tracks(
            [(s.frame_index, s.box, None) for s in analysed_samples],
            max_gap_frames=int(max(3 * spacing, 60)),
        )
        for sample, track in zip(analysed_samples, ids, strict=True):
            track_of[sample.anchor] = int(track)
    for sample in samples:
        sample.track = track_of.get(sample.anchor, -1)


def signal_values(
    samples: list[FaceSample], signals: Mapping[str, Signal]
) -> tuple[dict[str, SampleValues], dict[str, SignalSummary]]:
    """Each signal's value on every sample (series along each track, then normalised over
    the video) and its video-level summary."""
    raw: dict[str, dict[int, float | None]] = defaultdict(dict)  # signal -> sample id -> raw
    per_track: dict[str, list[TrackValues]] = defaultdict(list)
    by_track: dict[int, list[FaceSample]] = defaultdict(list)
    for sample in samples:
        by_track[sample.track].append(sample)
    for track_samples in by_track.values():
        track_samples.sort(key=lambda s: (s.frame_index, s.seconds))
        times = np.array([s.seconds for s in track_samples], dtype=np.float64)
        for name, signal in signals.items():
            measures = [s.measures.get(name) for s in track_samples]
            values = signal.series(times, measures)
            per_track[name].append(TrackValues(times, values, measures))
            for sample, value in zip(track_samples, values, strict=True):
                raw[name][id(sample)] = value

    normalised: dict[str, SampleValues] = {}
    summaries: dict[str, SignalSummary] = {}
    order = [id(s) for s in samples]
    for name, signal in signals.items():
        values = [raw[name].get(key) for key in order]
        z, norm, scale = normalise(values)
        normalised[name] = {
            key: SignalValue(_finite(v), zv, nv)
            for key, v, zv, nv in zip(order, values, z, norm, strict=True)
        }
        info = signal.info()
        summaries[name] = SignalSummary(
            name=name,
            kind=info["kind"],
            description=info["description"],
            unit=info["unit"],
            higher_is_suspicious=info["higher_is_suspicious"],
            temporal=info["temporal"],
            scale=scale.as_dict(),
            summary=signal.summary(per_track[name]),
        )
    return normalised, summaries


def flagging_signals(signals: Mapping[str, Signal]) -> set[str]:
    """Names of the signals whose high values are suspicious (they may flag a frame)."""
    return {n for n, s in signals.items() if s.info()["higher_is_suspicious"]}


def frame_results(
    samples: list[FaceSample],
    analysed: list[AnalysedFrame],
    normalised: Mapping[str, SampleValues],
    threshold: float | None,
    flag_signals: set[str],
) -> tuple[FrameResult, ...]:
    """Analysed frames and landmark-only samples in frame order, faces by track then x;
    ``threshold`` and ``flag_signals`` decide the frame flags (see ``frame_flag``)."""
    by_frame: dict[int, list[FaceSample]] = defaultdict(list)
    for sample in samples:
        by_frame[sample.frame_index].append(sample)
    seconds = {a.index: a.seconds for a in analysed}
    for index, frame_samples in by_frame.items():
        seconds.setdefault(index, frame_samples[0].seconds)
    analysed_indices = {a.index for a in analysed}
    out = []
    for index in sorted(seconds):
        faces = tuple(
            FaceResult(
                track=s.track,
                box=tuple(float(v) for v in s.box),
                confidence=s.confidence,
                score=s.score,
                signals={name: values[id(s)] for name, values in normalised.items()},
                map=s.map,
                map_region=s.finding,
            )
            for s in sorted(by_frame.get(index, []), key=lambda s: (s.track, s.box[0]))
        )
        scores = [f.score for f in faces if f.score is not None]
        out.append(
            FrameResult(
                index=index,
                seconds=float(seconds[index]),
                analysed=index in analysed_indices,
                score=max(scores) if scores else None,
                faces=faces,
                flag=frame_flag(faces, threshold, flag_signals),
            )
        )
    return tuple(out)


def frame_flag(
    faces: tuple[FaceResult, ...],
    threshold: float | None,
    suspicious_high: set[str],
    signal_z: float = SIGNAL_FLAG_Z,
) -> dict | None:
    """Why a frame is flagged, or None: the detector's score at or above its threshold
    (naming the map's region when there is a map), else a suspicious signal far above
    this video's normal (robust z >= ``signal_z``), naming the signal."""
    scored = [f for f in faces if f.score is not None]
    if threshold is not None and scored:
        top = max(scored, key=lambda f: f.score)
        if top.score >= threshold:
            region = top.map_region["region"] if top.map_region else None
            return {"by": "detector", "score": round(top.score, 4), "region": region}
    best: tuple[float, str] | None = None
    for face in faces:
        for name, value in face.signals.items():
            if name not in suspicious_high or value.z is None or value.z < signal_z:
                continue
            if best is None or value.z > best[0]:
                best = (value.z, name)
    return {"by": "signal", "signal": best[1], "z": round(best[0], 2)} if best else None


def video_score(
    analysed_samples: list[FaceSample],
    summaries: Mapping[str, SignalSummary],
    detector: LoadedDetector | None,
    reference: SignalReference | None,
) -> VideoScore:
    """Mean and confident-frames scores of the detector's face scores; without a
    detector the signal fusion's probability (reference installed) stands in for them."""
    scores = [s.score for s in analysed_samples if s.score is not None]
    score_mean = mean_score(scores) if scores else None
    score_confident = confident_strategy(scores) if scores else None
    threshold = detector.threshold if detector is not None else None
    score_source = "detector" if score_confident is not None else None
    compared = None
    if analysed_samples and reference is not None:
        compared = reference.compare(summaries)
        if score_confident is None and compared["fusion_probability"] is not None:
            # No CNN ran: the signals' fusion is the score (a second opinion otherwise).
            score_confident, threshold = compared["fusion_probability"], 0.5
            score_source = "signal fusion"
    label = None
    if score_confident is not None and threshold is not None:
        label = "fake" if score_confident >= threshold else "real"
    map_summary = None
    if detector is not None and detector.has_map and scores:
        scored = [s for s in analysed_samples if s.score is not None]
        map_summary = summarise_regions(
            [s.finding for s in scored], [s.score for s in scored], detector.threshold
        )
    return VideoScore(
        mean=score_mean,
        confident=score_confident,
        threshold=threshold,
        label=label,
        source=score_source,
        reference=compared,
        map_summary=map_summary,
    )


def _finite(value: float | None) -> float | None:
    return None if value is None or not np.isfinite(value) else float(value)
