"""Fake detection on real video: the public-domain clip against a hard-pasted fake made from it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from deepreview_workers.pipeline.detection import (
    STATUS_NO_FACES,
    STATUS_OK,
    DetectOptions,
    LoadedDetector,
    VideoDetection,
    detect_video,
    detector_models,
)
from deepreview_workers.pipeline.detection.signals import signals
from deepreview_workers.pipeline.detection.video import sample_indices, temporal_indices
from deepreview_workers.pipeline.progress import Cancelled
from tests.media_paths import HOPPER, PD_CLIP, needs_shared_media, require_shared_media
from tests.pipeline.detection.fakes import (
    decode,
    faces_of,
    largest_face,
    paste_face,
    read_rgb,
    swap_source,
    write_video,
)

FRAMES = 40  # 1.3 s of the public-domain clip


@pytest.fixture(scope="module")
def clip_pair(tmp_path_factory, face_detector, landmarker) -> tuple[Path, Path]:
    """The public-domain clip's first 40 frames re-encoded, and the same frames with Grace
    Hopper's face (through a 64 px "swap model" crop) pasted on with a hard mask."""
    require_shared_media()
    out = tmp_path_factory.mktemp("pair")
    frames = decode(PD_CLIP, FRAMES)
    targets = faces_of(face_detector, landmarker, frames)
    source = read_rgb(HOPPER)
    _box, source_landmarks = largest_face(face_detector, landmarker, source)
    crop = swap_source(source, source_landmarks, size=64)
    fakes = [paste_face(f, lm, crop) for f, (_b, lm) in zip(frames, targets, strict=True)]
    return write_video(frames, out / "real.mp4"), write_video(fakes, out / "fake.mp4")


@pytest.fixture(scope="module")
def pair_results(clip_pair, video_detector) -> tuple[VideoDetection, VideoDetection]:
    """Both clips analysed; the real one also scored by an untrained (random) meso4."""
    real, fake = clip_pair
    untrained = LoadedDetector(detector_models.create("meso4"), arch="meso4", input_size=128)
    return video_detector.run(real, untrained), video_detector.run(fake)


def _raw(result: VideoDetection, name: str) -> dict[int, float]:
    """Raw value of a signal per analysed frame (one face per frame here)."""
    return {
        frame.index: frame.faces[0].signals[name].raw
        for frame in result.frames
        if frame.analysed and frame.faces and frame.faces[0].signals[name].raw is not None
    }


@pytest.mark.parametrize("name", ["edge_seam", "face_blur"])
def test_pasted_face_raises_seam_and_blur(pair_results, name):
    real, fake = pair_results
    assert real.status == fake.status == STATUS_OK
    real_raw, fake_raw = _raw(real, name), _raw(fake, name)
    common = sorted(set(real_raw) & set(fake_raw))
    assert len(common) >= 10
    higher = sum(fake_raw[i] > real_raw[i] for i in common)
    assert higher >= 0.8 * len(common), f"{name}: fake higher in {higher}/{len(common)} frames"
    gap = np.mean([fake_raw[i] for i in common]) - np.mean([real_raw[i] for i in common])
    assert gap > 0.15, f"{name}: mean raw went up by only {gap:.3f}"


def test_result_covers_every_frame_and_signal(pair_results):
    real, fake = pair_results
    analysed = [frame for frame in real.frames if frame.analysed]
    assert [f.index for f in analysed] == sample_indices(FRAMES, 12)
    assert real.frames_analysed == 12 and real.frames_with_faces == 12 and real.tracks == 1
    # Landmark-only samples fill in between: every 2nd frame (15 fps) over the whole clip.
    landmark_only = [frame for frame in real.frames if not frame.analysed]
    planned = temporal_indices(sample_indices(FRAMES, 12), FRAMES, 30.0, DetectOptions())
    assert [f.index for f in landmark_only] == planned and len(planned) >= 10
    assert sorted({f.index for f in real.frames} | set(range(0, FRAMES, 2))) == sorted(
        f.index for f in real.frames
    )
    # Learned scores only on analysed frames; none at all without a detector.
    assert all(face.score is None for frame in landmark_only for face in frame.faces)
    assert all(face.score is None for frame in fake.frames for face in frame.faces)
    assert fake.score_mean is None and fake.detector is None  # no CNN: the signals' fusion
    assert fake.score_source == "signal fusion" and 0 <= fake.score_confident <= 1
    assert set(real.signals) == set(signals.names())
    blinking = real.signals["blinking"].summary
    assert blinking["sample_fps"] == pytest.approx(15.0)
    for name, summary in real.signals.items():
        assert summary.summary["count"] > 0, name
        kind_frames = analysed if not summary.temporal else real.frames
        assert any(f.faces and f.faces[0].signals[name].raw is not None for f in kind_frames)


def test_signals_are_normalised_per_video(pair_results):
    for result in pair_results:
        for name, summary in result.signals.items():
            values = [face.signals[name] for frame in result.frames for face in frame.faces]
            raw = [v.raw for v in values if v.raw is not None]
            norm = [v.norm for v in values if v.norm is not None]
            assert len(raw) == len(norm) == summary.scale["count"]
            assert all(0.0 <= n <= 1.0 for n in norm)
            # The video's median raw value sits at 0.5 on the common scale.
            assert summary.scale["centre"] == pytest.approx(np.median(raw))
            assert np.median(norm) == pytest.approx(0.5, abs=0.02)
            for v in values:
                if v.raw is not None and summary.scale["spread"] > 0:
                    expected = (v.raw - summary.scale["centre"]) / summary.scale["spread"]
                    assert v.z == pytest.approx(np.clip(expected, -10, 10), abs=1e-9)


def test_detector_scores_and_json(pair_results):
    result, _fake = pair_results
    scores = result.face_scores
    assert len(scores) == 12 and all(0.0 <= s <= 1.0 for s in scores)
    assert result.score_mean == pytest.approx(np.mean(scores))
    assert result.score_confident is not None and result.label in ("real", "fake")
    data = json.loads(result.to_json())
    assert data["schema"] == "deepreview.detection" and data["status"] == "ok"
    assert set(data["score"]) == {
        "mean",
        "confident",
        "threshold",
        "label",
        "calibrated",
        "threshold_fpr",
        "source",
    }
    assert data["score"]["source"] == "detector" and not data["score"]["calibrated"]
    assert data["detector"]["arch"] == "meso4"
    frame = next(f for f in data["frames"] if f["analysed"])
    face = frame["faces"][0]
    assert set(face) == {"track", "box", "confidence", "score", "signals"}
    assert set(face["signals"]["edge_seam"]) == {"raw", "z", "norm"}
    assert data["signals"]["edge_seam"]["kind"] == "edge-seam"
    assert data["signals"]["edge_seam"]["description"]


@needs_shared_media
def test_video_without_faces_says_so_and_has_no_score(tmp_path, video_detector):
    # The clip's right-hand strip: pillars and a candle, nobody in it.
    frames = [frame[:384, 352:512] for frame in decode(PD_CLIP, 30)]
    path = write_video(frames, tmp_path / "no_face.mp4")
    detector = LoadedDetector(detector_models.create("meso4"), arch="meso4", input_size=128)
    result = video_detector.run(path, detector)
    assert result.status == STATUS_NO_FACES and "No faces" in result.message
    assert result.score_mean is None and result.score_confident is None and result.label is None
    assert result.faces == 0 and result.frames_analysed == 12
    data = result.as_dict()
    assert data["score"] is None and data["status"] == "no_faces"
    assert all(s["summary"]["count"] == 0 for s in data["signals"].values())
    json.dumps(data, allow_nan=False)


def test_progress_reports_and_cancel_stops(tmp_path, clip_pair):
    real, _fake = clip_pair
    options = DetectOptions(frames=4, temporal_fps=0, device="cpu")
    seen: list[float] = []
    result = detect_video(real, options=options, progress=lambda f, m: seen.append(f))
    assert result.status == STATUS_OK and seen[0] == 0.0 and seen[-1] == 1.0
    assert seen == sorted(seen)

    def cancel(fraction: float, message: str) -> None:
        if fraction > 0.3:
            raise Cancelled("stop")

    with pytest.raises(Cancelled):
        detect_video(real, options=options, progress=cancel)


def test_sampling_plan():
    assert sample_indices(300, 32)[:3] == [0, 10, 19] and sample_indices(300, 32)[-1] == 299
    assert len(sample_indices(300, 32)) == 32 and sample_indices(5, 32) == [0, 1, 2, 3, 4]
    options = DetectOptions(frames=2, temporal_fps=10, temporal_window=0.4)
    # 30 fps, every 3rd frame within 0.2 s (6 frames) of frames 0 and 99.
    assert temporal_indices([0, 99], 100, 30.0, options) == [3, 6, 93, 96]
    assert temporal_indices([0, 99], 100, None, options) == []  # a still image


def test_options_round_trip_and_reject_typos():
    options = DetectOptions(frames=8, signals=("edge_seam",))
    assert DetectOptions.from_dict(json.loads(json.dumps(options.as_dict()))) == options
    with pytest.raises(ValueError, match="Unknown detection options: frame"):
        DetectOptions.from_dict({"frame": 3})
    with pytest.raises(ValueError, match="Unknown forensic signal"):
        DetectOptions(signals=("nope",))
