"""A member of one project never reaches another project's objects or files,
whatever ids they put in the URL."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from tests.factories import JobFactory, MediaItemFactory, MembershipFactory


def test_objects_of_another_project_are_404_through_my_project(team, api_as):
    other = MembershipFactory(role="owner").project
    foreign_media = MediaItemFactory(project=other)
    foreign_job = JobFactory(project=other)
    mine = team.project.pk
    client = api_as("owner")
    assert client.get(reverse("media-detail", args=[mine, foreign_media.pk])).status_code == 404
    assert client.delete(reverse("media-detail", args=[mine, foreign_media.pk])).status_code == 404
    assert client.get(reverse("job-detail", args=[mine, foreign_job.pk])).status_code == 404
    assert client.post(reverse("job-cancel", args=[mine, foreign_job.pk])).status_code == 404
    listing = client.get(reverse("media-list", args=[mine])).json()
    assert foreign_media.pk not in [m["id"] for m in listing["results"]]


def test_missing_and_forbidden_look_the_same(team):
    client = Client()
    client.force_login(team.users["outsider"])
    media = MediaItemFactory(project=team.project)
    forbidden = client.get(
        reverse("media-file", kwargs={"media_id": media.pk, "variant": "poster"})
    )
    missing = client.get(reverse("media-file", kwargs={"media_id": 999999, "variant": "poster"}))
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.content == missing.content


def test_storage_paths_are_not_served_directly(team):
    client = Client()
    client.force_login(team.users["owner"])
    media = MediaItemFactory(project=team.project)
    assert client.get("/files/raw/" + media.file.name).status_code == 404
    assert client.get("/media/" + media.file.name).status_code == 404


def test_media_file_supports_range_requests(team):
    client = Client()
    client.force_login(team.users["viewer"])
    media = MediaItemFactory(project=team.project)
    url = reverse("media-file", kwargs={"media_id": media.pk, "variant": "original"})
    whole = client.get(url)
    assert whole.status_code == 200 and whole["Accept-Ranges"] == "bytes"
    part = client.get(url, HTTP_RANGE="bytes=10-19")
    assert part.status_code == 206
    assert part["Content-Range"] == "bytes 10-19/64"
    assert len(b"".join(part.streaming_content)) == 10
    assert client.get(url, HTTP_RANGE="bytes=100-").status_code == 416
