"""The export job through a real Celery worker, and detector training from an export."""

from __future__ import annotations

import zipfile

import pytest
from django.urls import reverse

from deepreview.detection import services as detection_services
from deepreview.detection.models import DetectorStatus
from deepreview.exports.models import DatasetExport
from deepreview.jobs.models import Job
from deepreview_workers.tasks.base import run_job
from tests.conftest import client_for, wait_for
from tests.factories import DetectorFactory

OPTIONS = {"frames_per_video": 3, "crop_size": 96, "ratios": [1, 0, 0]}


@pytest.mark.worker
def test_export_job_builds_a_downloadable_zip(team, source_project, celery_worker_process):
    api = client_for(team.users["curator"])
    response = api.post(
        reverse("export-list", args=[team.project.pk]),
        {"name": "Release 1", "selection": {"label_source": "ground_truth"}, "options": OPTIONS},
        format="json",
    )
    assert response.status_code == 201, response.content
    export_id = response.json()["id"]
    job = wait_for(
        lambda: Job.objects.filter(
            pk=response.json()["job"], status__in=["succeeded", "failed"]
        ).first(),
        timeout=180,
        message="the export job",
    )
    assert job.status == "succeeded", f"{job.error}\n{celery_worker_process.log()[-3000:]}"
    detail = api.get(reverse("export-detail", args=[team.project.pk, export_id])).json()
    assert detail["status"] == "succeeded" and len(detail["manifest_sha256"]) == 64
    assert detail["summary"]["faces"] == 6 and "## " in detail["datasheet"]
    download = api.get(detail["download_url"])
    assert download.status_code == 200
    content = b"".join(download.streaming_content)
    download.close()
    import io

    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert "manifest.sha256" in archive.namelist()


@pytest.mark.django_db(transaction=True)
def test_a_detector_trains_from_an_export_or_says_why_not(team, source_project, tmp_path):
    from tests.exports.test_export_roundtrip import _build

    export, _summary = _build(source_project, team.users["curator"], tmp_path, "e.zip")
    detector = DetectorFactory(project=source_project, options={"epochs": 1, "batch_size": 4})
    with pytest.raises(Exception, match="No built export"):
        detection_services.detector_train_request(
            detector=detector, requested_by=None, export_id=export.pk + 100
        )
    job = detection_services.detector_train_request(
        detector=detector, requested_by=team.users["curator"], export_id=export.pk
    )
    assert job.params["export_id"] == export.pk
    run_job.run(job.pk)
    job.refresh_from_db()
    detector.refresh_from_db()
    # One identity group holds every video, so the export has no validation faces:
    # training says so instead of validating on the people it trained on.
    assert job.status == "failed" and "validation" in job.error.lower(), job.error
    assert detector.status == DetectorStatus.FAILED
    assert DatasetExport.objects.filter(pk=export.pk).exists()
