"""FaceForensics++ re-encoding: same frames and timestamps, reproducible bytes, CRF levels."""

from __future__ import annotations

import hashlib
from pathlib import Path

import av
import pytest

from deepreview_workers.pipeline.dataset.encode import encode_video
from deepreview_workers.pipeline.progress import Cancelled
from tests.pipeline.clips import decoded_frame_count, demuxed_pts_seconds


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("compression", ["c0", "c23", "c40"])
def test_reencoding_keeps_every_frame_and_timestamp_and_is_deterministic(
    short, tmp_path, compression
):
    first = encode_video(short, tmp_path / "a.mp4", compression, frame_count=30)
    second = encode_video(short, tmp_path / "b.mp4", compression, frame_count=30)
    assert sha256(first) == sha256(second)
    assert decoded_frame_count(first) == decoded_frame_count(short) == 30
    assert demuxed_pts_seconds(first) == demuxed_pts_seconds(short)
    with av.open(str(first)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.name, stream.codec_context.pix_fmt) == ("h264", "yuv420p")
        assert (stream.width, stream.height) == (512, 388)
        assert float(stream.average_rate) == pytest.approx(30.0)
    # No library version or clock in the file: it depends on the pixels alone.
    assert b"Lavf" not in first.read_bytes()


def test_higher_crf_gives_smaller_files(short, tmp_path):
    sizes = [
        encode_video(short, tmp_path / f"{c}.mp4", c).stat().st_size for c in ("c0", "c23", "c40")
    ]
    assert sizes[0] > sizes[1] > sizes[2]


def test_unknown_level_and_cancel_leave_no_file(short, tmp_path):
    with pytest.raises(ValueError, match="c0, c23, c40"):
        encode_video(short, tmp_path / "x.mp4", "c99")

    def cancel(fraction: float, message: str) -> None:
        raise Cancelled

    with pytest.raises(Cancelled):
        encode_video(short, tmp_path / "y.mp4", "c23", progress=cancel)
    assert list(tmp_path.iterdir()) == []
