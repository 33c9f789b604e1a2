"""Importing a zip of DeepFaceLab faces into a faceset through the API, by a real worker."""

from __future__ import annotations

import io
import zipfile

import cv2
import numpy as np
import pytest
from django.urls import reverse

from deepreview.facesets.models import CurationEvent, Face
from deepreview.jobs.models import Job
from deepreview_workers.pipeline.extract import ExtractOptions, Extractor
from tests.conftest import wait_for
from tests.factories import FacesetFactory
from tests.media_paths import FACES, needs_shared_media
from tests.pipeline.foreign_faces import writers


def _zip(files: dict[str, bytes]) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    buffer.seek(0)
    buffer.name = "faces.zip"
    return buffer


@pytest.mark.worker
@needs_shared_media
def test_dfl_zip_becomes_faces_of_the_faceset(team, api_as, celery_worker_process, tmp_path):
    extractor = Extractor(ExtractOptions(device="cpu"))
    sources = []
    for photo in FACES[:2]:
        saved = extractor.run(photo, tmp_path / photo.stem).faces[0]
        frame = cv2.imread(str(photo), cv2.IMREAD_COLOR)
        landmarks = np.asarray(saved.face.landmarks68, np.float64)
        sources.append(writers.SourceFace(photo.stem, frame, landmarks))
    writers.write_dfl_faces(tmp_path / "dfl", sources)
    plain = cv2.imencode(".png", np.zeros((64, 64, 3), np.uint8))[1].tobytes()
    files = {f"aligned/{p.name}": p.read_bytes() for p in sorted((tmp_path / "dfl").iterdir())}
    upload = _zip({**files, "aligned/plain.png": plain})

    faceset = FacesetFactory(project=team.project, name="From DFL")
    url = reverse("faceset-import-faces", args=[team.project.pk, faceset.pk])
    response = api_as("curator").post(url, {"file": upload}, format="multipart")
    assert response.status_code == 201, response.json()
    job_id = response.json()["id"]
    wait_for(lambda: Job.objects.get(pk=job_id).status in ("succeeded", "failed"), 180)
    job = Job.objects.get(pk=job_id)
    assert job.status == "succeeded", job.error
    assert job.message == "2 faces imported, 1 skipped"
    assert job.result["skipped"] == {"no_metadata": 1}
    faces = list(Face.objects.filter(faceset=faceset).order_by("frame_index"))
    assert [f.frame_index for f in faces] == [1, 2] and {f.media_id for f in faces} == {None}
    for face, source in zip(faces, sources, strict=True):
        assert np.abs(np.asarray(face.landmarks68) - source.landmarks68).max() <= 0.005
        assert face.crop_size == 256 and set(face.masks) == {"components", "extended"}
        assert len(np.frombuffer(face.embedding, "<f4")) == 128
    event = CurationEvent.objects.get(faceset=faceset)
    assert sorted(event.face_ids) == sorted(f.pk for f in faces)

    # Faces without media still export as a training-set zip.
    export = api_as("curator").post(reverse("faceset-export", args=[team.project.pk, faceset.pk]))
    export_id = export.json()["id"]
    wait_for(lambda: Job.objects.get(pk=export_id).status in ("succeeded", "failed"), 120)
    assert Job.objects.get(pk=export_id).status == "succeeded", Job.objects.get(pk=export_id).error
    assert Job.objects.get(pk=export_id).result["faces"] == 2


@pytest.mark.django_db
def test_a_hostile_or_non_zip_upload_is_refused_before_any_job(team, api_as):
    faceset = FacesetFactory(project=team.project)
    url = reverse("faceset-import-faces", args=[team.project.pk, faceset.pk])
    curator = api_as("curator")
    evil = _zip({"../../etc/cron.d/x.jpg": b"x"})
    response = curator.post(url, {"file": evil}, format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unsafe_zip"
    not_zip = io.BytesIO(b"\x89PNG not a zip")
    not_zip.name = "face.png"
    response = curator.post(url, {"file": not_zip}, format="multipart")
    assert response.status_code == 400 and response.json()["error"]["code"] == "not_zip"
    assert not Job.objects.filter(kind="faceset_import").exists()
