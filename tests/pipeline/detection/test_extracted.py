"""train-detector on `deepreview extract` output: faces from alignments.json only, each cut
from its source frame exactly as detection cuts it."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from deepreview_workers.pipeline.alignments import (
    FaceRecord,
    SourceInfo,
    read_alignments,
    write_alignments,
)
from deepreview_workers.pipeline.detection.dataset import (
    DEFAULT_CROP_MARGIN,
    TrainingDataError,
    load_face_set,
)
from deepreview_workers.pipeline.detection.models import CROP_MARGIN, face_crop
from deepreview_workers.pipeline.detection.train import read_crop
from deepreview_workers.pipeline.frames import iter_frames
from deepreview_workers.pipeline.types import FaceMetrics
from deepreview_workers.pipeline.video_io import file_sha256
from tests.media_paths import PD_CLIP, needs_shared_media
from tests.pipeline.detection.fakes import write_video

WIDTH, HEIGHT, FRAMES = 192, 144, 12


def _clip(path: Path, seed: int) -> list[np.ndarray]:
    """A small textured clip (a different picture every frame); returns its decoded frames."""
    rng = np.random.default_rng(seed)
    base = cv2.GaussianBlur(rng.integers(0, 256, (HEIGHT * 2, WIDTH * 2, 3), np.uint8), (5, 5), 0)
    frames = [
        np.ascontiguousarray(base[i * 4 : i * 4 + HEIGHT, i * 5 : i * 5 + WIDTH])
        for i in range(FRAMES)
    ]
    write_video(frames, path)
    return [frame.rgb for frame in iter_frames(path)]


def _face(frame: int, index: int, box: tuple[float, float, float, float]) -> FaceRecord:
    x0, y0, x1, y1 = box
    grid = np.stack(np.meshgrid(np.linspace(x0, x1, 17), np.linspace(y0, y1, 4)), -1)
    metrics = FaceMetrics(
        blur=1.0,
        face_size=math.sqrt((x1 - x0) * (y1 - y0)),
        brightness=100.0,
        hue=0.0,
        histogram=(1.0,),
        yaw=0.0,
        pitch=0.0,
        roll=0.0,
        confidence=0.99,
    )
    return FaceRecord(
        frame_index=frame,
        pts_seconds=frame / 30,
        face_index=index,
        box=box,
        score=0.99,
        points5=np.zeros((5, 2), np.float32),
        landmarks68=grid.reshape(-1, 2)[:68].astype(np.float32),
        matrix=np.eye(2, 3),
        size=64,
        crop_path=f"faces/{frame:07d}_{index}.png",
        mask_paths={"components": f"masks/components/{frame:07d}_{index}.png"},
        metrics=metrics,
        embedder="",
        embedding=None,
    )


def _extracted(folder: Path, video: Path, faces: list[FaceRecord], margin: float = 0.0) -> None:
    """What `deepreview extract VIDEO -o folder.parent` writes (crops and masks are dummies:
    training must read neither)."""
    for sub in ("faces", "masks/components"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    grey = np.full((64, 64, 3), 128, np.uint8)
    for face in faces:
        cv2.imwrite(str(folder / face.crop_path), grey)
        cv2.imwrite(str(folder / face.mask_paths["components"]), grey[..., 0])
    source = SourceInfo(video.name, file_sha256(video), FRAMES, 30.0, WIDTH, HEIGHT)
    write_alignments(folder / "alignments.json", source, {"margin": margin}, faces)


@pytest.fixture
def data(tmp_path):
    """DATA/real/<source>/ (`extract a.mp4 -o DATA/real`) and DATA/fake/alice/<source>/
    (`extract b.mp4 -o DATA/fake/alice`), videos in tmp/videos/."""
    videos = tmp_path / "videos"
    videos.mkdir()
    frames = {"a": _clip(videos / "a.mp4", 1), "b": _clip(videos / "b.mp4", 2)}
    boxes = {
        "a": [
            _face(2, 0, (60.0, 40.5, 110.2, 101.0)),
            _face(7, 0, (2.0, 1.0, 50.0, 60.0)),
            _face(7, 1, (120.0, 50.0, 180.5, 120.0)),
        ],  # the second runs off the frame
        "b": [_face(0, 0, (70.0, 30.0, 130.0, 100.0)), _face(11, 0, (80.3, 35.7, 125.0, 90.0))],
    }
    root = tmp_path / "DATA"
    _extracted(root / "real" / "a", videos / "a.mp4", boxes["a"])
    _extracted(root / "fake" / "alice" / "b", videos / "b.mp4", boxes["b"])
    return root, videos, frames, boxes


def _rgb(path: Path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def test_crops_are_detections_crops_from_the_source_frame(data):
    root, videos, frames, boxes = data
    assert DEFAULT_CROP_MARGIN == CROP_MARGIN
    face_set = load_face_set(root, source_dirs=[videos], crop_size=96)
    assert face_set.source == "extract" and face_set.crop_margin == CROP_MARGIN
    faces = face_set.faces
    assert [(f.label, f.identity, f.video) for f in faces] == [
        (0, "a", "a.mp4"),
        (0, "a", "a.mp4"),
        (0, "a", "a.mp4"),
        (1, "alice", "b.mp4"),
        (1, "alice", "b.mp4"),
    ]
    records = boxes["a"] + boxes["b"]
    sources = ["a"] * 3 + ["b"] * 2
    for face, record, name in zip(faces, records, sources, strict=True):
        expected = face_crop(frames[name][record.frame_index], record.box, 96)
        assert np.array_equal(_rgb(face.path), expected)  # detection's crop, bit for bit
        assert face.landmarks.shape == (68, 2)
    # The first landmark is the box's top-left corner: 30% of the box in from the crop's.
    first = faces[0].landmarks[0]
    side = 1.6 * max(110.2 - 60.0, 101.0 - 40.5)
    assert first[0] == pytest.approx((60.0 - (85.1 - side / 2)) * 96 / side, abs=0.6)

    # At source resolution, training's resize to any input size gives the same crop.
    native = load_face_set(root, source_dirs=[videos])
    for face, record, name in zip(native.faces, records, sources, strict=True):
        for size in (64, 224):
            expected = face_crop(frames[name][record.frame_index], record.box, size)
            assert np.array_equal(read_crop(face.path, size), expected)


def test_deleted_faces_and_masks_are_left_out_and_extract_margin_undone(data):
    root, videos, frames, boxes = data
    (root / "real" / "a" / boxes["a"][1].crop_path).unlink()  # the curator dropped it
    # Extracted again with --margin 0.25: the stored box is grown; detection's is not.
    raw = boxes["b"][0].box
    w, h = raw[2] - raw[0], raw[3] - raw[1]
    grown = (raw[0] - w / 8, raw[1] - h / 8, raw[2] + w / 8, raw[3] + h / 8)
    folder = root / "fake" / "alice" / "b"
    shutil.rmtree(folder)
    _extracted(folder, videos / "b.mp4", [_face(0, 0, grown)], margin=0.25)
    face_set = load_face_set(root, source_dirs=[videos], crop_size=80)  # keeps its crops
    faces = face_set.faces
    assert [f.path.stem for f in faces] == ["0000002_0", "0000007_1", "0000000_0"]
    crop = _rgb(faces[-1].path)
    assert np.array_equal(crop, face_crop(frames["b"][0], raw, 80))


def test_the_source_is_found_beside_the_data_or_asked_for(data, tmp_path, monkeypatch):
    root, videos, _frames, _boxes = data
    monkeypatch.chdir(tmp_path)  # nothing to find in the working folder
    with pytest.raises(TrainingDataError, match="pass --source-dir") as refused:
        load_face_set(root)
    assert "a.mp4" in str(refused.value)
    shutil.copy(videos / "a.mp4", tmp_path / "a.mp4")  # beside DATA, as after `cd tmp; extract`
    shutil.copy(videos / "a.mp4", root / "fake" / "alice" / "b.mp4")  # the name, not the video
    with pytest.raises(TrainingDataError, match="b.mp4 has that name but other contents"):
        load_face_set(root)
    monkeypatch.chdir(videos)
    assert len(load_face_set(root).faces) == 5


def test_plain_folders_skip_masks_and_mixtures_are_refused(data, tmp_path):
    root, videos, _frames, _boxes = data
    plain = tmp_path / "PLAIN"
    crop = np.full((32, 32, 3), 90, np.uint8)
    for name in ("real/bob/0.png", "real/bob/masks/components/0.png", "fake/bob/1.png"):
        (plain / name).parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(plain / name), crop)
    assert [f.path.name for f in load_face_set(plain).faces] == ["0.png", "1.png"]

    (plain / "real" / "bob" / "faces").mkdir()  # extract output that lost its alignments
    with pytest.raises(TrainingDataError, match="without its alignments.json"):
        load_face_set(plain)

    cv2.imwrite(str(root / "fake" / "carol.png"), crop)
    with pytest.raises(TrainingDataError, match="mixes `deepreview extract` output"):
        load_face_set(root, source_dirs=[videos])

    deep = tmp_path / "DEEP"
    shutil.copytree(root / "real" / "a", deep / "real" / "x" / "y" / "a")
    with pytest.raises(TrainingDataError, match="deeper than train-detector reads"):
        load_face_set(deep, source_dirs=[videos])

    flat = tmp_path / "FLAT"
    shutil.copytree(root / "real" / "a", flat / "a")  # `extract a.mp4 -o FLAT`: no class
    with pytest.raises(TrainingDataError, match="no real/ or fake/ folder"):
        load_face_set(flat)


@needs_shared_media
def test_crop_from_extract_output_is_the_crop_detection_scores(tmp_path):
    """One pass of `deepreview extract` and one of detection over the public-domain clip,
    on the same three frames: the training crop is detection's crop, also where extract
    followed the face instead of detecting it (its box is a few pixels off there)."""
    from deepreview_workers.pipeline.detection import LoadedDetector, detector_models
    from deepreview_workers.pipeline.detection.video import DetectOptions, VideoDetector
    from deepreview_workers.pipeline.extract import ExtractOptions, Extractor

    # Frames 0, 129 and 258: what detection analyses with --frames 3 (259 frames).
    # Full detection on frame 0 only; frames 129 and 258 are followed (--redetect-seconds).
    options = ExtractOptions(
        sampling="every_n", every_n=129, masks=(), redetect_seconds=10, device="cpu"
    )
    extracted = Extractor(options).run(PD_CLIP, tmp_path / "DATA" / "real" / PD_CLIP.stem)
    assert extracted.summary.detection_frames == {"full": 1, "followed": 2}
    face_set = load_face_set(
        tmp_path / "DATA", source_dirs=[PD_CLIP.parent], crop_size=256, device="cpu"
    )
    assert [f.path.stem for f in face_set.faces] == ["0000000_0", "0000129_0", "0000258_0"]
    stored = [face.box for face in read_alignments(extracted.alignments_path).faces]

    class Spy(LoadedDetector):
        crops: list[np.ndarray] = []

        def score_crops_with_maps(self, crops_rgb, batch_size=64):
            self.crops.extend(crops_rgb)
            return super().score_crops_with_maps(crops_rgb, batch_size)

    spy = Spy(detector_models.create("meso4"), arch="meso4", input_size=256)
    runner = VideoDetector(DetectOptions(frames=3, temporal_fps=0, signals=(), device="cpu"))
    result = runner.run(PD_CLIP, spy)
    assert [frame.index for frame in result.frames] == [0, 129, 258]
    assert len(spy.crops) == 3
    boxes = [frame.faces[0].box for frame in result.frames]
    offsets = [np.abs(np.subtract(a, b)).max() for a, b in zip(stored, boxes, strict=True)]
    assert offsets[0] < 0.01 and min(offsets[1:]) > 1.0  # the followed faces' boxes are off
    for face, seen in zip(face_set.faces, spy.crops, strict=True):
        assert np.array_equal(_rgb(face.path), seen)  # the crop detection scored, exactly
