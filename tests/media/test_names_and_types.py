"""A client's file name is a label: the stored extension and the served type come from
the probe; names are cleaned of spoofing characters and sent back RFC 6266/5987-encoded."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from deepreview.core.names import display_name, stored_stem
from deepreview.media.models import MediaItem
from deepreview.media.types import media_type
from deepreview.swaps.models import ConsentRecord
from tests.factories import FacesetFactory
from tests.media.test_upload import upload
from tests.media_paths import HOPPER, PD_CLIP, needs_shared_media

RLO = "\u202e"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (f"invoice{RLO}gpj.exe", "invoicegpj.exe"),  # right-to-left override removed
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\clip.mp4", "clip.mp4"),
        ("a\x00b\tc\nd.mp4", "abcd.mp4"),
        ("zero\u200bwidth  name .mp4", "zerowidth name .mp4"),
        ("", "upload"),
        (RLO, "upload"),
        ("Überwachung – 東京.mp4", "Überwachung – 東京.mp4"),
    ],
)
def test_display_names_keep_what_people_wrote_and_drop_what_spoofs(raw, shown):
    assert display_name(raw) == shown


def test_stored_stems_are_plain_ascii():
    assert stored_stem("Überwachung – 東京.mp4") == "Uberwachung"
    assert stored_stem("../../x y.mp4") == "x_y"
    assert stored_stem("東京") == "file"


def test_media_types_come_from_the_container_and_codec():
    assert media_type("video", "mov,mp4,m4a,3gp,3g2,mj2", "h264") == ("video/mp4", ".mp4")
    assert media_type("video", "matroska,webm", "vp9") == ("video/webm", ".webm")
    assert media_type("video", "matroska,webm", "h264") == ("video/x-matroska", ".mkv")
    assert media_type("image", "image2", "mjpeg") == ("image/jpeg", ".jpg")
    assert media_type("image", "image2", "weird") == ("application/octet-stream", ".bin")


@needs_shared_media
def test_a_jpeg_named_mp4_is_stored_and_served_as_jpeg(team, api_as, tmp_path):
    disguised = tmp_path / "holiday.mp4"
    shutil.copy(HOPPER, disguised)
    client = api_as("curator")
    body = upload(client, team.project, disguised).json()
    item = MediaItem.objects.get(pk=body["id"])
    assert item.kind == "image" and item.name == "holiday.mp4"
    assert item.file.name.endswith("/original.jpg")
    response = client.get(
        reverse("media-file", kwargs={"media_id": item.pk, "variant": "original"})
    )
    assert response["Content-Type"] == "image/jpeg"


@needs_shared_media
def test_non_ascii_and_spoofing_names_are_cleaned_and_sent_rfc5987(team, api_as, tmp_path):
    named = tmp_path / f"東京{RLO}4pm.mp4"
    shutil.copy(PD_CLIP, named)
    client = api_as("curator")
    item = MediaItem.objects.get(pk=upload(client, team.project, named).json()["id"])
    assert item.name == "東京4pm.mp4" and Path(item.file.name).name == "original.mp4"
    response = client.get(
        reverse("media-file", kwargs={"media_id": item.pk, "variant": "original"})
    )
    assert response["Content-Type"] == "video/mp4"
    assert response["Content-Disposition"] == "inline; filename*=utf-8''%E6%9D%B1%E4%BA%AC4pm.mp4"


def test_consent_evidence_is_a_download_never_a_page(team, api_as):
    faceset = FacesetFactory(project=team.project)
    record = ConsentRecord(faceset=faceset, basis="consent", subject="A", scope="B")
    html = b"<html><script>alert(document.cookie)</script></html>"
    record.evidence.save("consent/evidence.html", SimpleUploadedFile("evidence.html", html))
    response = api_as("curator").get(reverse("consent-evidence", kwargs={"consent_id": record.pk}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


@needs_shared_media
def test_a_large_upload_is_probed_by_its_job_not_in_the_request(team, api_as, settings, tmp_path):
    from deepreview.jobs.models import Job
    from deepreview_workers.tasks.base import run_job

    settings.PROBE_IN_REQUEST_MAX_BYTES = 1024  # every test file is "large"
    client = api_as("curator")
    body = upload(client, team.project, PD_CLIP).json()
    item = MediaItem.objects.get(pk=body["id"])
    assert (item.status, item.frame_count) == ("processing", None)  # the request only stored it
    run_job.run(Job.objects.get(media=item, kind="probe").pk)
    item.refresh_from_db()
    assert item.status == "ready" and item.codec == "h264" and item.frame_count > 200
    assert len(item.sha256) == 64
    playback = client.get(
        reverse("media-file", kwargs={"media_id": item.pk, "variant": "playback"})
    )
    assert playback["Content-Type"] == "video/mp4"

    # The same file again: the job finds the first copy and removes the second.
    again = upload(client, team.project, PD_CLIP).json()
    job = Job.objects.get(media_id=again["id"], kind="probe")
    run_job.run(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and f"(#{item.pk})" in job.error
    assert not MediaItem.objects.filter(pk=again["id"]).exists()

    # Not media at all: the item stays, failed, with the reason.
    junk = tmp_path / "big.mp4"
    junk.write_bytes(b"\x00junk" * 4096)
    bad = upload(client, team.project, junk).json()
    job = Job.objects.get(media_id=bad["id"], kind="probe")
    run_job.run(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and job.error
    assert MediaItem.objects.get(pk=bad["id"]).status == "failed"
