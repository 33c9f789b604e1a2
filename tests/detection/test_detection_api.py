"""Detectors and detection runs through the API: refusals, evaluation, what gets caught."""

from __future__ import annotations

import pytest
from django.urls import reverse

from deepreview.detection.services import DETECTOR_ARCHS
from tests.factories import (
    ConversionFactory,
    DetectionRunFactory,
    DetectorFactory,
    MediaItemFactory,
)


def test_architectures_match_the_pipeline_registry():
    from deepreview_workers.pipeline.detection.models import detector_models

    assert tuple(detector_models.names()) == DETECTOR_ARCHS


def test_training_needs_real_videos_and_fakes_unless_it_self_blends(team, api_as):
    client = api_as("curator")
    without_blends = DetectorFactory(project=team.project, options={"self_blend": 0.0})
    MediaItemFactory(project=team.project, origin="real")
    url = reverse("detector-train", args=[team.project.pk, without_blends.pk])
    refused = client.post(url)
    assert refused.status_code == 400
    message = refused.json()["error"]["message"]
    assert "1 real and 0 fake" in message and "1 more real video(s) and 2 more fake" in message
    assert "fakes are optional when 'Self-blended fakes' is above 0" in message

    # By default a detector makes its fakes from the reals: two real videos will do.
    blending = DetectorFactory(project=team.project)
    url = reverse("detector-train", args=[team.project.pk, blending.pk])
    message = client.post(url).json()["error"]["message"]
    assert "Add 1 more real video(s) (" in message and "more fake" not in message
    MediaItemFactory(project=team.project, origin="real")
    queued = client.post(url)
    assert queued.status_code == 201, queued.content
    assert (
        client.post(
            reverse("detector-train", args=[team.project.pk, without_blends.pk])
        ).status_code
        == 400
    )


def test_detect_refuses_untrained_detectors_photos_and_other_projects(team, api_as):
    url = reverse("detection-list", args=[team.project.pk])
    client = api_as("curator")
    video = MediaItemFactory(project=team.project)
    untrained = DetectorFactory(project=team.project)
    answer = client.post(url, {"media": [video.pk], "detector": untrained.pk}, format="json")
    assert answer.status_code == 400 and "not trained yet" in answer.json()["error"]["message"]
    photo = MediaItemFactory(project=team.project, kind="image")
    answer = client.post(url, {"media": [photo.pk]}, format="json")
    assert answer.status_code == 400 and "not a ready video" in answer.json()["error"]["message"]
    foreign = MediaItemFactory()
    assert client.post(url, {"media": [foreign.pk]}, format="json").status_code == 404
    bad = client.post(url, {"media": [video.pk], "options": {"frames": 0}}, format="json")
    assert bad.status_code == 400 and "frames" in bad.json()["error"]["fields"]
    jobs = client.post(url, {"media": [video.pk]}, format="json")
    assert jobs.status_code == 201 and jobs.json()[0]["queue"] == "gpu"


def test_evaluation_matches_hand_computed_figures(team, api_as):
    detector = DetectorFactory(project=team.project, threshold=0.5, checkpoint="d.pt")
    # fakes 0.9, 0.6, 0.4; reals 0.2, 0.5: 5 of the 6 fake-real pairs are ordered right
    for origin, score in [
        ("fake", 0.9),
        ("fake", 0.6),
        ("fake", 0.4),
        ("real", 0.2),
        ("real", 0.5),
    ]:
        video = MediaItemFactory(project=team.project, origin=origin)
        label = "fake" if score >= 0.5 else "real"
        DetectionRunFactory(
            project=team.project, media=video, detector=detector, score_confident=score, label=label
        )
    unscored = MediaItemFactory(project=team.project, origin="real")
    DetectionRunFactory(project=team.project, media=unscored, detector=detector, status="no_faces")
    url = reverse("detector-evaluation", args=[team.project.pk, detector.pk])
    answer = api_as("viewer").get(url).json()
    assert answer["metrics"]["auc"] == pytest.approx(5 / 6)
    confusion = answer["metrics"]["confusion"]
    assert (confusion["tp"], confusion["fn"], confusion["fp"], confusion["tn"]) == (2, 1, 1, 1)
    assert answer["no_faces"] == [unscored.pk] and len(answer["videos"]) == 5
    assert answer["roc"]["fpr"][0] == 0 and answer["roc"]["tpr"][-1] == 1
    stricter = api_as("viewer").get(url, {"threshold": 0.95}).json()
    assert stricter["metrics"]["confusion"]["tp"] == 0


def test_what_gets_caught_groups_fakes_by_how_they_were_made(team, api_as):
    detector = DetectorFactory(project=team.project, name="Meso", checkpoint="d.pt")
    signals = {
        "edge_seam": {
            "higher_is_suspicious": True,
            "summary": {"p90": 3.0},
            "scale": {"centre": 1.0, "spread": 0.5},
        }
    }
    for clone, label in [(False, "fake"), (False, "fake"), (True, "real")]:
        conversion = ConversionFactory(
            project=team.project,
            options={
                "mask": "extended",
                "feather_px": 8,
                "color_transfer": "reinhard",
                "seamless_clone": clone,
            },
            provenance={"model": {"arch": "original"}},
        )
        DetectionRunFactory(
            project=team.project,
            media=conversion.output_media,
            detector=detector,
            label=label,
            score_confident=0.5,
            signals=signals if not clone else {},
        )
    answer = api_as("viewer").get(reverse("detector-caught", args=[team.project.pk])).json()
    by_clone = {row["settings"]["seamless_clone"]: row for row in answer["rows"]}
    assert by_clone[False]["detectors"]["Meso"] == {"caught": 2, "of": 2, "rate": 1.0}
    assert by_clone[True]["detectors"]["Meso"] == {"caught": 0, "of": 1, "rate": 0.0}
    assert by_clone[False]["signals"]["edge_seam"]["rate"] == 1.0  # z = (3 - 1) / 0.5 = 4
