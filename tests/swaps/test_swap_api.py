"""Swap models through the API: consent first, enough faces, one training run at a time."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from deepreview.jobs.models import Job
from deepreview.swaps.models import ConsentRecord, SwapModel
from deepreview.swaps.services import SWAP_ARCHS
from tests.factories import (
    ConversionFactory,
    FaceFactory,
    FacesetFactory,
    JobFactory,
    MediaItemFactory,
    SwapModelFactory,
)


def _consent(faceset) -> ConsentRecord:  # noqa: ANN001
    return ConsentRecord.objects.create(
        faceset=faceset,
        basis="consent",
        subject="Person",
        scope="detector research",
        reference="signed form 17",
    )


def _trainable(project) -> SwapModel:  # noqa: ANN001
    model = SwapModelFactory(project=project)
    for faceset in (model.faceset_a, model.faceset_b):
        _consent(faceset)
        FaceFactory.create_batch(25, faceset=faceset)
    return model


def test_architectures_match_the_pipeline_registry():
    from deepreview_workers.pipeline.swap.models import architectures

    assert tuple(architectures.names()) == SWAP_ARCHS


def test_consent_needs_evidence_or_a_reference(team, api_as, django_capture_on_commit_callbacks):
    faceset = FacesetFactory(project=team.project)
    url = reverse("consent-list", args=[team.project.pk, faceset.pk])
    client = api_as("curator")
    bare = client.post(
        url, {"basis": "consent", "subject": "Ann", "scope": "research"}, format="json"
    )
    assert bare.status_code == 400 and "reference" in bare.json()["error"]["fields"]
    form = SimpleUploadedFile("consent-ann.pdf", b"%PDF signed", content_type="application/pdf")
    made = client.post(
        url,
        {"basis": "consent", "subject": "Ann", "scope": "research only", "evidence": form},
        format="multipart",
    )
    assert made.status_code == 201, made.content
    record = made.json()
    assert record["recorded_by"] == team.users["curator"].username
    evidence = client.get(record["evidence_url"])
    assert evidence.status_code == 200 and b"".join(evidence.streaming_content) == b"%PDF signed"
    assert api_as("viewer").get(record["evidence_url"]).status_code == 403
    listed = api_as("viewer").get(url).json()
    assert [r["subject"] for r in listed["results"]] == ["Ann"]

    stored = ConsentRecord.objects.get(pk=record["id"]).evidence.name
    detail = reverse("consent-detail", args=[team.project.pk, faceset.pk, record["id"]])
    with django_capture_on_commit_callbacks(execute=True):
        assert api_as("owner").delete(detail).status_code == 204
    assert not ConsentRecord.objects.filter(pk=record["id"]).exists()
    assert not default_storage.exists(stored)  # the evidence went with its record


def test_training_is_refused_without_consent_or_enough_faces(team, api_as):
    model = SwapModelFactory(project=team.project)
    url = reverse("swapmodel-train", args=[team.project.pk, model.pk])
    client = api_as("curator")
    refused = client.post(url, {"iterations": 100}, format="json")
    assert refused.status_code == 400
    assert "no consent or licence record" in refused.json()["error"]["message"]
    _consent(model.faceset_a)
    _consent(model.faceset_b)
    FaceFactory.create_batch(3, faceset=model.faceset_a)
    tiny = client.post(url, {"iterations": 100}, format="json").json()["error"]["message"]
    assert "has 3 face(s); training needs at least 25" in tiny
    assert not Job.objects.filter(kind="swap_train").exists()


def test_train_then_a_second_run_conflicts_and_stop_cancels(team, api_as):
    model = _trainable(team.project)
    client = api_as("curator")
    url = reverse("swapmodel-train", args=[team.project.pk, model.pk])
    started = client.post(url, {"iterations": 200}, format="json")
    assert started.status_code == 201 and started.json()["queue"] == "gpu"
    model.refresh_from_db()
    assert model.status == "training" and model.target_iterations == 200
    again = client.post(url, {"iterations": 300}, format="json")
    assert again.status_code == 409
    stop = client.post(reverse("swapmodel-stop", args=[team.project.pk, model.pk]))
    assert stop.status_code == 200 and stop.json()["cancel_requested"] is True
    assert client.post(reverse("swapmodel-stop", args=[team.project.pk, model.pk])).status_code in (
        200,
        409,
    )


def test_model_creation_validates_facesets_arch_and_options(team, api_as):
    a, b = FacesetFactory(project=team.project), FacesetFactory(project=team.project)
    foreign = FacesetFactory()
    url = reverse("swapmodel-list", args=[team.project.pk])
    client = api_as("curator")
    ok = client.post(
        url,
        {"name": "A↔B", "faceset_a": a.pk, "faceset_b": b.pk, "options": {"batch_size": 8}},
        format="json",
    )
    assert ok.status_code == 201 and ok.json()["status"] == "new"
    cases = [
        ({"faceset_b": foreign.pk}, "faceset_b"),
        ({"faceset_b": a.pk}, "faceset_b"),
        ({"arch": "gan"}, "arch"),
        ({"options": {"batch_size": 0}}, "batch_size"),
        ({"options": {"warp": True}}, "warp"),
    ]
    for change, field in cases:
        body = {"name": f"bad {field}", "faceset_a": a.pk, "faceset_b": b.pk, **change}
        answer = client.post(url, body, format="json")
        assert answer.status_code == 400, (change, answer.content)
        assert field in answer.json()["error"]["fields"]
    duplicate = client.post(
        url, {"name": "A↔B", "faceset_a": a.pk, "faceset_b": b.pk}, format="json"
    )
    assert duplicate.status_code == 409


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("untrained", "no checkpoint yet"),
        ("photo", "needs a video"),
        ("processing", "still being processed"),
    ],
)
def test_conversion_refusals_say_why(team, api_as, setup, message):
    model = SwapModelFactory(project=team.project, checkpoint="" if setup == "untrained" else "c")
    media = MediaItemFactory(
        project=team.project,
        kind="image" if setup == "photo" else "video",
        status="processing" if setup == "processing" else "ready",
    )
    url = reverse("swapmodel-convert", args=[team.project.pk, model.pk])
    answer = api_as("curator").post(url, {"media": media.pk}, format="json")
    assert answer.status_code == 400 and message in answer.json()["error"]["message"]
    other = MediaItemFactory()  # another project's video does not exist here
    assert api_as("curator").post(url, {"media": other.pk}, format="json").status_code == 404


def test_conversion_ground_truth_masks_per_frame(team, api_as):
    conversion = ConversionFactory(project=team.project)
    client = api_as("viewer")
    listed = client.get(
        reverse("conversion-list", args=[team.project.pk]),
        {"output_media": conversion.output_media_id},
    ).json()
    assert [c["id"] for c in listed["results"]] == [conversion.pk]

    def mask_of(frame: int):  # noqa: ANN202
        url = reverse(
            "conversion-mask-frame", kwargs={"conversion_id": conversion.pk, "frame": frame}
        )
        return client.get(url)

    mask = mask_of(1)
    assert mask.status_code == 200 and mask["Content-Type"] == "image/png"
    assert mask_of(0).status_code == 404  # frame 0 was not manipulated


def test_deleting_a_model_cancels_its_jobs_and_keeps_its_fakes(team, api_as):
    model = SwapModelFactory(project=team.project)
    job = JobFactory(project=team.project, kind="swap_train", params={"model_id": model.pk})
    conversion = ConversionFactory(project=team.project, swap_model=model)
    url = reverse("swapmodel-detail", args=[team.project.pk, model.pk])
    assert api_as("curator").delete(url).status_code == 403
    assert api_as("owner").delete(url).status_code == 204
    job.refresh_from_db()
    conversion.refresh_from_db()
    assert job.cancel_requested or job.status == "cancelled"
    assert conversion.swap_model is None
