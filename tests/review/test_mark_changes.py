"""Keeping a timeline current without reloading it: numbered mark changes
(``mark-changes/?since=``) and the timeline's ETag (304 when nothing changed)."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from deepreview.review import services
from deepreview.review.models import Mark, Verdict
from deepreview.review.selectors import review_scope
from tests.conftest import client_for
from tests.factories import MediaItemFactory, MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def video(team):
    return MediaItemFactory(project=team.project, frame_count=300, fps=30.0)


def _changes(client, team, video, since: int) -> dict:
    url = reverse("review-mark-changes", args=[team.project.pk, video.pk])
    response = client.get(url, {"since": since})
    assert response.status_code == 200, response.content
    return response.json()


def _timeline(client, team, video, etag: str | None = None):
    url = reverse("review-timeline", args=[team.project.pk, video.pk])
    return client.get(url, HTTP_IF_NONE_MATCH=etag) if etag else client.get(url)


def _save(client, team, video, start: int = 10) -> dict:
    body = {"media": video.pk, "kind": "flicker", "start_frame": start, "end_frame": start + 5}
    response = client.post(reverse("mark-list", args=[team.project.pk]), body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_changes_carry_new_edited_and_deleted_marks_in_order(team, api_as, video):
    reviewer, viewer = api_as("reviewer"), api_as("viewer")
    held = _timeline(viewer, team, video).json()
    assert held["marks"] == [] and held["marks_change"] == 0
    assert _changes(viewer, team, video, 0) == {
        "last_change": 0,
        "revealed": True,
        "deleted": [],
        "marks": [],
    }

    first, second = _save(reviewer, team, video, 10), _save(reviewer, team, video, 50)
    url = reverse("mark-detail", args=[team.project.pk, first["id"]])
    edited = reviewer.patch(url, {"end_frame": 30, "version": 1}, format="json")
    assert edited.status_code == 200, edited.content
    after_edit = _changes(viewer, team, video, 0)
    assert after_edit["last_change"] == 3
    assert [(m["id"], m["end_frame"], m["version"]) for m in after_edit["marks"]] == [
        (first["id"], 30, 2),
        (second["id"], 55, 1),
    ]

    gone = reviewer.delete(reverse("mark-detail", args=[team.project.pk, second["id"]]))
    assert gone.status_code == 204
    since_edit = _changes(viewer, team, video, 3)
    assert since_edit == {
        "last_change": 4,
        "revealed": True,
        "deleted": [second["id"]],
        "marks": [],
    }
    assert _changes(viewer, team, video, 4)["marks"] == []

    # A client that applied every change holds what a fresh load shows.
    mirror = {m["id"]: m for m in after_edit["marks"]}
    for mark_id in since_edit["deleted"]:
        mirror.pop(mark_id, None)
    fresh = _timeline(viewer, team, video).json()
    assert fresh["marks_change"] == 4
    assert list(mirror.values()) == fresh["marks"]


def test_a_refused_write_takes_no_change_number(team, api_as, video):
    reviewer = api_as("reviewer")
    mark = _save(reviewer, team, video)
    url = reverse("mark-detail", args=[team.project.pk, mark["id"]])
    assert reviewer.patch(url, {"end_frame": 30, "version": 1}, format="json").status_code == 200
    stale = reviewer.patch(url, {"end_frame": 40, "version": 1}, format="json")
    assert stale.status_code == 409
    assert reviewer.delete(url, HTTP_IF_MATCH='"1"').status_code == 409
    assert _changes(reviewer, team, video, 0)["last_change"] == 2
    assert Mark.objects.get(pk=mark["id"]).change == 2


def test_blind_reviewers_hear_only_of_their_own_marks(team, video):
    project = team.project
    project.blind_review = True
    project.save()
    other = MembershipFactory(project=project, role="reviewer").user
    mine, theirs = client_for(team.users["reviewer"]), client_for(other)
    own = _save(mine, team, video, 10)
    other_mark = _save(theirs, team, video, 60)
    theirs.delete(reverse("mark-detail", args=[project.pk, other_mark["id"]]))
    _save(theirs, team, video, 70)

    seen = _changes(mine, team, video, 0)
    assert [m["id"] for m in seen["marks"]] == [own["id"]]
    assert seen["deleted"] == [] and seen["revealed"] is False and seen["last_change"] == 4

    body = {"media": video.pk, "label": "fake", "confidence": 0.8}
    verdict = mine.post(reverse("verdict-list", args=[project.pk]), body, format="json")
    assert verdict.status_code in (200, 201), verdict.content
    after = _changes(mine, team, video, 0)
    assert after["revealed"] is True and after["deleted"] == [other_mark["id"]]
    assert len(after["marks"]) == 2


def test_since_must_be_a_whole_number(team, api_as, video):
    url = reverse("review-mark-changes", args=[team.project.pk, video.pk])
    for bad in ({}, {"since": "-1"}, {"since": "abc"}, {"since": str(2**70)}):
        response = api_as("viewer").get(url, bad)
        assert response.status_code == 400, (bad, response.content)
        assert "since" in response.json()["error"]["fields"]
    assert api_as("outsider").get(url, {"since": 0}).status_code == 404


def test_the_timeline_answers_304_until_something_it_shows_changes(team, api_as, video):
    reviewer = api_as("reviewer")
    first = _timeline(reviewer, team, video)
    etag = first["ETag"]
    assert etag.startswith('W/"timeline-') and first["Cache-Control"] == "private, no-cache"
    again = _timeline(reviewer, team, video, etag)
    assert again.status_code == 304 and again["ETag"] == etag and not again.content

    _save(api_as("curator"), team, video)  # someone else's mark
    changed = _timeline(reviewer, team, video, etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert len(changed.json()["marks"]) == 1
    etag = changed["ETag"]

    Verdict.objects.create(
        project=team.project,
        media=video,
        reviewer=team.users["reviewer"],
        label="fake",
        confidence=0.7,
    )
    own = _timeline(reviewer, team, video, etag)
    assert own.status_code == 200 and own.json()["own_verdict"]["label"] == "fake"
    assert _timeline(reviewer, team, video, f'"x", {own["ETag"]}').status_code == 304
    # Another user's fingerprint differs where their own verdict does.
    assert _timeline(api_as("viewer"), team, video, own["ETag"]).status_code == 200


@pytest.mark.skipif(
    "sqlite" in settings.DATABASES["default"]["ENGINE"],
    reason="SQLite serialises writers; the ordering question is Postgres's",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_saves_get_distinct_change_numbers(team, video):
    """Threads saving at once on one video: every mark gets its own number and the
    counter ends at the number of writes (on Postgres the upsert's row lock orders them;
    SQLite writes one at a time). Skipped before the database is set up: a transactional
    test skipped inside would flush the shared in-memory SQLite under the next tests."""
    scope = review_scope(project=_with_role(team.project, "reviewer"), user=team.users["reviewer"])
    errors: list[BaseException] = []

    def save(start: int) -> None:
        try:
            for i in range(10):
                services.mark_create(
                    scope=scope,
                    media=video,
                    kind="flicker",
                    start_frame=start + i,
                    end_frame=start + i,
                )
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(n * 20,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    numbers = sorted(Mark.objects.filter(media=video).values_list("change", flat=True))
    assert numbers == list(range(1, 41))


def _with_role(project, role: str):
    project.current_role = role
    return project


def test_a_mark_written_around_the_services_still_changes_the_timeline_etag(team, api_as, video):
    reviewer = api_as("reviewer")
    etag = _timeline(reviewer, team, video)["ETag"]
    mark = Mark.objects.create(
        project=team.project,
        media=video,
        kind="teeth",
        start_frame=1,
        end_frame=2,
        created_by=team.users["curator"],
    )
    created = _timeline(reviewer, team, video, etag)
    assert created.status_code == 200 and len(created.json()["marks"]) == 1
    Mark.objects.filter(pk=mark.pk).update(note="edited in the admin", version=2)
    edited = _timeline(reviewer, team, video, created["ETag"])
    assert edited.status_code == 200 and edited.json()["marks"][0]["note"] == "edited in the admin"
