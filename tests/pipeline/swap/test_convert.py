"""Converting a real clip with the trained model: frames, timing, audio, metadata and the
ground truth all hold; blending options behave; bad inputs are refused."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import av
import numpy as np
import pytest

from deepreview_workers.pipeline.alignments import read_alignments
from deepreview_workers.pipeline.swap.convert import (
    Converter,
    ConvertOptions,
    convert_frame,
    convert_video,
    preview_frame,
    select_target_faces,
    smooth_landmarks,
)
from deepreview_workers.pipeline.swap.errors import SwapInputError
from deepreview_workers.pipeline.swap.groundtruth import read_ground_truth
from deepreview_workers.pipeline.swap.train import Trainer
from deepreview_workers.pipeline.swap.writer import SYNTHETIC_COMMENT, read_synthetic_tag
from tests.media_paths import PD_CLIP
from tests.pipeline.clips import demuxed_pts_seconds
from tests.pipeline.swap.conftest import BLANK, TARGET_FRAMES, TRAIN

OPTIONS = ConvertOptions(device="cpu", smoothing_window=3, feather_px=6)


def decode(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


def audio_packets(path: Path) -> list[tuple[int, int]]:
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        return [(p.pts, p.size) for p in container.demux(stream) if p.size]


@pytest.fixture(scope="module")
def converter(trained) -> Converter:
    return Converter(trained.model_dir, OPTIONS)


@pytest.fixture(scope="module")
def converted(converter, swap_media, tmp_path_factory):
    out = tmp_path_factory.mktemp("converted") / "fake.mp4"
    fractions: list[float] = []
    result = convert_video(
        swap_media.target_clip,
        swap_media.target_faces / "alignments.json",
        converter,
        out,
        track=0,
        progress=lambda fraction, message: fractions.append(fraction),
    )
    return result, fractions


def test_output_keeps_frames_timing_size_and_audio(converted, swap_media):
    result, fractions = converted
    source = swap_media.target_clip
    assert result.frames_total == TARGET_FRAMES and result.video_codec == "libx264"
    assert demuxed_pts_seconds(result.output_path) == demuxed_pts_seconds(source)
    with av.open(str(source)) as a, av.open(str(result.output_path)) as b:
        va, vb = a.streams.video[0], b.streams.video[0]
        assert (vb.width, vb.height, vb.average_rate) == (va.width, va.height, va.average_rate)
        assert b.streams.audio[0].codec_context.name == "aac"
    assert result.audio == "copy"
    assert audio_packets(result.output_path) == audio_packets(source)  # remuxed, not re-encoded
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_ground_truth_marks_exactly_the_changed_pixels(converted, swap_media):
    result, _ = converted
    truth = read_ground_truth(result.ground_truth_path)
    expected = [i for i in range(TARGET_FRAMES) if i not in BLANK]
    assert result.frames_manipulated == expected == truth.manipulated_frames
    assert [f["frame_index"] for f in truth.frames] == list(range(TARGET_FRAMES))
    original, fake = decode(swap_media.target_clip), decode(result.output_path)
    assert len(original) == len(fake) == TARGET_FRAMES
    for entry in truth.frames:
        index = entry["frame_index"]
        diff = np.abs(original[index].astype(int) - fake[index].astype(int)).max(axis=2)
        mask = truth.mask(index)
        if index in BLANK:  # no face there: untouched and unflagged
            assert not entry["manipulated"] and entry["mask"] is None and not mask.any()
            assert diff.mean() < 1.0
            continue
        assert entry["manipulated"] and entry["mask"] == f"masks/{index:07d}.png"
        assert entry["face"] == {"track_id": 0, "face_index": 0}
        x0, y0, x1, y1 = entry["box"]
        assert mask[y0:y1, x0:x1].any() and mask.sum() == mask[y0:y1, x0:x1].sum()
        outside, inside = diff[mask == 0], diff[mask >= 200]
        assert outside.mean() < 3.0 and np.percentile(outside, 99) < 12, index  # codec noise
        assert inside.mean() > 8.0, index


def test_synthetic_tag_is_in_the_container(converted, swap_media):
    result, _ = converted
    tag = read_synthetic_tag(result.output_path)
    assert tag["synthetic"] is True and tag["manipulation"] == "face_swap"
    assert tag["source_identity"] == "hopper" and tag["target_identity"] == "obama"
    assert tag["model"]["arch"] == "original" and tag["model"]["iteration"] == TRAIN.iterations
    assert tag["options"]["smoothing_window"] == 3 and tag["track"] == 0
    with av.open(str(result.output_path)) as container:
        assert container.metadata["comment"] == SYNTHETIC_COMMENT
    assert read_synthetic_tag(swap_media.target_clip) is None
    assert read_ground_truth(result.ground_truth_path).manifest["synthetic"] == tag


def test_preview_frame_matches_the_video(converted, converter, swap_media):
    result, _ = converted
    truth = read_ground_truth(result.ground_truth_path)
    alignments = swap_media.target_faces / "alignments.json"
    preview = preview_frame(swap_media.target_clip, alignments, 20, converter, track=0)
    assert np.array_equal(preview.mask, truth.mask(20))
    fake = decode(result.output_path)[20]
    assert np.abs(preview.rgb.astype(int) - fake.astype(int)).mean() < 3.0
    blank = preview_frame(swap_media.target_clip, alignments, BLANK[0], converter, track=0)
    assert not blank.manipulated and not blank.mask.any()


def test_segment_keeps_its_frames_and_audio(converted, converter, swap_media, tmp_path):
    result = convert_video(
        swap_media.target_clip,
        swap_media.target_faces / "alignments.json",
        converter,
        tmp_path / "part.mkv",
        track="largest",
        start_frame=20,
        end_frame=30,
    )
    assert result.frames_total == 10 and (result.start_frame, result.end_frame) == (20, 30)
    truth = read_ground_truth(result.ground_truth_path)
    assert [f["frame_index"] for f in truth.frames] == list(range(20, 30))
    whole = read_ground_truth(converted[0].ground_truth_path)
    for index in (20, 29):  # smoothing looks past the segment's ends: same as one piece
        assert np.array_equal(truth.mask(index), whole.mask(index))
    assert demuxed_pts_seconds(result.output_path)[0] == 0.0
    assert len(decode(result.output_path)) == 10
    with av.open(str(result.output_path)) as container:
        audio = container.streams.audio[0]
        seconds = [float(p.pts * audio.time_base) for p in container.demux(audio) if p.size]
    assert seconds and min(seconds) >= -0.05 and max(seconds) < 10 / 30 + 0.05


def _frame_and_landmarks(swap_media, index: int) -> tuple[np.ndarray, np.ndarray]:
    alignments = read_alignments(swap_media.target_faces / "alignments.json")
    face = select_target_faces(alignments, 0)[index]
    return decode(swap_media.target_clip)[index], face.landmarks68


@pytest.mark.parametrize(
    "options",
    [
        ConvertOptions(mask="components", color_transfer="reinhard"),
        ConvertOptions(mask="ellipse", color_transfer="hist-match", seamless_clone=True),
        ConvertOptions(color_transfer="none", sharpen=0.8, face_scale=1.1, erode_dilate_px=-4),
    ],
    ids=["components-reinhard", "ellipse-histmatch-seamless", "sharpen-scale-erode"],
)
def test_blending_options_change_only_masked_pixels(options, trained, swap_media):
    frame, landmarks = _frame_and_landmarks(swap_media, 5)
    result = convert_frame(frame, landmarks, trained.model_dir, replace(options, device="cpu"))
    changed = (result.rgb != frame).any(axis=2)
    assert result.manipulated and changed.sum() > 1000
    assert not (changed & (result.mask == 0)).any()  # every change is inside the mask


def test_erosion_and_dilation_move_the_mask_edge(converter, swap_media):
    frame, landmarks = _frame_and_landmarks(swap_media, 5)
    areas = []
    for px in (-6, 0, 6):
        options = replace(OPTIONS, erode_dilate_px=px, feather_px=0)
        areas.append(
            (convert_frame(frame, landmarks, Converter(converter.model, options)).mask > 0).sum()
        )
    assert areas[0] < areas[1] < areas[2]


def test_learned_mask_needs_a_masked_model(trained, facesets, tmp_path, swap_media):
    with pytest.raises(SwapInputError, match="mask 'learned' needs a model with a mask output"):
        Converter(trained.model_dir, replace(OPTIONS, mask="learned"))
    options = replace(TRAIN, arch="medium128", width=0.0625, iterations=1, batch_size=2)
    Trainer(tmp_path / "masked", *[f.resized(147) for f in facesets], options).run()
    frame, landmarks = _frame_and_landmarks(swap_media, 5)
    result = convert_frame(frame, landmarks, tmp_path / "masked", replace(OPTIONS, mask="learned"))
    assert result.manipulated


def test_smoothing_reduces_landmark_jitter(swap_media):
    faces = select_target_faces(read_alignments(swap_media.target_faces / "alignments.json"), 0)
    raw, smooth = smooth_landmarks(faces, 1), smooth_landmarks(faces, 5)
    run = [i for i in range(18, TARGET_FRAMES)]  # one run of consecutive frames

    def jitter(points: dict[int, np.ndarray]) -> float:
        steps = np.stack([points[i] for i in run])
        return float(np.abs(np.diff(steps, n=2, axis=0)).mean())  # acceleration

    assert jitter(smooth) < 0.6 * jitter(raw)
    assert np.allclose(raw[5], faces[5].landmarks68)


def test_unknown_track_and_mismatched_alignments_are_refused(converter, swap_media, tmp_path):
    alignments = swap_media.target_faces / "alignments.json"
    with pytest.raises(SwapInputError, match=r"track 7 is not in the alignments.*present: 0"):
        convert_video(swap_media.target_clip, alignments, converter, tmp_path / "x.mp4", track=7)
    with pytest.raises(SwapInputError, match="extracted from sampled frames"):
        convert_video(
            PD_CLIP, swap_media.faces_a / "alignments.json", converter, tmp_path / "y.mp4"
        )
    with pytest.raises(SwapInputError, match="alignments are for a 320x"):
        convert_video(
            swap_media.target_clip,
            swap_media.faces_b / "alignments.json",
            converter,
            tmp_path / "z.mp4",
        )
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_writer_keeps_odd_sizes_and_copies_pcm_audio(tmp_path):
    from deepreview_workers.pipeline.swap.writer import SwapVideoWriter
    from tests.pipeline.clips import reencode_pd_clip

    source = reencode_pd_clip(
        tmp_path / "odd.mkv",
        codec="libx264",
        frames=4,
        size=(201, 151),
        pix_fmt="yuv444p",
        audio_codec="pcm_s16le",
    )
    with av.open(str(source)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        writer = SwapVideoWriter(tmp_path / "out.mp4", video, audio, tag={"synthetic": True})
        for packet in container.demux(video, audio):
            if packet.stream.type == "audio":
                writer.write_audio(packet)
                continue
            for frame in video.codec_context.decode(packet if packet.size else None):
                writer.write_frame(frame, frame.pts, frame.to_ndarray(format="rgb24"))
        writer.close()
    assert writer.pix_fmt == "yuv444p" and writer.audio_mode == "copy"
    with av.open(str(tmp_path / "out.mp4")) as output:
        assert (output.streams.video[0].width, output.streams.video[0].height) == (201, 151)
        assert output.streams.audio[0].codec_context.name == "pcm_s16le"
    assert len(decode(tmp_path / "out.mp4")) == 4
    assert read_synthetic_tag(tmp_path / "out.mp4") == {"synthetic": True}
