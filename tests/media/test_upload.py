"""Uploads through the API: good files, duplicates and every kind of bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from deepreview.jobs.models import Job
from deepreview.media.models import MediaItem
from tests.media_paths import HOPPER as PHOTO
from tests.media_paths import PD_CLIP as CLIP
from tests.media_paths import SHARED_MEDIA, SHARED_MEDIA_MISSING


def upload(client, project, path: Path, **fields):  # noqa: ANN001, ANN003, ANN201
    if SHARED_MEDIA in path.parents and not path.is_file():
        pytest.skip(SHARED_MEDIA_MISSING)
    with path.open("rb") as handle:
        return client.post(
            reverse("media-list", args=[project.pk]), {"file": handle, **fields}, format="multipart"
        )


def stored_files(settings) -> list[Path]:  # noqa: ANN001
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def temp_files(settings) -> set[Path]:  # noqa: ANN001
    return set(Path(settings.FILE_UPLOAD_TEMP_DIR).glob("*"))


def test_video_upload_is_probed_and_queues_a_probe_job(team, api_as):
    response = upload(api_as("curator"), team.project, CLIP, origin="real")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "video"
    assert body["codec"] == "h264"
    assert body["frame_count"] > 0 and body["fps"] > 0 and body["duration_seconds"] > 0
    assert (body["width"], body["height"]) == (body["width"], body["height"]) and body["width"] > 0
    assert body["has_audio"] in (True, False)
    assert len(body["sha256"]) == 64
    assert body["origin"] == "real" and body["status"] == "processing"
    job = Job.objects.get(media_id=body["id"])
    assert (job.kind, job.status, job.queue) == ("probe", "queued", "cpu")


def test_image_upload(team, api_as):
    response = upload(api_as("owner"), team.project, PHOTO)
    assert response.status_code == 201, response.content
    assert response.json()["kind"] == "image"
    assert response.json()["frame_count"] == 1


def test_duplicate_upload_returns_the_existing_item(team, api_as, settings):
    first = upload(api_as("curator"), team.project, PHOTO)
    files_before = stored_files(settings)
    second = upload(api_as("curator"), team.project, PHOTO)
    assert second.status_code == 200
    assert second["X-Deepreview-Duplicate"] == "true"
    assert second.json()["id"] == first.json()["id"]
    assert MediaItem.objects.filter(project=team.project).count() == 1
    assert stored_files(settings) == files_before


def test_same_file_in_another_project_is_a_new_item(team, api_as):
    from tests.factories import MembershipFactory

    other = MembershipFactory(user=team.users["curator"], role="curator").project
    assert upload(api_as("curator"), team.project, PHOTO).status_code == 201
    assert upload(api_as("curator"), other, PHOTO).status_code == 201


def test_identity_must_belong_to_the_project(team, api_as):
    from tests.factories import IdentityFactory

    foreign = IdentityFactory()
    response = upload(api_as("curator"), team.project, PHOTO, identity=foreign.pk)
    assert response.status_code == 400
    assert "identity" in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("filename", "code"),
    [
        ("not_media.mp4", "not_media"),
        ("random_bytes.mov", "not_media"),
        ("truncated.mp4", "corrupt"),
        ("audio_only.m4a", "no_frames"),
        ("unsupported_codec.flv", "unsupported_codec"),
    ],
)
def test_bad_upload_is_refused_and_leaves_nothing(
    team, api_as, settings, bad_media, filename, code
):
    temp_before = temp_files(settings)
    response = upload(api_as("curator"), team.project, bad_media / filename)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == code
    assert len(error["message"]) > 10
    assert not MediaItem.objects.exists()
    assert not Job.objects.exists()
    assert stored_files(settings) == []
    assert temp_files(settings) == temp_before


def test_empty_file_is_refused(team, api_as, tmp_path):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    response = upload(api_as("curator"), team.project, empty)
    assert response.status_code == 400
    assert not MediaItem.objects.exists()


def test_missing_file_field(team, api_as):
    response = api_as("curator").post(
        reverse("media-list", args=[team.project.pk]), {"origin": "real"}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "no_file"


def test_upload_over_the_size_limit_is_refused_while_streaming(team, api_as, settings):
    settings.MAX_UPLOAD_BYTES = 100_000  # the clip is ~350 KB
    temp_before = temp_files(settings)
    response = upload(api_as("curator"), team.project, CLIP)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert "upload limit" in response.json()["error"]["message"]
    assert not MediaItem.objects.exists()
    assert stored_files(settings) == []
    assert temp_files(settings) == temp_before


def test_unsupported_codec_policy_is_configurable(team, api_as, settings):
    settings.ALLOWED_VIDEO_CODECS = ["vp9"]
    response = upload(api_as("curator"), team.project, CLIP)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unsupported_codec"
    assert "h264" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "relative",
    [
        "real_videos/ffpp_original_youtube_004.mp4",
        "fake_videos/ffpp_Face2Face_750_743.mp4",
        "fake_videos/dfdc_fake_abofeumbvv.mp4",
    ],
)
def test_research_media_uploads(team, api_as, relative):
    response = upload(api_as("curator"), team.project, SHARED_MEDIA / relative)
    assert response.status_code == 201, response.content
    assert response.json()["frame_count"] > 10


def test_media_edit_and_delete_remove_stored_files(team, api_as, settings):
    item = upload(api_as("curator"), team.project, PHOTO).json()
    url = reverse("media-detail", args=[team.project.pk, item["id"]])
    edited = api_as("curator").patch(url, {"origin": "fake"}, format="json")
    assert edited.json()["origin"] == "fake"
    assert stored_files(settings)
    assert api_as("curator").delete(url).status_code == 204
    assert stored_files(settings) == []
