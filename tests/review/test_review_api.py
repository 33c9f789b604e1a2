"""Review API: marks, verdicts, conflicts, roles, assignments, comments, taxonomy."""

from __future__ import annotations

import pytest
from django.urls import reverse

from deepreview.review.models import Mark, Verdict
from tests.factories import MediaItemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def video(team):
    return MediaItemFactory(project=team.project, frame_count=300, fps=30.0)


def marks_url(team) -> str:
    return reverse("mark-list", args=[team.project.pk])


def mark_body(video, **overrides) -> dict:
    body = {
        "media": video.pk,
        "kind": "edge-seam",
        "start_frame": 10,
        "end_frame": 40,
        "region": [0.25, 0.1, 0.75, 0.6],
        "note": "seam along the jaw",
    }
    return {**body, **overrides}


# -- marks: validation ---------------------------------------------------------------


def test_reviewer_creates_a_mark_and_finds_it(team, api_as, video):
    response = api_as("reviewer").post(marks_url(team), mark_body(video), format="json")
    assert response.status_code == 201, response.content
    mark = response.json()
    assert mark["version"] == 1 and mark["created_by"] == team.users["reviewer"].username
    assert response["ETag"] == '"1"'
    listed = api_as("viewer").get(marks_url(team), {"media": video.pk}).json()
    assert [m["id"] for m in listed] == [mark["id"]]
    assert listed[0]["region"] == [0.25, 0.1, 0.75, 0.6]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"start_frame": 50, "end_frame": 40}, "end_frame"),
        ({"end_frame": 300}, "end_frame"),
        ({"start_frame": -1}, "start_frame"),
        ({"kind": "no-such-kind"}, "kind"),
        ({"region": [0.5, 0.1, 0.4, 0.6]}, "region"),
        ({"region": [0.1, 0.1, 1.2, 0.6]}, "region"),
        ({"region": [-0.1, 0.1, 0.2, 0.6]}, "region"),
        ({"region": [0.1, 0.2, 0.3]}, "region"),
    ],
)
def test_bad_marks_are_refused_with_the_field_named(team, api_as, video, overrides, field):
    response = api_as("reviewer").post(
        marks_url(team), mark_body(video, **overrides), format="json"
    )
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert field in error["fields"], error
    assert error["message"]
    assert not Mark.objects.exists()


def test_a_mark_on_a_video_of_another_project_is_404(team, api_as):
    elsewhere = MediaItemFactory()  # another project
    response = api_as("reviewer").post(marks_url(team), mark_body(elsewhere), format="json")
    assert response.status_code == 404


def test_project_kinds_extend_the_taxonomy(team, api_as, video):
    url = reverse("artifactkind-list", args=[team.project.pk])
    kinds = api_as("viewer").get(url).json()
    assert kinds[0]["slug"] == "face-blur" and kinds[0]["built_in"]
    assert len(kinds) == 20
    created = api_as("curator").post(
        url, {"slug": "watermark", "label": "Watermark removed", "color": "#123456"}, format="json"
    )
    assert created.status_code == 201, created.content
    assert (
        api_as("curator").post(url, {"slug": "edge-seam", "label": "x"}, format="json").status_code
        == 409
    )
    response = api_as("reviewer").post(
        marks_url(team), mark_body(video, kind="watermark"), format="json"
    )
    assert response.status_code == 201
    detail = reverse("artifactkind-detail", args=[team.project.pk, created.json()["id"]])
    in_use = api_as("curator").delete(detail)
    assert in_use.status_code == 409 and "mark" in in_use.json()["error"]["message"]


def test_the_taxonomy_fixture_names_every_kind_the_signals_measure():
    from deepreview.review.taxonomy import builtin_slugs
    from deepreview_workers.pipeline.detection.taxonomy import ARTIFACT_KIND_SLUGS

    assert builtin_slugs() == ARTIFACT_KIND_SLUGS


# -- marks: edits and conflicts ----------------------------------------------------------


def test_two_people_saving_the_same_mark_get_a_409_not_an_overwrite(team, api_as, video):
    mark = api_as("reviewer").post(marks_url(team), mark_body(video), format="json").json()
    url = reverse("mark-detail", args=[team.project.pk, mark["id"]])
    first = api_as("reviewer").patch(url, {"end_frame": 45, "version": 1}, format="json")
    assert first.status_code == 200 and first.json()["version"] == 2
    # The curator edits from the version they loaded (1): refused, current state returned.
    second = api_as("curator").patch(url, {"note": "curator's note", "version": 1}, format="json")
    assert second.status_code == 409
    error = second.json()["error"]
    assert error["code"] == "conflict"
    assert error["current"]["end_frame"] == 45 and error["current"]["version"] == 2
    assert Mark.objects.get(pk=mark["id"]).note == "seam along the jaw"
    # Retrying from the current version works, with If-Match this time.
    third = api_as("curator").patch(
        url, {"note": "curator's note"}, format="json", HTTP_IF_MATCH='"2"'
    )
    assert third.status_code == 200
    assert third.json()["updated_by"] == team.users["curator"].username


def test_an_edit_without_a_version_is_refused(team, api_as, video):
    mark = api_as("reviewer").post(marks_url(team), mark_body(video), format="json").json()
    url = reverse("mark-detail", args=[team.project.pk, mark["id"]])
    response = api_as("reviewer").patch(url, {"end_frame": 45}, format="json")
    assert response.status_code == 428
    assert response.json()["error"]["code"] == "version_required"


def test_deleting_a_changed_mark_keeps_it(team, api_as, video):
    mark = api_as("reviewer").post(marks_url(team), mark_body(video), format="json").json()
    url = reverse("mark-detail", args=[team.project.pk, mark["id"]])
    api_as("reviewer").patch(url, {"end_frame": 45, "version": 1}, format="json")
    stale = api_as("curator").delete(url, HTTP_IF_MATCH='"1"')
    assert stale.status_code == 409
    assert Mark.objects.filter(pk=mark["id"]).exists()
    assert api_as("curator").delete(url, HTTP_IF_MATCH='"2"').status_code == 204
    gone = api_as("reviewer").patch(url, {"end_frame": 46, "version": 2}, format="json")
    assert gone.status_code == 404


def test_reviewers_change_only_their_own_marks(team, api_as, video):
    from tests.factories import MembershipFactory

    other = MembershipFactory(project=team.project, role="reviewer").user
    from tests.conftest import client_for

    mark = client_for(other).post(marks_url(team), mark_body(video), format="json").json()
    url = reverse("mark-detail", args=[team.project.pk, mark["id"]])
    response = api_as("reviewer").patch(url, {"note": "mine now", "version": 1}, format="json")
    assert response.status_code == 403
    assert (
        api_as("curator").patch(url, {"note": "fixed", "version": 1}, format="json").status_code
        == 200
    )


# -- roles -----------------------------------------------------------------------------------


def test_viewer_cannot_annotate_and_reviewer_cannot_adjudicate(team, api_as, video):
    assert (
        api_as("viewer").post(marks_url(team), mark_body(video), format="json").status_code == 403
    )
    verdicts = reverse("verdict-list", args=[team.project.pk])
    body = {"media": video.pk, "label": "fake", "confidence": 0.8}
    assert api_as("viewer").post(verdicts, body, format="json").status_code == 403
    adjudicate = reverse("review-adjudicate", args=[team.project.pk, video.pk])
    assert api_as("reviewer").post(adjudicate, {"label": "fake"}, format="json").status_code == 403
    assert api_as("curator").post(adjudicate, {"label": "fake"}, format="json").status_code == 403
    decided = api_as("owner").post(adjudicate, {"label": "fake", "note": "seams"}, format="json")
    assert decided.status_code == 200 and decided.json()["decided_by"]


# -- verdicts ------------------------------------------------------------------------------


def test_verdict_submit_change_and_double_submit(team, api_as, video):
    url = reverse("verdict-list", args=[team.project.pk])
    body = {"media": video.pk, "label": "uncertain", "confidence": 0.4, "rationale": "hmm"}
    first = api_as("reviewer").post(url, body, format="json")
    assert first.status_code == 201 and first.json()["version"] == 1
    # A second tab submits a "first" verdict too: 409 with the saved one.
    again = api_as("reviewer").post(url, {**body, "label": "fake"}, format="json")
    assert again.status_code == 409
    assert again.json()["error"]["current"]["label"] == "uncertain"
    changed = api_as("reviewer").post(url, {**body, "label": "fake", "version": 1}, format="json")
    assert changed.status_code == 200 and changed.json()["label"] == "fake"
    assert Verdict.objects.get().version == 2
    bad = api_as("reviewer").post(url, {**body, "confidence": 1.5, "version": 2}, format="json")
    assert bad.status_code == 400 and "confidence" in bad.json()["error"]["fields"]


def test_consensus_conflict(team, api_as, video):
    url = reverse("review-adjudicate", args=[team.project.pk, video.pk])
    assert api_as("owner").post(url, {"label": "fake"}, format="json").status_code == 200
    stale = api_as("owner").post(url, {"label": "real"}, format="json")  # no version: first?
    assert stale.status_code == 409
    assert stale.json()["error"]["current"]["label"] == "fake"
    assert (
        api_as("owner").post(url, {"label": "real", "version": 1}, format="json").status_code == 200
    )


# -- unreviewed vs undecided, detector suggestion ------------------------------------------------


def test_review_states_and_labels(team, api_as, video):
    from tests.factories import DetectionRunFactory

    DetectionRunFactory(
        project=team.project,
        media=video,
        label="fake",
        score_confident=0.91,
        threshold=0.5,
        detector_name="meso",
    )
    detail = reverse("review-detail", args=[team.project.pk, video.pk])
    summary = api_as("viewer").get(detail).json()
    assert summary["state"] == "unreviewed"
    assert summary["effective"] == {"label": "fake", "source": "detector"}
    verdicts = reverse("verdict-list", args=[team.project.pk])
    api_as("reviewer").post(
        verdicts, {"media": video.pk, "label": "uncertain", "confidence": 0.5}, format="json"
    )
    summary = api_as("viewer").get(detail).json()
    assert summary["state"] == "undecided"
    assert summary["effective"] == {"label": None, "source": "reviewers"}
    assert summary["detector"]["label"] == "fake"  # still visible beside the reviewers
    api_as("reviewer").post(
        verdicts,
        {"media": video.pk, "label": "real", "confidence": 0.9, "version": 1},
        format="json",
    )
    summary = api_as("viewer").get(detail).json()
    assert summary["state"] == "decided"
    assert summary["effective"] == {"label": "real", "source": "reviewers"}
    queue = api_as("viewer").get(reverse("review-list", args=[team.project.pk])).json()
    row = next(r for r in queue["results"] if r["id"] == video.pk)
    assert row["state"] == "decided" and row["detector"]["label"] == "fake"
    assert row["effective"]["source"] == "reviewers"


# -- assignments and inbox -----------------------------------------------------------------------


def test_assign_and_inbox_progress(team, api_as):
    videos = [MediaItemFactory(project=team.project) for _ in range(3)]
    url = reverse("assignment-list", args=[team.project.pk])
    reviewer = team.users["reviewer"]
    body = {"media": [v.pk for v in videos], "reviewers": [reviewer.pk]}
    assert api_as("reviewer").post(url, body, format="json").status_code == 403
    created = api_as("curator").post(url, body, format="json")
    assert created.status_code == 201 and created.json() == {"created": 3, "existing": 0}
    assert api_as("curator").post(url, body, format="json").json()["existing"] == 3
    viewer_body = {"media": [videos[0].pk], "reviewers": [team.users["viewer"].pk]}
    refused = api_as("curator").post(url, viewer_body, format="json")
    assert refused.status_code == 400 and "reviewer role" in refused.json()["error"]["message"]

    verdicts = reverse("verdict-list", args=[team.project.pk])
    api_as("reviewer").post(
        verdicts, {"media": videos[0].pk, "label": "fake", "confidence": 0.9}, format="json"
    )
    api_as("reviewer").post(
        verdicts, {"media": videos[1].pk, "label": "uncertain", "confidence": 0.3}, format="json"
    )
    inbox = api_as("reviewer").get(reverse("assignment-inbox", args=[team.project.pk])).json()
    assert inbox["total"] == 3
    assert inbox["counts"] == {"unreviewed": 1, "undecided": 1, "done": 1}
    # Reviewers list only their own assignments; curators all.
    assert api_as("viewer").get(url).json()["count"] == 0
    assert api_as("curator").get(url).json()["count"] == 3


# -- comments --------------------------------------------------------------------------------------


def test_threaded_comments_at_a_frame(team, api_as, video):
    url = reverse("comment-list", args=[team.project.pk])
    root = api_as("reviewer").post(
        url, {"media": video.pk, "frame": 42, "body": "teeth smear here"}, format="json"
    )
    assert root.status_code == 201
    reply = api_as("curator").post(
        url,
        {"media": video.pk, "frame": 0, "body": "agreed", "parent": root.json()["id"]},
        format="json",
    )
    assert reply.status_code == 201
    assert reply.json()["frame"] == 42 and reply.json()["parent"] == root.json()["id"]
    nested = api_as("owner").post(
        url,
        {"media": video.pk, "frame": 0, "body": "+1", "parent": reply.json()["id"]},
        format="json",
    )
    assert nested.json()["parent"] == root.json()["id"]  # one thread, not a tree
    bad = api_as("reviewer").post(
        url, {"media": video.pk, "frame": 300, "body": "x"}, format="json"
    )
    assert bad.status_code == 400
    assert (
        api_as("viewer")
        .post(url, {"media": video.pk, "frame": 1, "body": "x"}, format="json")
        .status_code
        == 403
    )
    listed = api_as("viewer").get(url, {"media": video.pk}).json()
    assert len(listed) == 3


def test_marks_made_by_the_database_read_like_the_serializer(team, api_as, video):
    import datetime as dt
    import json

    from deepreview.review.marks_json import marks_json
    from deepreview.review.models import Mark as MarkModel
    from deepreview.review.serializers import MarkReadSerializer

    api_as("reviewer").post(marks_url(team), mark_body(video), format="json")
    api_as("curator").post(marks_url(team), mark_body(video, region=None, note=""), format="json")
    whole_second = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    MarkModel.objects.filter(note="").update(updated_at=whole_second)
    marks = MarkModel.objects.filter(media=video).order_by("start_frame", "end_frame", "id")

    def same(rows: list[dict]) -> list[dict]:
        # Timestamps as instants: the database always writes microseconds, DRF drops ".000000".
        return [
            {k: dt.datetime.fromisoformat(v) if k.endswith("_at") else v for k, v in r.items()}
            for r in rows
        ]

    made = json.loads(marks_json(media_id=video.pk))
    assert same(made) == same(MarkReadSerializer(marks, many=True).data)
    mine = json.loads(marks_json(media_id=video.pk, author_id=team.users["curator"].pk))
    assert [m["created_by"] for m in mine] == [team.users["curator"].username]
