"""Alignments file: exact round trip, schema/version checks, path safety, the docs."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from deepreview_workers.pipeline.alignments import (
    SCHEMA,
    VERSION,
    AlignmentsError,
    SourceInfo,
    read_alignments,
    write_alignments,
)
from deepreview_workers.pipeline.types import AlignedFace, ExtractedFace, FaceDetection, FaceMetrics

SOURCE = {
    "file_name": "clip.mp4",
    "sha256": "ab" * 32,
    "frame_count": 300,
    "fps": 29.97,
    "width": 1280,
    "height": 720,
}
DOCS = Path(__file__).resolve().parents[2] / "docs" / "alignments-schema.md"


def _face(frame: int, index: int, seed: int, *, embedding: bool = True) -> ExtractedFace:
    rng = np.random.default_rng(seed)
    metrics = FaceMetrics(
        blur=float(rng.uniform(0, 500)),
        face_size=float(rng.uniform(40, 300)),
        brightness=float(rng.uniform(0, 255)),
        hue=float(rng.uniform(0, 360)),
        histogram=tuple(float(v) for v in rng.dirichlet(np.ones(128))),
        yaw=float(rng.normal(0, 20)),
        pitch=float(rng.normal(0, 10)),
        roll=math.nan,
        confidence=float(rng.uniform(0.9, 1)),
    )
    vector = rng.normal(size=128).astype(np.float32)
    return ExtractedFace(
        frame_index=frame,
        pts_seconds=frame / 29.97,
        face_index=index,
        detection=FaceDetection(
            box=tuple(float(v) for v in rng.uniform(0, 700, 4)),
            score=float(rng.uniform(0.9, 1)),
            points5=rng.uniform(0, 700, (5, 2)).astype(np.float32),
        ),
        landmarks68=rng.uniform(0, 700, (68, 2)).astype(np.float32),
        aligned=AlignedFace(
            crop_rgb=np.zeros((0, 0, 3), np.uint8),
            matrix=rng.normal(size=(2, 3)),
            landmarks68_aligned=np.zeros((68, 2)),
            size=256,
        ),
        masks={"components": np.zeros((0, 0), np.uint8), "extended": np.zeros((0, 0), np.uint8)},
        metrics=metrics,
        embedding=(vector / np.linalg.norm(vector)) if embedding else None,
        embedder="dlib" if embedding else "",
        track_id=index,
    )


def _paths(frame: int, index: int) -> tuple[str, dict[str, str]]:
    stem = f"{frame:07d}_{index}"
    return f"faces/{stem}.png", {n: f"masks/{n}/{stem}.png" for n in ("components", "extended")}


@pytest.fixture
def written(tmp_path: Path):
    faces = [_face(12, 1, 1), _face(3, 0, 2), _face(12, 0, 3), _face(40, 0, 4, embedding=False)]
    keys = [(f.frame_index, f.face_index) for f in faces]
    crops = {k: _paths(*k)[0] for k in keys}
    masks = {k: _paths(*k)[1] for k in keys}
    path = tmp_path / "alignments.json"
    write_alignments(
        path,
        SOURCE,
        {"crop_size": 256, "sampling": "fps"},
        faces,
        crops,
        masks,
        empty_frames=[(20, 20 / 29.97)],
    )
    return path, faces


def test_round_trip_is_exact(written):
    path, faces = written
    loaded = read_alignments(path)
    assert loaded.source == SourceInfo(**SOURCE)
    assert loaded.options == {"crop_size": 256, "sampling": "fps"}
    assert [f.frame_index for f in loaded.frames] == [3, 12, 20, 40]
    assert loaded.frames[2].faces == ()
    by_key = {(f.frame_index, f.face_index): f for f in faces}
    assert [(r.frame_index, r.face_index) for r in loaded.faces] == [
        (3, 0),
        (12, 0),
        (12, 1),
        (40, 0),
    ]
    for record in loaded.faces:
        face = by_key[(record.frame_index, record.face_index)]
        assert record.pts_seconds == face.pts_seconds
        assert record.detection.box == face.detection.box
        assert record.score == face.detection.score
        for ours, theirs in [
            (record.points5, face.detection.points5),
            (record.landmarks68, face.landmarks68),
            (record.matrix, face.aligned.matrix),
        ]:
            assert ours.dtype == theirs.dtype
            np.testing.assert_array_equal(ours, theirs)
        if face.embedding is None:
            assert record.embedding is None
        else:
            assert record.embedding.dtype == np.float32
            np.testing.assert_array_equal(record.embedding, face.embedding)
        assert record.embedder == face.embedder
        assert record.track_id == face.track_id and record.size == 256
        assert math.isnan(record.metrics.roll)  # a non-finite metric survives as null
        assert record.metrics.histogram == face.metrics.histogram
        assert record.metrics.blur == face.metrics.blur
        crop, masks = _paths(record.frame_index, record.face_index)
        assert record.crop_path == crop and dict(record.mask_paths) == masks


def test_file_header_and_embedding_encoding(written):
    path, _ = written
    data = json.loads(path.read_text())
    assert data["schema"] == SCHEMA and data["version"] == VERSION == 1
    face = data["frames"][0]["faces"][0]
    assert isinstance(face["embedding"], str) and len(face["embedding"]) == 684  # 512 bytes
    assert face["metrics"]["roll"] is None


def _rewrite(path: Path, change) -> None:  # noqa: ANN001
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(schema="faceswap"), "not a deepreview alignments file"),
        (lambda d: d.update(version=2), "version 2 is not supported"),
        (lambda d: d["source"].pop("sha256"), r"source\.sha256: missing"),
        (
            lambda d: d["frames"][1]["faces"][0]["landmarks68"].pop(),
            r"frames\[1\]\.faces\[0\]\.landmarks68: expected shape \(68, 2\)",
        ),
        (
            lambda d: d["frames"][0]["faces"][0].update(crop="../../etc/passwd"),
            r"frames\[0\]\.faces\[0\]\.crop: path '\.\./\.\./etc/passwd' must be relative",
        ),
        (
            lambda d: d["frames"][0]["faces"][0]["masks"].update(extended="/abs/x.png"),
            "must be relative",
        ),
        (lambda d: d["frames"][0]["faces"][0].update(embedding="###"), "not valid base64"),
        (lambda d: d["frames"].reverse(), "is not above the previous"),
        (lambda d: d["frames"][0]["faces"][0].update(track_id=True), "integer, got boolean"),
        (
            lambda d: d["source"].update(width="wide"),
            r"source\.width: expected integer, got string",
        ),
    ],
)
def test_invalid_files_are_rejected_with_the_field_named(written, change, message: str):
    path, _ = written
    _rewrite(path, change)
    with pytest.raises(AlignmentsError, match=message):
        read_alignments(path)


def test_not_json_is_a_clear_error(tmp_path: Path):
    path = tmp_path / "a.json"
    path.write_text("{nope")
    with pytest.raises(AlignmentsError, match="not a JSON alignments file"):
        read_alignments(path)


def test_writer_validates_and_accepts_stored_faces(tmp_path: Path):
    @dataclass
    class Saved:  # what the extractor keeps: metadata plus paths on disk
        face: ExtractedFace
        crop_path: str
        mask_paths: dict[str, str]

    face = _face(5, 0, 9)
    crop, masks = _paths(5, 0)
    probe_style = {**SOURCE, "name": SOURCE["file_name"]}
    probe_style.pop("file_name")
    out = write_alignments(tmp_path / "a.json", probe_style, {}, [Saved(face, crop, masks)])
    assert out.source.file_name == "clip.mp4" and out.faces[0].crop_path == crop
    with pytest.raises(AlignmentsError, match="options must be plain JSON"):
        write_alignments(tmp_path / "b.json", SOURCE, {"x": object()}, [])
    with pytest.raises(AlignmentsError, match="must be relative"):
        write_alignments(tmp_path / "c.json", SOURCE, {}, [face], {(5, 0): "/abs.png"})
    assert not (tmp_path / "c.json").exists()


def test_schema_docs_exist_and_name_every_field():
    text = DOCS.read_text()
    for name in (
        "deepreview.alignments",
        "frame_index",
        "pts_seconds",
        "landmarks68",
        "points5",
        "matrix",
        "masks",
        "embedding",
        "track_id",
        "sha256",
        "histogram",
        "little-endian",
    ):
        assert name in text, name
