"""The detection page: the addresses and form spec its script reads, per role."""

from __future__ import annotations

import json
import re

from django.test import Client
from django.urls import reverse

from tests.factories import MediaItemFactory


def _page(team, role: str) -> str:  # noqa: ANN001
    client = Client()
    client.force_login(team.users[role])
    response = client.get(reverse("detection-page", args=[team.project.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_page_gives_its_script_every_address_and_the_form_spec(team):
    pid = team.project.pk
    for origin in ("real", "real", "fake", "unknown"):
        MediaItemFactory(project=team.project, origin=origin)
    html = _page(team, "viewer")
    assert f'data-train-url="/api/projects/{pid}/detectors/{{id}}/train/"' in html
    assert f'data-evaluation-url="/api/projects/{pid}/detectors/{{id}}/evaluation/"' in html
    assert f'data-caught-url="{reverse("detector-caught", args=[pid])}"' in html
    assert f'data-detections-url="{reverse("detection-list", args=[pid])}"' in html
    assert 'data-real="2" data-fake="1"' in html
    script = r'<script id="detection-form-spec" type="application/json">(.*?)</script>'
    spec_text = re.search(script, html, re.S).group(1)
    spec = json.loads(spec_text)
    assert spec["archs"] == ["efficientnet_b0", "efficientnet_lite0", "efficientnet_lite2", "meso4"]
    # Viewers read; the run form is only rendered for curators (the API checks again).
    assert 'data-can-curate="false"' in html and 'id="run-form-root"' not in html
    assert 'id="options-detect"' not in html
    curator = _page(team, "curator")
    assert 'data-can-curate="true"' in curator and 'id="run-form-root"' in curator
    # The forms' fields come from the options declarations (tests/test_job_options.py).
    options = r'<script id="options-detector_train" type="application/json">(.*?)</script>'
    train = {f["name"]: f for f in json.loads(re.search(options, curator, re.S).group(1))}
    assert (train["epochs"]["min"], train["epochs"]["max"], train["epochs"]["default"]) == (
        1,
        500,
        10,
    )
    assert 'id="options-detect"' in curator


def test_project_and_video_pages_link_to_detection(team):
    client = Client()
    client.force_login(team.users["viewer"])
    page = reverse("detection-page", args=[team.project.pk])
    project = client.get(reverse("project-detail-page", args=[team.project.pk])).content.decode()
    assert f'id="detection-page-link" href="{page}"' in project
    video = MediaItemFactory(project=team.project)
    media = client.get(reverse("media-detail-page", args=[team.project.pk, video.pk]))
    html = media.content.decode()
    assert f'data-media-id="{video.pk}"' in html and f'href="{page}"' in html
    assert 'id="detection"' in html
