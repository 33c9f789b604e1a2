"""Faceset export: a training-set zip built by a real worker, downloaded by URL."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from deepreview.jobs.models import Job
from deepreview_workers.pipeline.alignments import alignments_from_json
from tests.conftest import wait_for
from tests.factories import FaceFactory, FacesetFactory, MediaItemFactory

pytestmark = pytest.mark.worker


def test_export_zip_holds_faces_masks_and_alignments(team, api_as, celery_worker_process):
    faceset = FacesetFactory(project=team.project, name="Person A")
    media = MediaItemFactory(project=team.project)
    storage = media.file.storage
    faces = []
    for i in range(3):
        mask = storage.save(f"masks/m{i}.png", ContentFile(b"mask %d" % i))
        faces.append(
            FaceFactory(
                faceset=faceset, media=media, frame_index=i * 10, masks={"components": mask}
            )
        )
    FaceFactory(faceset=faceset, media=media, deleted_at="2026-01-01T00:00:00Z")  # not exported
    url = reverse("faceset-export", args=[team.project.pk, faceset.pk])
    job_id = api_as("curator").post(url).json()["id"]
    wait_for(lambda: Job.objects.get(pk=job_id).status in ("succeeded", "failed"), 120)
    job = Job.objects.get(pk=job_id)
    assert job.status == "succeeded", job.error
    assert job.message == f"3 faces exported ({job.result['bytes'] / 1024**2:.1f} MiB)"

    download = api_as("viewer").get(reverse("job-artifact", kwargs={"job_id": job_id}))
    assert download.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    names = sorted(archive.namelist())
    assert len([n for n in names if n.startswith("faces/")]) == 3
    assert len([n for n in names if n.startswith("masks/components/")]) == 3
    alignments = alignments_from_json(json.loads(archive.read(f"alignments/{media.pk}.json")))
    assert sum(len(frame.faces) for frame in alignments.frames) == 3
    assert alignments.source.sha256 == media.sha256
    assert json.loads(archive.read("faceset.json"))["faces"] == 3

    outsider = api_as("outsider").get(reverse("job-artifact", kwargs={"job_id": job_id}))
    assert outsider.status_code == 404


def test_empty_faceset_export_is_refused(team, api_as):
    faceset = FacesetFactory(project=team.project)
    url = reverse("faceset-export", args=[team.project.pk, faceset.pk])
    response = api_as("curator").post(url)
    assert response.status_code == 400 and response.json()["error"]["code"] == "empty_faceset"
