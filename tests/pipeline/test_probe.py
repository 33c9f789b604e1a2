"""probe_media on real media: the public-domain set, generated broken files, research media."""

import hashlib
import re

import pytest

from deepreview_workers.pipeline.video_io import (
    DEFAULT_VIDEO_CODECS,
    MediaRejected,
    file_sha256,
    probe_media,
)
from tests.media_paths import (
    FACES,
    PD_CLIP,
    REAL_IMAGES,
    REPO_ROOT,
    SHARED_MEDIA,
    bad_media_script,
    needs_shared_media,
)
from tests.pipeline.clips import decoded_frame_count


def _shared(*folders: str) -> list:
    if not SHARED_MEDIA.is_dir():
        return []
    return sorted(p for folder in folders for p in (SHARED_MEDIA / folder).iterdir())


@needs_shared_media
def test_pd_clip_metadata_is_exact():
    result = probe_media(PD_CLIP)
    assert result.kind == "video"
    assert result.container == "mov,mp4,m4a,3gp,3g2,mj2"
    assert (result.codec, result.pix_fmt) == ("h264", "yuv420p")
    assert (result.width, result.height) == (512, 388)
    assert result.fps == 30.0
    assert result.frame_count == 259
    assert result.frame_count == decoded_frame_count(PD_CLIP)
    assert result.duration_seconds == pytest.approx(8.633, abs=1e-3)
    assert (result.has_audio, result.audio_codec) == (False, None)
    assert result.bit_rate and result.bit_rate > 0
    assert result.as_dict()["frame_count"] == 259


@needs_shared_media
@pytest.mark.parametrize("photo", FACES, ids=lambda p: p.name)
def test_pd_photos_are_images(photo):
    result = probe_media(photo)
    assert result.kind == "image"
    assert result.codec == "mjpeg"
    assert result.frame_count == 1
    assert result.fps is None and result.duration_seconds is None
    assert result.width > 0 and result.height > 0


@needs_shared_media
def test_congress_photo_size():
    result = probe_media(REAL_IMAGES / "pd_congress_B000944_sherrod_brown.jpg")
    assert (result.width, result.height) == (200, 250)


@pytest.mark.parametrize(
    ("name", "code", "phrase"),
    [
        ("not_media.mp4", "not_media", "not a video or image"),
        ("random_bytes.mov", "not_media", "not a video or image"),
        ("truncated.mp4", "corrupt", "ends after"),
        ("truncated_no_index.mp4", "corrupt", "truncated or corrupt"),
        ("audio_only.m4a", "no_frames", "no video"),
        ("no_video_packets.mp4", "no_frames", "no video"),
        ("unsupported_codec.flv", "unsupported_codec", "'flv1'"),
    ],
)
def test_bad_files_are_rejected_with_their_code(name, code, phrase, bad_media):
    with pytest.raises(MediaRejected) as caught:
        probe_media(bad_media / name)
    assert caught.value.code == code
    assert phrase in caught.value.message
    assert str(caught.value) == caught.value.message
    assert "\n" not in caught.value.message


def test_every_generated_bad_file_gets_the_code_the_readme_promises(bad_media):
    """The script, the files it writes and fixtures/README.md's table agree."""
    expected = bad_media_script().EXPECTED_CODES
    assert sorted(p.name for p in bad_media.iterdir()) == sorted(expected)
    readme = (REPO_ROOT / "fixtures" / "README.md").read_text()
    table = dict(re.findall(r"^\| `([\w.]+)` \|.*\| `(\w+)` \|$", readme, re.MULTILINE))
    assert table == expected
    for name, code in expected.items():
        with pytest.raises(MediaRejected) as caught:
            probe_media(bad_media / name)
        assert caught.value.code == code, name


def test_unsupported_codec_message_lists_supported_codecs(bad_media):
    with pytest.raises(MediaRejected) as caught:
        probe_media(bad_media / "unsupported_codec.flv")
    assert "supported: " in caught.value.message
    assert "h264" in caught.value.message


@needs_shared_media
def test_allowed_codecs_are_configurable():
    with pytest.raises(MediaRejected) as caught:
        probe_media(PD_CLIP, allowed_video_codecs=DEFAULT_VIDEO_CODECS - {"h264"})
    assert caught.value.code == "unsupported_codec"


def test_empty_file_is_not_media(tmp_path):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(MediaRejected) as caught:
        probe_media(empty)
    assert caught.value.code == "not_media"


def test_missing_file_is_a_caller_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        probe_media(tmp_path / "nope.mp4")


@needs_shared_media
def test_file_sha256_matches_hashlib():
    expected = hashlib.sha256(PD_CLIP.read_bytes()).hexdigest()
    assert file_sha256(PD_CLIP, chunk_size=4096) == expected
    # The digest recorded in the shared media's SOURCES.md for this clip.
    assert expected == "c2825f1bc3946224d5537a80b7deb3ea250d50847cd02bac0f3aab18b98be7d5"


@needs_shared_media
@pytest.mark.parametrize("video", _shared("real_videos", "fake_videos"), ids=lambda p: p.name)
def test_research_videos_probe(video):
    result = probe_media(video)
    assert result.kind == "video"
    assert result.frame_count > 0
    assert result.fps and result.fps > 0
    assert result.width > 0 and result.height > 0


@needs_shared_media
@pytest.mark.parametrize("image", _shared("real_images", "fake_images"), ids=lambda p: p.name)
def test_research_images_probe(image):
    assert probe_media(image).kind == "image"


@needs_shared_media
def test_ffpp_is_444_and_hdtf_is_mpeg4_with_aac():
    ffpp = probe_media(SHARED_MEDIA / "real_videos" / "ffpp_original_youtube_004.mp4")
    assert (ffpp.codec, ffpp.pix_fmt, ffpp.frame_count) == ("h264", "yuv444p", 309)
    hdtf = probe_media(SHARED_MEDIA / "real_videos" / "hdtf_WDA_KatieHill_000.mp4")
    assert (hdtf.codec, hdtf.audio_codec, hdtf.frame_count) == ("mpeg4", "aac", 200)
