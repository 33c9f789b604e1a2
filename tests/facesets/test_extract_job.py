"""Extraction jobs through a real Celery worker with the real models."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from django.core.files.uploadedfile import UploadedFile

from deepreview.facesets import services as faceset_services
from deepreview.facesets.models import Face
from deepreview.jobs import services as job_services
from deepreview.jobs.models import Job
from deepreview.media.services import media_upload
from tests.conftest import wait_for
from tests.factories import FacesetFactory
from tests.media_paths import PD_CLIP, needs_shared_media

pytestmark = pytest.mark.worker


def upload(project, user, path: Path):  # noqa: ANN001, ANN201
    with path.open("rb") as handle:
        item, _ = media_upload(
            project=project,
            upload=UploadedFile(handle, name=path.name, size=path.stat().st_size),
            uploaded_by=user,
        )
    return item


def finished(job_id: int) -> Job:
    return wait_for(
        lambda: (
            (job := Job.objects.get(pk=job_id)).status in ("succeeded", "failed", "cancelled")
            and job
        ),
        240,
        message=f"extract job {job_id}",
    )


def no_face_clip(path: Path) -> Path:
    """Two seconds of a moving grey gradient: a valid video with nobody in it."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        ramp = np.tile(np.linspace(0, 255, 320, dtype=np.uint8), (240, 1))
        for i in range(50):
            rgb = np.dstack([np.roll(ramp, i * 3, axis=1)] * 3)
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


@needs_shared_media
def test_extracts_faces_from_the_clip(team, celery_worker_process):
    curator = team.users["curator"]
    item = upload(team.project, curator, PD_CLIP)
    faceset = FacesetFactory(project=team.project)
    [job] = faceset_services.faceset_extract(
        faceset=faceset, media_ids=[item.pk], options={"target_fps": 1.0}, requested_by=curator
    )
    job = finished(job.pk)
    assert job.status == "succeeded", job.error + celery_worker_process.log()[-3000:]
    faces = Face.objects.filter(faceset=faceset)
    assert 8 <= faces.count() <= 10  # one face a second in an 8.6 s clip
    assert job.result["faces_saved"] == faces.count()
    assert job.message.endswith("sampled frames")
    face = faces.first()
    assert face.crop and face.thumb and set(face.masks) == {"components", "extended"}
    assert len(np.frombuffer(bytes(face.embedding), dtype="<f4")) == 128
    assert len({f.track_id for f in faces}) == 1  # one person, one track
    assert face.crop.storage.exists(job.result["alignments"])


def test_video_without_faces_succeeds_with_zero(team, celery_worker_process, tmp_path):
    item = upload(team.project, team.users["curator"], no_face_clip(tmp_path / "empty.mp4"))
    faceset = FacesetFactory(project=team.project)
    [job] = faceset_services.faceset_extract(
        faceset=faceset, media_ids=[item.pk], options={}, requested_by=team.users["curator"]
    )
    job = finished(job.pk)
    assert job.status == "succeeded", job.error
    assert job.result["faces_saved"] == 0
    assert job.message.startswith("No faces found in")


@needs_shared_media
def test_corrupt_stored_video_fails_with_a_reason(team, celery_worker_process):
    item = upload(team.project, team.users["curator"], PD_CLIP)
    Path(item.file.path).write_bytes(Path(item.file.path).read_bytes()[:50_000])
    faceset = FacesetFactory(project=team.project)
    [job] = faceset_services.faceset_extract(
        faceset=faceset, media_ids=[item.pk], options={}, requested_by=team.users["curator"]
    )
    job = finished(job.pk)
    assert job.status == "failed"
    assert "corrupt" in job.error or "truncated" in job.error
    assert not Face.objects.filter(faceset=faceset).exists()


@needs_shared_media
def test_cancel_leaves_no_faces(team, celery_worker_process):
    item = upload(team.project, team.users["curator"], PD_CLIP)
    faceset = FacesetFactory(project=team.project)
    [job] = faceset_services.faceset_extract(
        faceset=faceset,
        media_ids=[item.pk],
        options={"sampling": "all"},
        requested_by=team.users["curator"],
    )
    wait_for(lambda: Job.objects.get(pk=job.pk).progress > 0.02, 120, message="progress")
    job_services.job_request_cancel(job=Job.objects.get(pk=job.pk))
    job = finished(job.pk)
    assert job.status == "cancelled"
    assert not Face.objects.filter(faceset=faceset).exists()
