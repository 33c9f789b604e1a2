"""Swap jobs through a real Celery worker: train, stop, resume, preview, convert."""

from __future__ import annotations

import pytest
from django.urls import reverse

from deepreview.facesets import services as faceset_services
from deepreview.jobs.models import Job
from deepreview.media.models import MediaItem
from deepreview.swaps.models import ConsentRecord, Conversion, SwapModel
from deepreview_workers.pipeline.swap.groundtruth import read_ground_truth
from deepreview_workers.pipeline.swap.writer import read_synthetic_tag
from tests.conftest import wait_for
from tests.facesets.test_extract_job import finished, upload
from tests.factories import FacesetFactory
from tests.media_paths import PD_CLIP, SHARED_MEDIA, needs_shared_media

TARGET_CLIP = SHARED_MEDIA / "real_videos" / "hdtf_WDA_KatieHill_000.mp4"  # 8 s, with audio

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(not TARGET_CLIP.exists(), reason="shared media absent"),
    needs_shared_media,
]
SMALL = {"width": 0.25, "batch_size": 4, "checkpoint_every": 10, "preview_every": 10}


def _faceset_from(team, path, name: str):  # noqa: ANN001, ANN202
    curator = team.users["curator"]
    item = upload(team.project, curator, path)
    faceset = FacesetFactory(project=team.project, name=name)
    [job] = faceset_services.faceset_extract(
        faceset=faceset, media_ids=[item.pk], options={"target_fps": 4.0}, requested_by=curator
    )
    assert finished(job.pk).status == "succeeded"
    ConsentRecord.objects.create(
        faceset=faceset,
        basis="licence",
        subject="test media",
        scope="tests",
        reference="SOURCES.md",
    )
    return item, faceset


def _job(response) -> Job:  # noqa: ANN001
    assert response.status_code == 201, response.content
    job_id = response.json()["id"]
    done = ("succeeded", "failed", "cancelled")
    # Generous: the first conversion of a video also finds the faces of every frame.
    return wait_for(
        lambda: (j := Job.objects.get(pk=job_id)).status in done and j, 600, message=f"job {job_id}"
    )


def test_train_stop_resume_preview_and_convert(team, api_as, celery_worker_process):
    target, faces_a = _faceset_from(team, TARGET_CLIP, "Katie Hill")
    _, faces_b = _faceset_from(team, PD_CLIP, "Obama")
    client = api_as("curator")
    pid = team.project.pk
    created = client.post(
        reverse("swapmodel-list", args=[pid]),
        {"name": "KH to BO", "faceset_a": faces_a.pk, "faceset_b": faces_b.pk, "options": SMALL},
        format="json",
    )
    model_id = created.json()["id"]

    def url(action: str) -> str:
        return reverse(f"swapmodel-{action}", args=[pid, model_id])

    # Train to 20: two checkpoints, two preview grids, a loss curve.
    job = _job(client.post(url("train"), {"iterations": 20}, format="json"))
    assert job.status == "succeeded", job.error + celery_worker_process.log()[-3000:]
    model = SwapModel.objects.get(pk=model_id)
    assert (model.status, model.iteration) == ("completed", 20)
    assert model.checkpoint and [p["iteration"] for p in model.previews] == [10, 20]
    assert len(model.history) >= 2 and model.loss_a > 0
    preview = client.get(
        reverse("swap-preview-file", kwargs={"model_id": model_id, "iteration": 20})
    )
    assert preview.status_code == 200

    # Stop a long run: it keeps a checkpoint; training again resumes from it.
    running = client.post(url("train"), {"iterations": 100_000}, format="json").json()
    wait_for(lambda: SwapModel.objects.get(pk=model_id).iteration >= 30, 120, message="iter 30")
    assert client.post(url("stop")).status_code == 200
    stopped = finished(running["id"])
    model.refresh_from_db()
    # The trainer notices the stop between iterations and ends cleanly (or, when the
    # progress report sees it first, as cancelled): a checkpoint either way.
    assert stopped.status in ("succeeded", "cancelled") and model.status == "stopped"
    assert model.iteration >= 30
    resumed_from = model.iteration
    job = _job(client.post(url("train"), {"iterations": resumed_from + 10}, format="json"))
    assert job.result["iterations_run"] == 10 and job.result["iteration"] == resumed_from + 10

    # Preview one frame with chosen options, then convert the whole video.
    options = {"color_transfer": "reinhard", "feather_px": 6, "smoothing_window": 3}
    job = _job(
        client.post(
            url("preview"), {"media": target.pk, "frame": 50, "options": options}, format="json"
        )
    )
    assert job.status == "succeeded", job.error
    assert job.result["manipulated"] is True
    artifact = client.get(reverse("job-artifact", kwargs={"job_id": job.pk}))
    assert artifact.status_code == 200

    job = _job(client.post(url("convert"), {"media": target.pk, "options": options}, format="json"))
    assert job.status == "succeeded", job.error
    conversion = Conversion.objects.get(pk=job.result["conversion"])
    fake = conversion.output_media
    assert fake.origin == "fake" and fake.frame_count == target.frame_count
    assert fake.has_audio and conversion.frame_count == 200
    assert conversion.manipulated_count > 190  # the face is in (nearly) every frame
    assert conversion.provenance["identity_replaced"]["name"] == "Katie Hill"
    assert conversion.provenance["identity_shown"]["consents"][0]["subject"] == "test media"
    assert read_synthetic_tag(fake.file.path) is not None
    truth = read_ground_truth(conversion.masks.path)
    assert len(truth.manipulated_frames) == conversion.manipulated_count
    # The fake is probed like any upload, so it plays on the video page.
    probe = finished(Job.objects.get(media=fake, kind="probe").pk)
    assert probe.status == "succeeded"
    # Signed before it was stored: the probe verified the C2PA manifest as this
    # installation's (tests/test_provenance.py tests the manifest itself).
    fake.refresh_from_db()
    assert fake.c2pa["state"] == "trusted" and fake.c2pa["ai_generated"], fake.c2pa
    assert fake.c2pa["details"]["model"]["name"] == "KH to BO"

    # The Katie Hill clip does not show Obama: b-to-a is refused, and says why.
    job = _job(
        client.post(url("convert"), {"media": target.pk, "direction": "b-to-a"}, format="json")
    )
    assert job.status == "failed"
    assert "does not look like “Obama”" in job.error and "a-to-b instead" in job.error
    assert MediaItem.objects.filter(origin="fake").count() == 1
