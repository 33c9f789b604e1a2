"""render_previews on real clips: sprite, poster, timestamps, cancellation, browser proxy."""

import math

import pytest
from PIL import Image

from deepreview_workers.pipeline.progress import Cancelled
from deepreview_workers.pipeline.proxy import needs_proxy
from deepreview_workers.pipeline.video_io import probe_media, render_previews
from tests.media_paths import HOPPER, PD_CLIP, SHARED_MEDIA, needs_shared_media
from tests.pipeline.clips import demuxed_pts_seconds, reencode_pd_clip

pytestmark = needs_shared_media


@pytest.fixture(scope="module")
def pd_previews(tmp_path_factory):
    out = tmp_path_factory.mktemp("pd_previews")
    reports = []
    result = render_previews(
        PD_CLIP, out, progress=lambda fraction, message: reports.append((fraction, message))
    )
    return result, reports


def test_sprite_tiles_cover_every_nth_frame(tmp_path):
    result = render_previews(PD_CLIP, tmp_path, every_n_frames=25, tile_width=80, columns=4)
    sprite = result.sprite
    assert sprite.every_n_frames == 25
    assert sprite.frame_indices == tuple(range(0, 259, 25))  # 11 tiles
    assert (sprite.columns, sprite.rows) == (4, 3)
    assert (sprite.tile_width, sprite.tile_height) == (80, round(80 * 388 / 512))
    with Image.open(sprite.path) as image:
        assert image.size == (4 * 80, 3 * sprite.tile_height)


def test_default_step_keeps_tiles_under_max(tmp_path):
    result = render_previews(PD_CLIP, tmp_path, max_tiles=100)
    assert result.sprite.every_n_frames == math.ceil(259 / 100)
    assert len(result.sprite.frame_indices) <= 100


def test_poster_and_timestamps(pd_previews):
    result, _ = pd_previews
    with Image.open(result.poster_path) as poster:
        assert poster.size == (640, round(640 * 388 / 512))
    probe = probe_media(PD_CLIP)
    assert result.frames_decoded == probe.frame_count == len(result.frame_pts_seconds)
    assert result.frame_pts_seconds[0] == 0.0
    assert list(result.frame_pts_seconds) == sorted(result.frame_pts_seconds)
    assert result.frame_pts_seconds[1] == pytest.approx(1 / 30)


def test_progress_is_reported_and_throttled(pd_previews):
    _, reports = pd_previews
    fractions = [fraction for fraction, _ in reports]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert fractions == sorted(fractions)
    assert len(reports) <= 102  # about one per 1%, not one per frame (259)


def test_h264_yuv420p_mp4_needs_no_proxy(pd_previews):
    result, _ = pd_previews
    assert not needs_proxy(probe_media(PD_CLIP))
    assert result.proxy_path is None
    assert not (result.poster_path.parent / "proxy.mp4").exists()


def test_cancel_stops_the_work_and_removes_partial_outputs(tmp_path):
    calls = []

    def cancel_at_a_third(fraction: float, message: str) -> None:
        calls.append(fraction)
        if fraction > 0.33:
            raise Cancelled

    source = reencode_pd_clip(tmp_path / "clip.avi", codec="mpeg4")
    out = tmp_path / "out"
    with pytest.raises(Cancelled):
        render_previews(source, out, progress=cancel_at_a_third)
    assert 0.33 < calls[-1] < 0.5  # stopped soon after the cancel, not at the end
    assert list(out.iterdir()) == []


def test_image_gets_poster_only(tmp_path):
    result = render_previews(HOPPER, tmp_path, poster_width=300)
    assert result.sprite is None and result.proxy_path is None
    assert result.frame_pts_seconds == (0.0,) and result.frames_decoded == 1
    with Image.open(result.poster_path) as poster:
        assert poster.size == (300, round(300 * 606 / 517))


def _assert_same_frames(original, proxy_path, frame_pts_seconds):
    original_probe, proxy_probe = probe_media(original), probe_media(proxy_path)
    assert (proxy_probe.codec, proxy_probe.pix_fmt) == ("h264", "yuv420p")
    assert proxy_probe.container == "mov,mp4,m4a,3gp,3g2,mj2"
    assert proxy_probe.frame_count == original_probe.frame_count == len(frame_pts_seconds)
    original_pts = demuxed_pts_seconds(original)
    proxy_pts = demuxed_pts_seconds(proxy_path)
    assert len(proxy_pts) == len(original_pts)
    assert proxy_pts == pytest.approx(original_pts, abs=1e-6)
    assert list(frame_pts_seconds) == pytest.approx(original_pts, abs=1e-6)
    assert not needs_proxy(proxy_probe)
    return proxy_probe


def test_proxy_of_mpeg4_avi_keeps_every_frame_and_timestamp(tmp_path):
    source = reencode_pd_clip(tmp_path / "clip.avi", codec="mpeg4")
    assert needs_proxy(probe_media(source))
    result = render_previews(source, tmp_path / "out")
    assert result.proxy_path == tmp_path / "out" / "proxy.mp4"
    _assert_same_frames(source, result.proxy_path, result.frame_pts_seconds)
    # faststart: the index (moov) comes before the media data (mdat).
    head = result.proxy_path.read_bytes()[:4096]
    assert 0 <= head.find(b"moov") < 4096


def test_proxy_pads_odd_sizes_and_transcodes_pcm_audio_to_aac(tmp_path):
    source = reencode_pd_clip(
        tmp_path / "odd.mkv",
        codec="libx264",
        size=(511, 387),
        pix_fmt="yuv444p",
        audio_codec="pcm_s16le",
    )
    result = render_previews(source, tmp_path / "out")
    proxy = _assert_same_frames(source, result.proxy_path, result.frame_pts_seconds)
    assert (proxy.width, proxy.height) == (512, 388)  # one black column and row added
    assert proxy.audio_codec == "aac"


@pytest.mark.skipif(not SHARED_MEDIA.is_dir(), reason="research media not available")
def test_proxy_of_ffpp_444_and_hdtf_mpeg4(tmp_path):
    for name in ("ffpp_original_youtube_004.mp4", "hdtf_WDA_KatieHill_000.mp4"):
        source = SHARED_MEDIA / "real_videos" / name
        result = render_previews(source, tmp_path / name, max_tiles=20)
        proxy = _assert_same_frames(source, result.proxy_path, result.frame_pts_seconds)
        assert proxy.audio_codec == probe_media(source).audio_codec  # AAC copied, or none
