"""OPTIONS (browsers' preflight) on every project route, and the Content-Security-Policy."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import get_resolver, reverse

from tests.conftest import client_for

# Every router route under /api/projects/<project_pk>/ without another id in its path.
LIST_ROUTES = sorted(
    name
    for name, entries in get_resolver().reverse_dict.lists()
    if isinstance(name, str)
    for _bits, pattern, _defaults, _converters in entries
    if pattern.startswith("api/projects/(?P<project_pk>")
    and pattern.count("(?P<") == 1
    and not pattern.endswith(r"\.(?P<format>[a-z0-9]+)/?$")
)


def test_the_route_list_is_not_empty():
    assert {"media-list", "job-list", "faceset-list", "mark-list", "demo-list"} <= set(LIST_ROUTES)


@pytest.mark.parametrize("name", LIST_ROUTES)
def test_options_answers_members_and_hides_the_project_from_outsiders(team, name):
    url = reverse(name, args=[team.project.pk])
    member = client_for(team.users["viewer"]).options(url)
    assert member.status_code == 200, member.content
    assert client_for(team.users["outsider"]).options(url).status_code == 404
    assert client_for(None).options(url).status_code == 401


def test_detail_routes_answer_options_too(team):
    from tests.factories import MediaItemFactory

    item = MediaItemFactory(project=team.project)
    url = reverse("media-detail", args=[team.project.pk, item.pk])
    assert client_for(team.users["viewer"]).options(url).status_code == 200


@pytest.mark.parametrize("path", ["/login/", "/api/docs/", "/api/redoc/", "/api/schema/"])
def test_pages_and_api_docs_carry_a_policy_without_inline_scripts(db, path):
    response = Client().get(path)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert (
        "script-src 'self'" in policy
        and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    )
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    if response["Content-Type"].startswith("text/html"):
        html = response.content.decode()
        inline = [
            s
            for s in re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
            if "application/json" not in s
        ]
        assert not inline, f"inline <script> on {path}: {inline}"
        assert "fonts.googleapis.com" not in html


def test_ids_no_database_column_holds_are_a_400_not_a_500(team):
    owner = client_for(team.users["owner"])
    url = reverse("detection-list", args=[team.project.pk])
    response = owner.post(url, {"media": [2**70]}, format="json")
    # SQLite cannot bind such a number (400 out_of_range); Postgres compares it and finds
    # no such media (404). Either way a client error in the one error shape, never a 500.
    assert response.status_code in (400, 404)
    assert response.json()["error"]["code"] in ("out_of_range", "not_found")
