"""The whole extraction on real media with the real models."""

from __future__ import annotations

import json

import numpy as np
import pytest

from deepreview_workers.pipeline.alignments import read_alignments
from deepreview_workers.pipeline.extract import ExtractOptions, Extractor
from deepreview_workers.pipeline.progress import Cancelled
from tests.media_paths import HOPPER, PD_CLIP, needs_shared_media

pytestmark = needs_shared_media


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    options = ExtractOptions(sampling="every_n", every_n=30, device="cpu", embed_interval_seconds=0)
    return Extractor(options)


def test_clip_gives_one_face_per_sampled_frame(extractor, tmp_path):
    result = extractor.run(PD_CLIP, tmp_path)
    summary = result.summary
    assert summary.frames_read == 259 and summary.frames_sampled == 9
    assert summary.faces_kept == 9
    assert [s.face.frame_index for s in result.faces] == list(range(0, 259, 30))
    assert {s.face.track_id for s in result.faces} == {0}
    for saved in result.faces:
        assert (tmp_path / saved.crop_path).is_file()
        assert set(saved.mask_paths) == {"components", "extended"}
    alignments = read_alignments(result.alignments_path)
    assert sum(len(frame.faces) for frame in alignments.frames) == 9
    assert set(summary.stage_seconds) >= {"detect", "landmarks", "embed", "decode"}


def test_segments_give_the_same_faces_as_one_piece(extractor, tmp_path):
    whole = extractor.run(PD_CLIP, tmp_path / "whole")
    pieces = []
    for start, end in [(0, 120), (120, None)]:
        segment = extractor.for_segment(start, end)
        pieces += segment.run(PD_CLIP, tmp_path / f"part{start}").faces
    assert [s.face.frame_index for s in pieces] == [s.face.frame_index for s in whole.faces]
    for a, b in zip(pieces, whole.faces, strict=True):
        assert np.allclose(a.face.detection.box, b.face.detection.box, atol=0.5)
        assert np.allclose(a.face.embedding, b.face.embedding, atol=1e-4)


def test_photo_gives_one_face(extractor, tmp_path):
    result = extractor.run(HOPPER, tmp_path)
    assert result.summary.faces_kept == 1
    data = json.loads(result.alignments_path.read_text())
    assert data["schema"] == "deepreview.alignments"


def test_cancel_from_progress_stops_extraction(extractor, tmp_path):
    calls = []

    def progress(fraction: float, message: str) -> None:
        calls.append(fraction)
        if fraction > 0.1:
            raise Cancelled("stop")

    with pytest.raises(Cancelled):
        extractor.run(PD_CLIP, tmp_path, progress=progress)
    assert calls and max(calls) < 0.5


class CountingEmbedder:
    """The real embedder, counting the faces it is asked to embed."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.faces = 0

    def embed(self, frame_rgb: np.ndarray, landmarks68: np.ndarray) -> np.ndarray:
        self.faces += len(landmarks68)
        return self.inner.embed(frame_rgb, landmarks68)


def test_a_track_reuses_its_embedding_for_the_interval(extractor, tmp_path):
    sparse = extractor.for_segment(0, 60)
    sparse.options = ExtractOptions(
        sampling="all", end_frame=60, device="cpu", embed_interval_seconds=1.0
    )
    counting = CountingEmbedder(extractor.embedder)
    sparse.embedder = counting
    result = sparse.run(PD_CLIP, tmp_path)
    assert result.summary.faces_kept == 60
    assert counting.faces == 2  # 60 frames at 30 fps: one embedding a second
    first, last = result.faces[0].face.embedding, result.faces[29].face.embedding
    assert np.array_equal(first, last)
    assert {s.face.track_id for s in result.faces} == {0}
