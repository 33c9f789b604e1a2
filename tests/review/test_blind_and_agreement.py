"""Blind review over every endpoint that shows reviews or ground truth; agreement
figures against hand-computed values; query counts that do not grow with marks."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from deepreview.review.models import Comment, Consensus, GoldVideo, Mark, Verdict
from tests.conftest import client_for
from tests.factories import (
    ConversionFactory,
    DetectorFactory,
    JobFactory,
    MediaItemFactory,
    MembershipFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def blind(team):
    """A blind project with a fake (made here) that another reviewer has reviewed."""
    project = team.project
    project.blind_review = True
    project.save()
    conversion = ConversionFactory(project=project)
    fake = conversion.output_media
    fake.frame_count = 100
    fake.save()
    other = MembershipFactory(project=project, role="reviewer").user
    Verdict.objects.create(
        project=project, media=fake, reviewer=other, label="fake", confidence=0.9, rationale="seam"
    )
    Mark.objects.create(
        project=project, media=fake, kind="edge-seam", start_frame=3, end_frame=9, created_by=other
    )
    Comment.objects.create(project=project, media=fake, frame=5, author=other, body="look")
    Consensus.objects.create(project=project, media=fake, label="fake", decided_by=other)
    JobFactory(project=project, kind="swap_convert", media=fake)
    return {"fake": fake, "conversion": conversion, "other": other}


def _what_reviewer_sees(team, blind) -> dict:
    pid, fake = team.project.pk, blind["fake"]
    api = client_for(team.users["reviewer"])
    timeline = api.get(reverse("review-timeline", args=[pid, fake.pk])).json()
    summary = api.get(reverse("review-detail", args=[pid, fake.pk])).json()
    queue = api.get(reverse("review-list", args=[pid])).json()["results"]
    row = next(r for r in queue if r["id"] == fake.pk)
    media = api.get(reverse("media-detail", args=[pid, fake.pk])).json()
    fakes = api.get(reverse("media-list", args=[pid]), {"origin": "fake"}).json()
    conversion = blind["conversion"]
    jobs = api.get(reverse("job-list", args=[pid])).json()["results"]
    other_mark = Mark.objects.get(created_by=blind["other"])
    return {
        "marks": api.get(reverse("mark-list", args=[pid]), {"media": fake.pk}).json(),
        "other_mark": api.get(reverse("mark-detail", args=[pid, other_mark.pk])).status_code,
        "verdicts": api.get(reverse("verdict-list", args=[pid]), {"media": fake.pk}).json(),
        "comments": api.get(reverse("comment-list", args=[pid]), {"media": fake.pk}).json(),
        "summary_verdicts": summary["verdicts"],
        "summary_consensus": summary["consensus"],
        "summary_agreement": summary["agreement"],
        "timeline_marks": timeline["marks"],
        "timeline_truth": timeline["ground_truth"],
        "timeline_origin": timeline["media"]["origin"],
        "queue_origin": row["origin"],
        "queue_labels": row["labels"],
        "queue_consensus": row["consensus"],
        "agreement_videos": api.get(reverse("review-agreement", args=[pid])).json()["videos"],
        "media_origin": media["origin"],
        "origin_filter": [m["id"] for m in fakes["results"]],
        "conversions": api.get(reverse("conversion-list", args=[pid])).json()["count"],
        "conversion_detail": api.get(
            reverse("conversion-detail", args=[pid, conversion.pk])
        ).status_code,
        "masks": api.get(reverse("conversion-masks", args=[conversion.pk])).status_code,
        "mask_frame": api.get(
            reverse("conversion-mask-frame", args=[conversion.pk, 1])
        ).status_code,
        "convert_jobs": [j for j in jobs if j["kind"] == "swap_convert"],
    }


HIDDEN = {
    "marks": [],
    "other_mark": 404,
    "verdicts": [],
    "comments": [],
    "summary_verdicts": [],
    "summary_consensus": None,
    "summary_agreement": None,
    "timeline_marks": [],
    "timeline_truth": None,
    "timeline_origin": None,
    "queue_origin": None,
    "queue_labels": {},
    "queue_consensus": None,
    "agreement_videos": 0,
    "media_origin": None,
    "origin_filter": [],
    "conversions": 0,
    "conversion_detail": 404,
    "masks": 404,
    "mask_frame": 404,
    "convert_jobs": [],
}


def test_blind_review_hides_reviews_and_ground_truth_on_every_endpoint(team, blind):
    seen = _what_reviewer_sees(team, blind)
    leaks = {key: seen[key] for key in HIDDEN if seen[key] != HIDDEN[key]}
    assert not leaks, f"blind review leaks: {leaks}"


def test_blind_review_reveals_everything_once_the_reviewer_submits(team, blind):
    pid, fake = team.project.pk, blind["fake"]
    api = client_for(team.users["reviewer"])
    body = {"media": fake.pk, "label": "real", "confidence": 0.6}
    response = api.post(reverse("verdict-list", args=[pid]), body, format="json")
    assert response.status_code == 201
    seen = _what_reviewer_sees(team, blind)
    shown = {key for key in HIDDEN if seen[key] != HIDDEN[key]}
    # Everything is visible now; convert jobs stay out of a blind reviewer's job list.
    assert shown == set(HIDDEN) - {"convert_jobs"}, set(HIDDEN) - shown
    assert len(seen["verdicts"]) == 2 and seen["timeline_truth"]["manipulated_ranges"]
    assert seen["summary_consensus"]["label"] == "fake"


def test_blind_review_binds_reviewers_only(team, blind):
    pid, fake = team.project.pk, blind["fake"]
    for role in ("viewer", "curator", "owner"):
        api = client_for(team.users[role])
        marks = api.get(reverse("mark-list", args=[pid]), {"media": fake.pk}).json()
        timeline = api.get(reverse("review-timeline", args=[pid, fake.pk])).json()
        assert len(marks) == 1 and timeline["ground_truth"] is not None, role


def test_blind_reviewers_cannot_run_evaluations(team, blind):
    detector = DetectorFactory(project=team.project)
    api = client_for(team.users["reviewer"])
    evaluation = api.get(reverse("detector-evaluation", args=[team.project.pk, detector.pk]))
    caught = api.get(reverse("detector-caught", args=[team.project.pk]))
    assert evaluation.status_code == caught.status_code == 403
    assert evaluation.json()["error"]["code"] == "blind_review"


def test_the_video_page_hides_the_origin_from_a_blind_reviewer(team, blind):
    client = Client()
    client.force_login(team.users["reviewer"])
    url = reverse("media-detail-page", args=[team.project.pk, blind["fake"].pk])
    html = client.get(url).content.decode()
    assert "badge-fake" not in html and 'id="ground-truth"' not in html
    client.force_login(team.users["curator"])
    assert "badge-fake" in client.get(url).content.decode()


def test_gold_videos_stay_secret_from_reviewers(team):
    video = MediaItemFactory(project=team.project, origin="fake")
    url = reverse("review-gold", args=[team.project.pk, video.pk])
    assert client_for(team.users["curator"]).post(url, {}, format="json").status_code == 403
    response = client_for(team.users["owner"]).post(url, {}, format="json")
    assert response.status_code == 200 and response.json()["label"] == "fake"
    for role, expected in (("reviewer", None), ("curator", "fake")):
        api = client_for(team.users[role])
        row = next(
            r
            for r in api.get(reverse("review-list", args=[team.project.pk])).json()["results"]
            if r["id"] == video.pk
        )
        assert row["gold"] == expected, role
        summary = api.get(reverse("review-detail", args=[team.project.pk, video.pk])).json()
        assert (summary["gold"] or {}).get("label") == expected, role
    unknown = MediaItemFactory(project=team.project, origin="unknown")
    refused = client_for(team.users["owner"]).post(
        reverse("review-gold", args=[team.project.pk, unknown.pk]), {}, format="json"
    )
    assert refused.status_code == 400 and "label" in refused.json()["error"]["fields"]


# -- agreement, hand-computed --------------------------------------------------------------


@pytest.fixture
def reviewed(team):
    """Reviewers A, B (all four videos) and C (video 3 only); gold on videos 1 and 3.

    video 1: A fake, B fake; edge-seam marks A [0, 9], B [5, 14] (IoU 5/15)
    video 2: A real, B real
    video 3: A fake, B real, C fake
    video 4: A real, B real
    """
    project = team.project
    reviewers = [MembershipFactory(project=project, role="reviewer").user for _ in range(3)]
    a, b, c = reviewers
    videos = [MediaItemFactory(project=project, frame_count=100) for _ in range(4)]
    labels = {
        0: {a: "fake", b: "fake"},
        1: {a: "real", b: "real"},
        2: {a: "fake", b: "real", c: "fake"},
        3: {a: "real", b: "real"},
    }
    for index, by_reviewer in labels.items():
        for user, label in by_reviewer.items():
            Verdict.objects.create(
                project=project, media=videos[index], reviewer=user, label=label, confidence=0.8
            )
    Mark.objects.create(
        project=project, media=videos[0], kind="edge-seam", start_frame=0, end_frame=9, created_by=a
    )
    Mark.objects.create(
        project=project,
        media=videos[0],
        kind="edge-seam",
        start_frame=5,
        end_frame=14,
        created_by=b,
    )
    GoldVideo.objects.create(project=project, media=videos[0], label="fake")
    GoldVideo.objects.create(project=project, media=videos[2], label="fake")
    return {"reviewers": reviewers, "videos": videos}


def test_project_agreement_equals_the_hand_computed_figures(team, reviewed):
    # Coincidences: o_ff = 2 + 1, o_rr = 2 + 2, o_fr = o_rf = 1 (video 3 pairs weigh 1/2);
    # n_f = 4, n_r = 5, n = 9; D_o = 2/9, D_e = 2*4*5/(9*8) = 5/9; alpha = 1 - 2/5 = 0.6.
    data = (
        client_for(team.users["curator"])
        .get(reverse("review-agreement", args=[team.project.pk]))
        .json()
    )
    assert data["krippendorff_alpha"] == pytest.approx(0.6)
    assert data["videos_with_two_or_more"] == 4 and data["verdicts"] == 9
    assert data["mark_overlap"] == [
        {
            "kind": "edge-seam",
            "label": "Edge seam",
            "videos": 1,
            "mean_iou": pytest.approx(1 / 3, abs=1e-4),
        }
    ]
    a, b, c = reviewed["reviewers"]
    videos = reviewed["videos"]
    disagreements = {d["media"]: d for d in data["disagreements"]}
    assert set(disagreements) == {videos[0].pk, videos[2].pk}
    assert disagreements[videos[2].pk]["pairwise_agreement"] == pytest.approx(1 / 3)
    assert disagreements[videos[0].pk]["low_overlap_kinds"] == ["edge-seam"]
    accuracy = {r["username"]: r["gold"] for r in data["reviewers"]}
    assert accuracy[a.username] == {"answered": 2, "correct": 2, "uncertain": 0, "accuracy": 1.0}
    assert accuracy[b.username]["accuracy"] == 0.5
    assert accuracy[c.username]["accuracy"] == 1.0
    # Reviewers see agreement but never the gold results.
    mine = (
        client_for(team.users["reviewer"])
        .get(reverse("review-agreement", args=[team.project.pk]))
        .json()
    )
    assert all("gold" not in r for r in mine["reviewers"]) and mine["gold_videos"] is None


def test_video_agreement(team, reviewed):
    video = reviewed["videos"][2]
    data = (
        client_for(team.users["viewer"])
        .get(reverse("review-detail", args=[team.project.pk, video.pk]))
        .json()
    )
    assert data["agreement"]["labels"] == {"fake": 2, "real": 1}
    assert data["agreement"]["pairwise_agreement"] == pytest.approx(1 / 3)
    assert data["state"] == "undecided" and data["agreement"]["disagreement"]


# -- queries do not grow with marks or frames --------------------------------------------------


def _queries(client, method: str, url: str, body: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = (
            getattr(client, method)(url, body, format="json")
            if body
            else getattr(client, method)(url)
        )
    assert response.status_code in (200, 201), response.content
    return len(captured.captured_queries)


def test_timeline_and_mark_save_queries_do_not_grow(team):
    api = client_for(team.users["reviewer"])
    counts = {}
    for marks, frames in ((2, 300), (60, 18_000)):
        video = MediaItemFactory(project=team.project, frame_count=frames, fps=30.0)
        Mark.objects.bulk_create(
            Mark(
                project=team.project,
                media=video,
                kind="flicker",
                start_frame=i,
                end_frame=i + 5,
                created_by=team.users["reviewer"],
            )
            for i in range(marks)
        )
        timeline = _queries(
            api, "get", reverse("review-timeline", args=[team.project.pk, video.pk])
        )
        save = _queries(
            api,
            "post",
            reverse("mark-list", args=[team.project.pk]),
            {"media": video.pk, "kind": "flicker", "start_frame": 1, "end_frame": 2},
        )
        counts[marks] = (timeline, save)
    assert counts[2] == counts[60], counts
