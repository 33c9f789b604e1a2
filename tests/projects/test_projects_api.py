"""Projects, members and identities through the API."""

from __future__ import annotations

from django.urls import reverse

from deepreview.projects.models import Membership
from tests.factories import UserFactory


def test_creator_becomes_owner_and_sees_only_own_projects(team, api_as):
    created = api_as("outsider").post(reverse("project-list"), {"name": "Mine"}, format="json")
    assert created.status_code == 201 and created.json()["role"] == "owner"
    names = [p["name"] for p in api_as("outsider").get(reverse("project-list")).json()["results"]]
    assert "Mine" in names and team.project.name not in names


def test_owner_adds_member_and_roles_apply(team, api_as):
    newcomer = UserFactory()
    url = reverse("member-list", args=[team.project.pk])
    added = api_as("owner").post(url, {"username": newcomer.username, "role": "viewer"})
    assert added.status_code == 201
    again = api_as("owner").post(url, {"username": newcomer.username, "role": "viewer"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_member"
    unknown = api_as("owner").post(url, {"username": "nobody-here", "role": "viewer"})
    assert unknown.status_code == 400 and "No user named" in unknown.json()["error"]["message"]


def test_last_owner_cannot_leave_or_be_demoted(team, api_as):
    owner = Membership.objects.get(project=team.project, role="owner")
    url = reverse("member-detail", args=[team.project.pk, owner.pk])
    demoted = api_as("owner").patch(url, {"role": "viewer"}, format="json")
    assert demoted.status_code == 409 and demoted.json()["error"]["code"] == "last_owner"
    assert api_as("owner").delete(url).status_code == 409
    curator = Membership.objects.get(project=team.project, role="curator")
    promote = reverse("member-detail", args=[team.project.pk, curator.pk])
    assert api_as("owner").patch(promote, {"role": "owner"}, format="json").status_code == 200
    assert api_as("owner").patch(url, {"role": "viewer"}, format="json").status_code == 200


def test_identity_names_are_unique_per_project_ignoring_case(team, api_as):
    url = reverse("identity-list", args=[team.project.pk])
    assert api_as("curator").post(url, {"name": "Ada Lovelace"}).status_code == 201
    duplicate = api_as("curator").post(url, {"name": "ada lovelace"})
    assert duplicate.status_code == 409


def test_validation_errors_name_the_field(team, api_as):
    response = api_as("owner").post(
        reverse("member-list", args=[team.project.pk]), {"username": "x", "role": "emperor"}
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and "role" in error["fields"]
    assert error["message"].startswith("role:")
