"""The FaceForensics++ tree of an export, masks included, exactly as FF++ ships it:
``original_sequences/youtube/<c>/videos/<id>.mp4``,
``manipulated_sequences/<method>/<c>/videos/<id>.mp4`` and one mask video per fake at
``manipulated_sequences/<method>/masks/videos/<id>.mp4`` (the download script's
``masks`` type), frame for frame with the fake."""

from __future__ import annotations

import json
import zipfile
from dataclasses import replace

import av
import numpy as np
import pytest

from deepreview_workers.pipeline.dataset.build import build_dataset
from deepreview_workers.pipeline.dataset.faces import GroundTruthMasks
from deepreview_workers.pipeline.dataset.maskvideo import read_mask_video, write_mask_video
from deepreview_workers.pipeline.dataset.read import read_export, verify_manifest
from deepreview_workers.pipeline.dataset.types import ExportRequest
from deepreview_workers.pipeline.progress import Cancelled
from tests.pipeline.clips import decoded_frame_count, demuxed_pts_seconds
from tests.pipeline.dataset.conftest import OPTIONS
from tests.pipeline.dataset.media import HEIGHT, PASTED, WIDTH, export_video

METHOD = "deepreview-original"


@pytest.fixture(scope="module")
def ffpp(short, pasted, tmp_path_factory):  # noqa: ANN001, ANN201
    """One real and one fake with ground truth, the FaceForensics++ format alone, c23."""
    real = export_video(short, "real", ("Barack Obama",))
    options = replace(OPTIONS, ratios=(1, 0, 0), formats=("ffpp",), compressions=("c23",))
    request = ExportRequest(videos=(real, pasted.record), options=options, selection={})
    root = tmp_path_factory.mktemp("ffpp_export")
    build_dataset(request, root / "export.zip")
    with zipfile.ZipFile(root / "export.zip") as archive:
        archive.extractall(root / "tree")
    return root / "export.zip", root / "tree", real, pasted.record


def test_the_tree_is_faceforensics_layout_exactly(ffpp):
    zip_path, _tree, real, fake = ffpp
    with zipfile.ZipFile(zip_path) as archive:
        names = archive.namelist()
    assert names == [
        "datasheet.md",
        "export.json",
        f"manipulated_sequences/{METHOD}/c23/videos/{fake.key}.mp4",
        f"manipulated_sequences/{METHOD}/masks/videos/{fake.key}.mp4",
        f"manipulated_sequences/{METHOD}/raw/videos/{fake.key}.mp4",
        f"original_sequences/youtube/c23/videos/{real.key}.mp4",
        f"original_sequences/youtube/raw/videos/{real.key}.mp4",
        "manifest.sha256",
    ]
    assert verify_manifest(zip_path) == []
    info = json.loads(zipfile.ZipFile(zip_path).read("export.json"))
    entries = {v["key"]: v for v in info["videos"]}
    assert entries[fake.key]["mask_video"] == names[3]
    assert entries[fake.key]["masks"] == PASTED[1] - PASTED[0] + 1
    assert entries[real.key]["mask_video"] is None and entries[real.key]["masks"] == 0
    assert "mask_folder" not in entries[fake.key]
    sheet = zipfile.ZipFile(zip_path).read("datasheet.md").decode()
    assert "`manipulated_sequences/<method>/masks/videos/<video>.mp4`" in sheet


def test_the_mask_video_has_a_frame_for_every_frame_of_the_fake(ffpp):
    _zip, tree, _real, fake = ffpp
    masks = tree / f"manipulated_sequences/{METHOD}/masks/videos/{fake.key}.mp4"
    raw = tree / f"manipulated_sequences/{METHOD}/raw/videos/{fake.key}.mp4"
    c23 = tree / f"manipulated_sequences/{METHOD}/c23/videos/{fake.key}.mp4"
    assert decoded_frame_count(masks) == decoded_frame_count(raw) == decoded_frame_count(c23)
    assert decoded_frame_count(masks) == 30
    assert demuxed_pts_seconds(masks) == demuxed_pts_seconds(raw)
    with av.open(str(masks)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert (stream.width, stream.height) == (WIDTH, HEIGHT)
    assert b"Lavf" not in masks.read_bytes()  # bitexact: no library version in the file


def test_mask_frames_equal_the_ground_truth(ffpp, pasted):
    _zip, tree, _real, fake = ffpp
    masks = tree / f"manipulated_sequences/{METHOD}/masks/videos/{fake.key}.mp4"
    truth = GroundTruthMasks(pasted.ground_truth)
    try:
        expected = [truth.mask(i) for i in range(30)]
    finally:
        truth.close()
    black = np.zeros((HEIGHT, WIDTH), np.uint8)
    expected = [black if m is None else m for m in expected]
    decoded = list(read_mask_video(masks))
    assert len(decoded) == len(expected)
    # Lossless: the luma is the mask byte for byte (blend weights included).
    pairs = zip(decoded, expected, strict=True)
    worst = max(int(np.abs(d.astype(int) - e).max()) for d, e in pairs)
    assert worst == 0
    manipulated = [i for i, d in enumerate(decoded) if d.any()]
    assert manipulated == list(range(PASTED[0], PASTED[1] + 1))
    # What any reader sees, converting to grey the usual way and thresholding at 128.
    with av.open(str(masks)) as container:
        grey = [f.to_ndarray(format="gray") for f in container.decode(video=0)]
    for seen, mask in zip(grey, expected, strict=True):
        assert np.array_equal(seen >= 128, mask >= 128)


def test_the_reader_finds_the_mask_video(ffpp):
    zip_path, tree, real, fake = ffpp
    contents = read_export(zip_path)
    videos = {v.key: v for v in contents.videos}
    assert videos[fake.key].mask_video == (
        f"manipulated_sequences/{METHOD}/masks/videos/{fake.key}.mp4"
    )
    assert videos[fake.key].mask_members == () and videos[real.key].mask_video is None
    assert videos[fake.key].manipulated_ranges == (PASTED,)
    assert read_export(tree).videos == contents.videos


def test_an_export_of_schema_version_1_still_reads_its_png_masks(ffpp, tmp_path):
    """Exports written before the mask videos held a PNG per frame and ``mask_folder``."""
    zip_path, _tree, _real, fake = ffpp
    folder = f"manipulated_sequences/{METHOD}/masks/{fake.key}/"
    old = tmp_path / "v1.zip"
    with zipfile.ZipFile(zip_path) as src, zipfile.ZipFile(old, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "export.json":
                info = json.loads(data)
                info["version"] = 1
                for entry in info["videos"]:
                    video = entry.pop("mask_video")
                    entry["mask_folder"] = folder if video else None
                data = json.dumps(info).encode()
            elif "/masks/videos/" in name:
                continue
            dst.writestr(name, data)
        for frame in range(PASTED[0], PASTED[1] + 1):
            dst.writestr(f"{folder}{frame:06d}.png", b"png")
    video = next(v for v in read_export(old).videos if v.key == fake.key)
    assert video.mask_video is None
    assert [f for f, _m in video.mask_members] == list(range(PASTED[0], PASTED[1] + 1))


def test_mask_video_refuses_a_mask_of_another_size_and_a_cancel_leaves_no_file(pasted, tmp_path):
    out = tmp_path / "masks.mp4"
    with pytest.raises(ValueError, match="mask of frame 0 is 10x10, the video 512x388"):
        write_mask_video(pasted.video, out, lambda index: np.zeros((10, 10), np.uint8))
    assert not out.exists()

    def cancel(fraction: float, message: str) -> None:
        if fraction > 0:
            raise Cancelled

    with pytest.raises(Cancelled):
        write_mask_video(pasted.video, out, lambda index: None, progress=cancel)
    assert not out.exists()


def test_mask_video_of_an_odd_sized_video_is_lossless_too(tmp_path):
    """4:2:0 needs even sizes: an odd-sized fake gets a 4:4:4 mask video, still exact."""
    width, height = 65, 47
    fake = tmp_path / "odd.mp4"
    with av.open(str(fake), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv444p"
        for index in range(6):
            rgb = np.full((height, width, 3), 40 * index, np.uint8)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv444p")
            frame.pts = index
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    rng = np.random.default_rng(0)
    masks = {i: rng.integers(0, 256, (height, width), dtype=np.uint8) for i in (1, 4)}
    frames, masked = write_mask_video(fake, tmp_path / "m.mp4", masks.get)
    assert (frames, masked) == (6, 2)
    decoded = list(read_mask_video(tmp_path / "m.mp4"))
    assert len(decoded) == 6
    for index, mask in enumerate(decoded):
        assert np.array_equal(mask, masks.get(index, np.zeros((height, width), np.uint8)))
