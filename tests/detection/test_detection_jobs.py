"""Detection jobs through a real Celery worker: train on labeled videos, score, evaluate."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from deepreview.detection.models import DetectionRun, Detector
from deepreview.jobs.models import Job
from deepreview.media.models import MediaItem
from tests.conftest import wait_for
from tests.facesets.test_extract_job import no_face_clip, upload
from tests.media_paths import PD_CLIP, SHARED_MEDIA

REAL = [
    PD_CLIP,
    SHARED_MEDIA / "real_videos" / "hdtf_WDA_KatieHill_000.mp4",
    SHARED_MEDIA / "real_videos" / "face_recognition_short_hamilton_clip.mp4",
]
# Plumbing only, so any faces do: real clips of other people stand in for fakes, since
# the evaluation set (eval_external, fake_videos, fake_images) is never trained on.
FAKE = [
    SHARED_MEDIA / "train_real" / "videos" / name
    for name in ("edtalk_mouth_source.mp4", "dpe_s.mp4", "smirk_dafoe.mp4")
]

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(not all(p.exists() for p in REAL + FAKE), reason="shared media absent"),
]


def done(job_id: int, timeout: float = 600) -> Job:
    states = ("succeeded", "failed", "cancelled")
    return wait_for(
        lambda: (j := Job.objects.get(pk=job_id)).status in states and j,
        timeout,
        message=f"job {job_id}",
    )


def _labeled(team, paths, origin: str) -> list[MediaItem]:  # noqa: ANN001
    items = []
    for path in paths:
        item = upload(team.project, team.users["curator"], path)
        item.origin = origin
        item.save(update_fields=["origin"])
        items.append(item)
    return items


def test_train_detect_and_evaluate(team, api_as, celery_worker_process, tmp_path):
    videos = _labeled(team, REAL, "real") + _labeled(team, FAKE, "fake")
    for item in videos:
        assert done(Job.objects.get(media=item, kind="probe").pk).status == "succeeded"
    client = api_as("curator")
    pid = team.project.pk
    created = client.post(
        reverse("detector-list", args=[pid]),
        {
            "name": "Meso quick",
            "arch": "meso4",
            "options": {"epochs": 2, "batch_size": 8, "frames_per_video": 6, "val_fraction": 0.34},
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    detector_id = created.json()["id"]
    train = client.post(reverse("detector-train", args=[pid, detector_id]))
    job = done(train.json()["id"])
    assert job.status == "succeeded", job.error + celery_worker_process.log()[-3000:]
    detector = Detector.objects.get(pk=detector_id)
    assert detector.status == "ready" and detector.checkpoint and len(detector.history) == 2
    split = detector.training_set["split"]
    assert split, detector.training_set  # identity-disjoint split summary is kept

    runs = client.post(
        reverse("detection-list", args=[pid]),
        {"media": [v.pk for v in videos], "detector": detector_id, "options": {"frames": 8}},
        format="json",
    )
    assert runs.status_code == 201
    for job in runs.json():
        finished = done(job["id"])
        assert finished.status == "succeeded", finished.error
    scored = DetectionRun.objects.filter(detector=detector)
    assert scored.count() == 6 and all(r.score_confident is not None for r in scored)
    result = client.get(reverse("detection-result", kwargs={"run_id": scored[0].pk}))
    assert result.status_code == 200
    # The training's calibration travels to every run: a probability and what its
    # threshold flags (two epochs may rank the wrong way round: then uncalibrated).
    assert {"calibration", "threshold_fpr", "log_loss_uncalibrated"} <= set(detector.best)
    score = json.loads(b"".join(result.streaming_content))["score"]
    assert score["calibrated"] == (detector.best["calibration"] is not None)
    assert score["threshold_fpr"] == detector.best["threshold_fpr"]
    evaluation = api_as("viewer").get(reverse("detector-evaluation", args=[pid, detector_id]))
    metrics = evaluation.json()["metrics"]
    assert metrics["count"] == 6 and 0.0 <= metrics["auc"] <= 1.0

    # A video with nobody in it: "no faces", never a score.
    empty = upload(team.project, team.users["curator"], no_face_clip(tmp_path / "nobody.mp4"))
    done(Job.objects.get(media=empty, kind="probe").pk)
    [job] = client.post(
        reverse("detection-list", args=[pid]), {"media": [empty.pk]}, format="json"
    ).json()
    finished = done(job["id"])
    assert finished.status == "succeeded" and "face" in finished.message.lower()
    run = DetectionRun.objects.get(media=empty)
    assert run.status == "no_faces" and run.score_confident is None


def test_a_project_of_real_videos_alone_trains_on_their_self_blends(
    team, api_as, celery_worker_process
):
    videos = _labeled(team, REAL, "real")
    for item in videos:
        assert done(Job.objects.get(media=item, kind="probe").pk).status == "succeeded"
    client = api_as("curator")
    pid = team.project.pk
    options = {"epochs": 1, "batch_size": 8, "frames_per_video": 6, "val_fraction": 0.34}
    created = client.post(
        reverse("detector-list", args=[pid]),
        {"name": "Reals only", "arch": "meso4", "options": options},
        format="json",
    )
    detector_id = created.json()["id"]
    job = done(client.post(reverse("detector-train", args=[pid, detector_id])).json()["id"])
    assert job.status == "succeeded", job.error + celery_worker_process.log()[-3000:]
    detector = Detector.objects.get(pk=detector_id)
    dataset = detector.training_set["dataset"]
    assert dataset["self_blend_sources"] > 0 and dataset["validation_self_blends"] > 0
    assert detector.best["val"]["auc"] is not None and detector.best["threshold_fpr"] is not None


def test_unlabeled_project_gets_the_built_in_detector(team, api_as, celery_worker_process):
    item = upload(team.project, team.users["curator"], PD_CLIP)  # origin unknown: no labels
    assert done(Job.objects.get(media=item, kind="probe").pk).status == "succeeded"
    client = api_as("curator")
    pid = team.project.pk
    [builtin] = client.post(
        reverse("detection-list", args=[pid]),
        {"media": [item.pk], "options": {"frames": 6}},
        format="json",
    ).json()
    [signals] = client.post(
        reverse("detection-list", args=[pid]),
        {"media": [item.pk], "signals_only": True, "options": {"frames": 6}},
        format="json",
    ).json()
    for job in (builtin, signals):
        finished = done(job["id"])
        log = celery_worker_process.log()[-2000:]
        assert finished.status == "succeeded", finished.error + log
    scored = DetectionRun.objects.get(job_id=builtin["id"])
    assert scored.detector is None and scored.detector_name == "Built-in detector"
    assert 0.0 <= scored.score_confident <= 1.0 and scored.label in ("real", "fake")
    series = scored.series
    assert series["calibrated"] and series["maps"] and series["map_summary"]["text"]
    assert series["signal_reference"]["fusion_probability"] is not None
    plain = DetectionRun.objects.get(job_id=signals["id"])
    assert plain.detector_name == "" and not plain.series["maps"]
    assert plain.series["signal_reference"]["fusion_probability"] == plain.score_confident
    both = client.post(
        reverse("detection-list", args=[pid]),
        {"media": [item.pk], "signals_only": True, "detector": 1},
        format="json",
    )
    assert both.status_code == 400
